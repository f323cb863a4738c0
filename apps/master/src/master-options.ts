import os from 'node:os';
import { z } from 'zod';
import { CASSANDRA_ENV, ConfigError, formatCommandHelp, intSetting, REDIS_ENV, readSettings, resolveSettings, textSetting, type SettingSpec } from '@simplecm/config';
import { HOST_JOB_TTL_SECONDS } from '@simplecm/queue';
import { requireSealKey, sealKeySetting } from './host-job-signer';

/** `simplecm master` settings, from its flags and environment, else the default. */
export interface MasterOptions {
  /** `--name` / SIMPLECM_MASTER_NAME: this master in the heartbeat set and logs. @defaultValue `<hostname>-<pid>` */
  name?: string;
  /** `--concurrency N` / SIMPLECM_MASTER_CONCURRENCY: run requests planned at once. @defaultValue `4` */
  concurrency?: number;
  /**
   * `--lock-duration MS` / SIMPLECM_MASTER_LOCK_DURATION_MS: a request held by a master that
   * stopped renewing it (killed) goes back to the queue this long after. @defaultValue `30000`
   */
  lockDurationMs?: number;
  /** `--stalled-interval MS` / SIMPLECM_MASTER_STALLED_INTERVAL_MS: how often masters look for such requests. @defaultValue `30000` */
  stalledIntervalMs?: number;
  /** SIMPLECM_MASTER_HEARTBEAT_MS: how long this master counts as running after each heartbeat (renewed at a third of it). @defaultValue `10000` */
  heartbeatMs?: number;
  /** `--modules-dir DIR` / SIMPLECM_MODULES_DIR: as the workers'. @defaultValue /etc/simple-cm/modules, else the repo's modules/ */
  modulesDir?: string;
  /** SIMPLECM_JOB_SIGNING_KEY: the Ed25519 private key (PEM file) host jobs are signed with; required. */
  signingKeyFile?: string;
  /** SIMPLECM_SEAL_PUBLIC_KEY: the workers' X25519 public key (PEM file) sensitive attribute values are sealed to; required. */
  sealKeyFile?: string;
  /** SIMPLECM_JOB_TTL_SECONDS: workers refuse a host job this long after it was enqueued. @defaultValue `86400` */
  jobTtlSeconds?: number;
  /** SIMPLECM_ENQUEUE_BATCH_SIZE: host jobs added per Redis round trip. @defaultValue `200` */
  batchSize?: number;
  /** SIMPLECM_ENQUEUE_BATCH_PAUSE_MS: pause after each batch; lets fault tests kill a master mid-plan. @defaultValue `0` */
  batchPauseMs?: number;
  /** `--connect-timeout S` / SIMPLECM_CONNECT_TIMEOUT: give up on an unreachable Redis or Cassandra at start after S seconds (exit 3). @defaultValue `10` */
  connectTimeoutSeconds?: number;
}

export interface MasterConfig {
  readonly name: string;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly heartbeatMs: number;
  readonly modulesDir: string | undefined;
  readonly signingKeyFile: string;
  readonly sealKeyFile: string;
  readonly jobTtlSeconds: number;
  readonly batchSize: number;
  readonly batchPauseMs: number;
  readonly connectTimeoutMs: number;
}

const masterSettings: SettingSpec<MasterOptions> = {
  name: textSetting({ flag: 'name', env: 'SIMPLECM_MASTER_NAME', valueName: 'NAME', about: 'this master in the heartbeat set and logs' }, z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits and . _ -')),
  concurrency: intSetting({ flag: 'concurrency', env: 'SIMPLECM_MASTER_CONCURRENCY', valueName: 'N', about: 'run requests planned at once' }, 1, 64),
  lockDurationMs: intSetting({ flag: 'lock-duration', env: 'SIMPLECM_MASTER_LOCK_DURATION_MS', valueName: 'MS', about: "a killed master's request goes back to the queue this long after" }, 1_000, 3_600_000),
  stalledIntervalMs: intSetting({ flag: 'stalled-interval', env: 'SIMPLECM_MASTER_STALLED_INTERVAL_MS', valueName: 'MS', about: 'how often masters look for requests a killed master held' }, 500, 3_600_000),
  heartbeatMs: intSetting({ env: 'SIMPLECM_MASTER_HEARTBEAT_MS', valueName: 'MS', about: 'how long this master counts as running after each heartbeat' }, 1_000, 600_000),
  modulesDir: textSetting({ flag: 'modules-dir', env: 'SIMPLECM_MODULES_DIR', valueName: 'DIR', about: "the modules, as the workers have them (default /etc/simple-cm/modules, else the repo's modules/)" }, z.string().min(1)),
  signingKeyFile: textSetting({ env: 'SIMPLECM_JOB_SIGNING_KEY', valueName: 'FILE', about: 'the Ed25519 private key (PEM) host jobs are signed with; required' }, z.string().min(1)),
  sealKeyFile: sealKeySetting,
  jobTtlSeconds: intSetting({ env: 'SIMPLECM_JOB_TTL_SECONDS', valueName: 'S', about: 'workers refuse a host job S seconds after it was enqueued' }, 60, 30 * 86_400),
  batchSize: intSetting({ env: 'SIMPLECM_ENQUEUE_BATCH_SIZE', about: 'host jobs added per Redis round trip' }, 1, 5_000),
  batchPauseMs: intSetting({ env: 'SIMPLECM_ENQUEUE_BATCH_PAUSE_MS', about: 'pause after each batch (a test hook)' }, 0, 600_000),
  connectTimeoutSeconds: intSetting({ flag: 'connect-timeout', env: 'SIMPLECM_CONNECT_TIMEOUT', valueName: 'S', about: 'give up on an unreachable Redis or Cassandra at start after S seconds (exit 3)' }, 1, 600),
};

const masterDefaults = {
  concurrency: 4,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  heartbeatMs: 10_000,
  jobTtlSeconds: HOST_JOB_TTL_SECONDS,
  batchSize: 200,
  batchPauseMs: 0,
  connectTimeoutSeconds: 10,
} satisfies MasterOptions;

export function resolveMasterOptions(options: MasterOptions): MasterConfig {
  const o = resolveSettings(masterSettings, masterDefaults, options);
  if (!o.signingKeyFile) throw new ConfigError('SIMPLECM_JOB_SIGNING_KEY: name the private key host jobs are signed with (workers refuse unsigned jobs)');
  return {
    name: o.name ?? `${os.hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}`,
    concurrency: o.concurrency,
    lockDurationMs: o.lockDurationMs,
    stalledIntervalMs: o.stalledIntervalMs,
    heartbeatMs: o.heartbeatMs,
    modulesDir: o.modulesDir,
    signingKeyFile: o.signingKeyFile,
    sealKeyFile: requireSealKey(o.sealKeyFile),
    jobTtlSeconds: o.jobTtlSeconds,
    batchSize: o.batchSize,
    batchPauseMs: o.batchPauseMs,
    connectTimeoutMs: o.connectTimeoutSeconds * 1000,
  };
}

export function masterHelp(usage = 'simplecm master [options]'): string {
  return formatCommandHelp(
    {
      usage,
      summary:
        'The resident master: takes run requests (simplecm run, schedules) from the run-requests queue, plans and enqueues them over connections kept open. Run several for availability: each request is taken by one.',
      examples: ['simplecm master', 'simplecm master --name m1 --concurrency 8'],
      env: [...REDIS_ENV, ...CASSANDRA_ENV],
    },
    masterSettings,
    masterDefaults,
  );
}

/** Defaults < environment < flags, resolved once per process. */
export function compileMasterOptions(argv: readonly string[], env: NodeJS.ProcessEnv): MasterConfig {
  return resolveMasterOptions(readSettings(argv, env, masterSettings));
}
