import { z } from 'zod';
import { CASSANDRA_ENV, ConfigError, formatCommandHelp, intSetting, REDIS_ENV, listSetting, readSettings, resolveSettings, switchSetting, textSetting, type SettingSpec } from '@simplecm/config';
import { groupNameSchema, hostnameSchema, hostPatternTextSchema, RUN_ID_PATTERN, type RunTarget } from '@simplecm/domain';
import { HOST_JOB_TTL_SECONDS } from '@simplecm/queue';
import { sealKeySetting } from './host-job-signer';
import type { MasterRunConfig } from './master-run';

/** `enqueue` settings, from its flags (and two environment variables), else the default. */
export interface EnqueueOptions {
  /** `--hosts h1,h2`: only these hosts (duplicates dropped). Give this or `group`, not both. @defaultValue every host */
  hosts?: string[];
  /** `--group g`: only the hosts of this group. @defaultValue every host */
  group?: string;
  /** `--limit PATTERN`: only the hosts the pattern selects (groups, names, globs, `&`, `!`; see parseHostPattern). @defaultValue every host */
  limit?: string;
  /** `--rerun-failed RUN_ID`: only the hosts that failed, were unreachable or rejected in that run. @defaultValue none */
  rerunFailed?: string;
  /** `--connect-timeout S` / SIMPLECM_CONNECT_TIMEOUT: give up on an unreachable Redis or Cassandra after S seconds (exit 3). @defaultValue `10` */
  connectTimeoutSeconds?: number;
  /**
   * `--tags a,b`: send only the operations having at least one of these tags (duplicates
   * dropped). A handler is sent only with a trigger it names (see selectOperations); the
   * selection is shown in the run's target. @defaultValue every operation
   */
  tags?: string[];
  /** `--skip-tags c,d`: leave out the operations having any of these tags (after `tags`; duplicates dropped). @defaultValue none left out */
  skipTags?: string[];
  /** `--check`: check mode (report what would change, change nothing). @defaultValue `false` (apply) */
  check?: boolean;
  /** `--keep-going`: run a host's later operations after one fails. @defaultValue `false` (skip them) */
  keepGoing?: boolean;
  /** `--operation-timeout S`: kill an operation on the host after S seconds. @defaultValue `300` */
  operationTimeoutSeconds?: number;
  /** `--run-id ID`: re-enqueue an existing run (after a crash); jobs already there are not added twice. @defaultValue a new run */
  runId?: string;
  /**
   * `--run-key KEY`: an idempotency key. The first enqueue with a key creates the run and records
   * its id under the key (Redis SET NX, 30 days); any later or concurrent enqueue with the same key
   * joins that run, so a retried or duplicated master never adds a second job for a host. Not with
   * `runId`. @defaultValue none
   */
  runKey?: string;
  /**
   * `--connect-attempts N`: tries to reach a host before it is recorded unreachable (connection
   * errors only; a failed operation is never retried). @defaultValue `3`
   */
  connectAttempts?: number;
  /** SIMPLECM_ENQUEUE_BATCH_SIZE: host jobs added per Redis round trip. @defaultValue `200` */
  batchSize?: number;
  /** SIMPLECM_ENQUEUE_BATCH_PAUSE_MS: pause after each batch; lets fault tests kill a master half-way through enqueuing. @defaultValue `0` */
  batchPauseMs?: number;
  /** `--wait`: show progress until every host is done, then a recap; exit 1 if any host failed. @defaultValue `false` */
  wait?: boolean;
  /** `--json`: print one JSON object on stdout (MasterRunJson), the rest on stderr. @defaultValue `false` */
  json?: boolean;
  /**
   * `--diff`: wait (as `--wait`), then show per host and operation the unified diff of what the
   * file modules (file_content, file_contains, line_absent) would change; computed on the hosts
   * in check mode (`--check`). @defaultValue `false`
   */
  diff?: boolean;
  /**
   * `--local`: plan and enqueue in this process even when a resident master (`simplecm master`)
   * is running; without it the run is submitted to the masters when one is, else planned here.
   * @defaultValue `false`
   */
  local?: boolean;
  /** `--modules-dir DIR` / SIMPLECM_MODULES_DIR: as the workers'. @defaultValue /etc/simple-cm/modules, else the repo's modules/ */
  modulesDir?: string;
  /**
   * SIMPLECM_JOB_SIGNING_KEY: the Ed25519 private key (PEM file) host jobs are signed with;
   * needed only to plan in this process (`--local`, or no resident master running).
   */
  signingKeyFile?: string;
  /** SIMPLECM_SEAL_PUBLIC_KEY: the workers' X25519 public key (PEM file) sensitive attribute values are sealed to; needed only to plan here. */
  sealKeyFile?: string;
  /** SIMPLECM_JOB_TTL_SECONDS: workers refuse a host job this long after it was enqueued. @defaultValue `86400` */
  jobTtlSeconds?: number;
}

/** Every enqueue setting resolved and checked; the only form that travels. */
export interface EnqueueConfig extends MasterRunConfig {
  readonly target: RunTarget;
  /** `--rerun-failed`: the run whose failed, unreachable and rejected hosts are the target (then `target` is all, narrowed by the caller). */
  readonly rerunFailed: string | undefined;
  /** `--local`: plan in this process even when a resident master runs. */
  readonly local: boolean;
}

const runIdText = z.string().regex(RUN_ID_PATTERN, 'must be a run id printed by enqueue');

/** The settings of `enqueue` (`simplecm run`); exported so that `--help` is generated from them. */
export const enqueueSettings: SettingSpec<EnqueueOptions> = {
  hosts: listSetting({ flag: 'hosts', valueName: 'H1,H2', about: 'only these hosts' }, hostnameSchema, 'name at least one host'),
  group: textSetting({ flag: 'group', valueName: 'GROUP', about: 'only the hosts of this group' }, groupNameSchema),
  limit: textSetting(
    { flag: 'limit', valueName: 'PATTERN', about: "only the hosts the pattern selects: names, groups, globs, '&' (and), '!' (not), e.g. 'web:&eu:!web3'" },
    hostPatternTextSchema,
  ),
  rerunFailed: textSetting({ flag: 'rerun-failed', valueName: 'RUN_ID', about: 'only the hosts that failed, were unreachable or rejected in that run' }, runIdText),
  // Tag names have the charset of group names.
  tags: listSetting({ flag: 'tags', valueName: 'T1,T2', about: 'only operations with one of these tags' }, groupNameSchema, 'name at least one tag'),
  skipTags: listSetting({ flag: 'skip-tags', valueName: 'T1,T2', about: 'leave out operations with any of these tags' }, groupNameSchema, 'name at least one tag'),
  check: switchSetting({ flag: 'check', about: 'check mode: report what would change, change nothing' }),
  keepGoing: switchSetting({ flag: 'keep-going', about: "run a host's later operations after one fails" }),
  operationTimeoutSeconds: intSetting({ flag: 'operation-timeout', valueName: 'S', about: 'kill an operation on the host after S seconds' }, 1, 86_400),
  runId: textSetting({ flag: 'run-id', valueName: 'RUN_ID', about: 're-enqueue an existing run (after a crash); jobs already there are not added twice' }, runIdText),
  runKey: textSetting(
    { flag: 'run-key', valueName: 'KEY', about: 'idempotency key: every enqueue with the same key joins one run' },
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/, 'letters, digits and . _ : @ / - (at most 200)'),
  ),
  connectAttempts: intSetting({ flag: 'connect-attempts', valueName: 'N', about: 'tries to reach a host before it is recorded unreachable' }, 1, 20),
  connectTimeoutSeconds: intSetting({ flag: 'connect-timeout', env: 'SIMPLECM_CONNECT_TIMEOUT', valueName: 'S', about: 'give up on an unreachable Redis or Cassandra after S seconds (exit 3)' }, 1, 600),
  batchSize: intSetting({ env: 'SIMPLECM_ENQUEUE_BATCH_SIZE', about: 'host jobs added per Redis round trip' }, 1, 5_000),
  batchPauseMs: intSetting({ env: 'SIMPLECM_ENQUEUE_BATCH_PAUSE_MS', about: 'pause after each batch (a test hook)' }, 0, 600_000),
  wait: switchSetting({ flag: 'wait', about: 'show progress until every host is done, then a recap; exit 1 if any host failed' }),
  json: switchSetting({ flag: 'json', about: 'one JSON object on stdout (run id, run, hosts; with --diff operations), other lines on stderr' }),
  diff: switchSetting({ flag: 'diff', about: 'wait, then show per host and operation a unified diff of what file_content, file_contains and line_absent would change (with --check)' }),
  local: switchSetting({ flag: 'local', about: 'plan in this process even when a resident master is running (the default when none is)' }),
  modulesDir: textSetting({ flag: 'modules-dir', env: 'SIMPLECM_MODULES_DIR', valueName: 'DIR', about: 'the modules, as the workers have them (default /etc/simple-cm/modules, else the repo\'s modules/)' }, z.string().min(1)),
  signingKeyFile: textSetting(
    { env: 'SIMPLECM_JOB_SIGNING_KEY', valueName: 'FILE', about: 'the Ed25519 private key (PEM) host jobs are signed with; needed only to plan here (--local, or no master running)' },
    z.string().min(1),
  ),
  sealKeyFile: sealKeySetting,
  jobTtlSeconds: intSetting({ env: 'SIMPLECM_JOB_TTL_SECONDS', valueName: 'S', about: 'workers refuse a host job S seconds after it was enqueued' }, 60, 30 * 86_400),
};

const enqueueDefaults = {
  check: false,
  keepGoing: false,
  operationTimeoutSeconds: 300,
  connectAttempts: 3,
  connectTimeoutSeconds: 10,
  batchSize: 200,
  batchPauseMs: 0,
  wait: false,
  local: false,
  json: false,
  diff: false,
  jobTtlSeconds: HOST_JOB_TTL_SECONDS,
} satisfies EnqueueOptions;

/** Checks options that are already typed (from code) and fills in the defaults. */
export function resolveEnqueueOptions(options: EnqueueOptions): EnqueueConfig {
  const o = resolveSettings(enqueueSettings, enqueueDefaults, options);
  if ([o.hosts, o.group, o.limit, o.rerunFailed].filter((t) => t !== undefined).length > 1) {
    throw new ConfigError('--hosts, --group, --limit and --rerun-failed: give one of them');
  }
  // No signing key is no error yet: a run submitted to a resident master is signed there (master-run.ts checks it when planning here).
  if (o.runId && o.runKey) throw new ConfigError('--run-id and --run-key: give one or the other');
  const target: RunTarget = o.hosts
    ? { kind: 'hosts', hosts: [...new Set(o.hosts)] }
    : o.group
      ? { kind: 'group', group: o.group }
      : o.limit
        ? { kind: 'pattern', pattern: o.limit }
        : { kind: 'all' };
  return {
    target,
    rerunFailed: o.rerunFailed,
    connectTimeoutMs: o.connectTimeoutSeconds * 1000,
    run: { mode: o.check ? 'check' : 'apply', keepGoing: o.keepGoing, operationTimeoutSeconds: o.operationTimeoutSeconds },
    runId: o.runId,
    runKey: o.runKey,
    connectAttempts: o.connectAttempts,
    batchSize: o.batchSize,
    batchPauseMs: o.batchPauseMs,
    wait: o.wait || o.diff,
    local: o.local,
    json: o.json,
    diff: o.diff,
    modulesDir: o.modulesDir,
    signingKeyFile: o.signingKeyFile,
    // Like the signing key, checked only when planning here (master-run.ts).
    sealKeyFile: o.sealKeyFile,
    jobTtlSeconds: o.jobTtlSeconds,
    selection: { tags: o.tags && [...new Set(o.tags)], skipTags: o.skipTags && [...new Set(o.skipTags)] },
  };
}

/** `enqueue --help` (`simplecm run --help`), generated from the settings above. */
export function enqueueHelp(usage = 'simplecm run [options]'): string {
  return formatCommandHelp(
    {
      usage,
      summary: 'Plans a run from the desired state in Cassandra and enqueues one job per host on Redis (npm run enqueue is the same command).',
      examples: [
        'simplecm run --wait',
        "simplecm run --limit 'web:&eu:!web3' --check --wait",
        'simplecm run --check --diff --limit web            # what each file would become, as a unified diff',
        'simplecm run --wait --json | jq .run.counts',
        'simplecm run --rerun-failed 5f0c…-… --wait',
      ],
      env: [...REDIS_ENV, ...CASSANDRA_ENV],
    },
    enqueueSettings,
    enqueueDefaults,
  );
}

/** Defaults < environment < flags, resolved once per process. */
export function compileEnqueueOptions(argv: readonly string[], env: NodeJS.ProcessEnv): EnqueueConfig {
  return resolveEnqueueOptions(readSettings(argv, env, enqueueSettings));
}
