import { z } from 'zod';
import { CASSANDRA_ENV, ConfigError, formatCommandHelp, readSettings, REDIS_ENV, resolveSettings, switchSetting, textSetting, type SettingSpec } from '@simplecm/config';
import { moduleNameSchema, unixUserSchema, type RunTarget } from '@simplecm/domain';
import { HOST_JOB_TTL_SECONDS } from '@simplecm/queue';
import type { AdhocRequest } from './adhoc-operation';
import { enqueueSettings } from './enqueue-options';
import { requireSealKey } from './host-job-signer';
import type { MasterRunConfig } from './master-run';

/** `exec` settings (`simplecm exec`): one module on the hosts of a pattern, the desired state left alone. */
export interface ExecOptions {
  /** `--limit PATTERN`: the hosts (groups, names, globs, `&`, `!`; `all` for every host); required. */
  limit?: string;
  /** `-m / --module NAME`: the module to run; required. */
  module?: string;
  /** `-a / --args TEXT`: its attributes, `k=v k2='a b'` or a JSON object. @defaultValue none */
  args?: string;
  /** `--become USER`: run it through `sudo -n` as USER. @defaultValue the host's own setting */
  become?: string;
  /** `--no-wait`: enqueue and return (exit 0); `simplecm results` shows the outcome. @defaultValue `false` (wait, show each host's output) */
  noWait?: boolean;
  /** `--json`: one JSON object on stdout, as `run --json`. @defaultValue `false` */
  json?: boolean;
  /** As `run`'s. */
  operationTimeoutSeconds?: number;
  connectAttempts?: number;
  connectTimeoutSeconds?: number;
  modulesDir?: string;
  signingKeyFile?: string;
  sealKeyFile?: string;
  jobTtlSeconds?: number;
}

/** Every exec setting resolved: what `runMaster` takes, plus the target and the operation asked for. */
export interface ExecConfig extends MasterRunConfig {
  readonly target: RunTarget;
  readonly adhoc: AdhocRequest;
}

const { limit, operationTimeoutSeconds, connectAttempts, connectTimeoutSeconds, modulesDir, signingKeyFile, sealKeyFile, jobTtlSeconds, json } = enqueueSettings;

export const execSettings: SettingSpec<ExecOptions> = {
  limit: { ...limit, about: "the hosts: names, groups, globs, '&' (and), '!' (not), 'all'; required" },
  module: textSetting({ flag: 'module', short: 'm', valueName: 'MODULE', about: 'the module to run (modules/<name>); required' }, moduleNameSchema),
  args: textSetting({ flag: 'args', short: 'a', valueName: 'ATTRS', about: "its attributes: k=v words (quote values with spaces) or a JSON object" }, z.string()),
  become: textSetting({ flag: 'become', valueName: 'USER', about: 'run it through sudo -n as USER (default: as the host says)' }, unixUserSchema),
  noWait: switchSetting({ flag: 'no-wait', about: 'enqueue and return; simplecm results shows the outcome' }),
  json: { ...json, about: 'one JSON object on stdout (run id, run, hosts, each host\'s operation result), other lines on stderr' },
  operationTimeoutSeconds,
  connectAttempts,
  connectTimeoutSeconds,
  modulesDir,
  signingKeyFile,
  sealKeyFile,
  jobTtlSeconds,
};

const execDefaults = {
  noWait: false,
  json: false,
  operationTimeoutSeconds: 300,
  connectAttempts: 3,
  connectTimeoutSeconds: 10,
  jobTtlSeconds: HOST_JOB_TTL_SECONDS,
} satisfies ExecOptions;

/** Checks options that are already typed (from code) and fills in the defaults. */
export function resolveExecOptions(options: ExecOptions): ExecConfig {
  const o = resolveSettings(execSettings, execDefaults, options);
  if (o.limit === undefined) throw new ConfigError("--limit: name the hosts (a pattern; 'all' for every host)");
  if (o.module === undefined) throw new ConfigError('-m / --module: name the module to run');
  if (!o.signingKeyFile) throw new ConfigError('SIMPLECM_JOB_SIGNING_KEY: name the private key host jobs are signed with (workers refuse unsigned jobs)');
  return {
    target: o.limit === 'all' ? { kind: 'all' } : { kind: 'pattern', pattern: o.limit },
    adhoc: { module: o.module, args: o.args ?? '', become: o.become },
    connectTimeoutMs: o.connectTimeoutSeconds * 1000,
    run: { mode: 'adhoc', keepGoing: false, operationTimeoutSeconds: o.operationTimeoutSeconds },
    runId: undefined,
    runKey: undefined,
    connectAttempts: o.connectAttempts,
    batchSize: 200,
    batchPauseMs: 0,
    wait: !o.noWait,
    modulesDir: o.modulesDir,
    signingKeyFile: o.signingKeyFile,
    sealKeyFile: requireSealKey(o.sealKeyFile),
    jobTtlSeconds: o.jobTtlSeconds,
    selection: {},
    json: o.json,
    diff: false,
  };
}

/** `simplecm exec --help`, generated from the settings above. */
export function execHelp(usage = 'simplecm exec --limit PATTERN -m MODULE [-a ATTRS] [options]'): string {
  return formatCommandHelp(
    {
      usage,
      summary:
        "Runs one module on the hosts of a pattern, as Ansible's ad-hoc commands do: the desired state is neither read nor changed. It is recorded as a run of mode adhoc (simplecm runs, simplecm results), and waits to print each host's result with its stdout and stderr.",
      examples: [
        "simplecm exec --limit web -m command -a 'uptime'",
        "simplecm exec --limit 'host[1-3]' -m file_contains -a 'path=/etc/motd text=\"maintenance tonight\"'",
        'simplecm exec --limit all -m package -a \'{"name": "htop"}\' --json',
      ],
      env: [...REDIS_ENV, ...CASSANDRA_ENV],
    },
    execSettings,
    execDefaults,
  );
}

/** Defaults < environment < flags, resolved once per process. */
export function compileExecOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ExecConfig {
  return resolveExecOptions(readSettings(argv, env, execSettings));
}
