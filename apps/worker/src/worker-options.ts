import os from 'node:os';
import { z } from 'zod';
import { formatCommandHelp, intListSetting, intSetting, MAX_QUEUE_PARTITIONS, REDIS_ENV, readSettings, resolveSettings, switchSetting, textSetting, type Resolved, type SettingSpec } from '@simplecm/config';
import { OUTPUT_LIMIT_BYTES } from '@simplecm/domain';
import { HEAP_GROWTH_PERCENT_DEFAULT } from '@simplecm/telemetry';

/**
 * Worker settings, each from a flag, else an environment variable, else the default.
 * Fault handling: docs/what-happens-when.md.
 */
export interface WorkerOptions {
  /**
   * `--concurrency` / SIMPLECM_WORKER_CONCURRENCY: host jobs at once. With queue partitions it is
   * shared by the partitions served, one BullMQ Worker each, as evenly as whole numbers allow
   * (at least 1 each; concurrencyShares in @simplecm/queue). @defaultValue `50`
   */
  concurrency?: number;
  /**
   * `--partitions` / SIMPLECM_WORKER_PARTITIONS: the queue partitions this worker takes host jobs
   * from (`0,2`), so that a fleet of workers can be split between them; each must be below
   * SIMPLECM_QUEUE_PARTITIONS. @defaultValue every partition
   */
  partitions?: number[];
  /** `--modules-dir` / SIMPLECM_MODULES_DIR. @defaultValue /etc/simple-cm/modules, else the repo's modules/ */
  modulesDir?: string;
  /** `--keys-dir` / SIMPLECM_KEYS_DIR: private keys by key name. @defaultValue `'/etc/simple-cm/keys'` */
  keysDir?: string;
  /** `--known-hosts` / SIMPLECM_KNOWN_HOSTS. @defaultValue `'/etc/simple-cm/known_hosts'` */
  knownHostsFile?: string;
  /** `--connect-timeout` / SIMPLECM_CONNECT_TIMEOUT_MS: TCP + SSH handshake. @defaultValue `10000` */
  connectTimeoutMs?: number;
  /** `--host-deadline` / SIMPLECM_HOST_DEADLINE_MS: a whole host. @defaultValue `3600000` */
  hostDeadlineMs?: number;
  /** `--name` / SIMPLECM_WORKER_NAME: shown in results. @defaultValue `<hostname>:<pid>` */
  name?: string;
  /**
   * `--accept-new-host-keys` / SIMPLECM_ACCEPT_NEW_HOST_KEYS=1: trust on first use: a host with
   * no known key is accepted once and its key appended to the known_hosts file. @defaultValue `false`
   */
  acceptNewHostKeys?: boolean;
  /**
   * `--lock-duration` / SIMPLECM_LOCK_DURATION_MS: a host job's lock. BullMQ renews it every quarter
   * of this while the host runs, however long; a dead worker's host is taken over about
   * lock-duration + stalled-interval after it died. Also the TTL of the per-host lock. Short since
   * the host journal: a host taken from a worker that was only slow attaches to the same driver
   * instead of running it again (docs/what-happens-when.md). @defaultValue `10000`
   */
  lockDurationMs?: number;
  /** `--stalled-interval` / SIMPLECM_STALLED_INTERVAL_MS: how often workers look for jobs whose lock expired. @defaultValue `5000` */
  stalledIntervalMs?: number;
  /** `--max-stalled` / SIMPLECM_MAX_STALLED_COUNT: takeovers of one host job before it is given up (recorded `unreachable`, cause `stalled`). @defaultValue `2` */
  maxStalledCount?: number;
  /** `--busy-retry` / SIMPLECM_BUSY_RETRY_MS: a host busy with another run is looked at again after this long (the job waits delayed, no attempt used). @defaultValue `5000` */
  busyRetryMs?: number;
  /** `--retry-max-delay` / SIMPLECM_RETRY_MAX_DELAY_MS: cap of the backoff between connection attempts (the first waits the job's backoff delay, then doubling). @defaultValue `60000` */
  retryMaxDelayMs?: number;
  /** `--shutdown-grace` / SIMPLECM_SHUTDOWN_GRACE_MS: on SIGTERM, running hosts may finish for this long; past it they are aborted and handed back. @defaultValue `30000` */
  shutdownGraceMs?: number;
  /**
   * `--job-public-keys` / SIMPLECM_JOB_PUBLIC_KEYS: the masters' Ed25519 public keys (a PEM file,
   * or a directory of `*.pem`, several at once while a key is rotated). A host job not signed by
   * one of them is refused and its host recorded `rejected`. @defaultValue `'/etc/simple-cm/job-keys'`
   */
  jobPublicKeys?: string;
  /** `--result-key` / SIMPLECM_RESULT_KEY: file of the key results are authenticated with (shared with the results consumers). @defaultValue `'/etc/simple-cm/result.key'` */
  resultKeyFile?: string;
  /**
   * `--seal-keys` / SIMPLECM_SEAL_PRIVATE_KEYS: the workers' X25519 private keys (a PEM file, or a
   * directory of `*.pem`, several while the key is rotated) that open the sensitive values masters
   * seal into host jobs; a job whose values do not open is refused and its host recorded
   * `rejected`. Only workers hold them. @defaultValue `'/etc/simple-cm/seal-keys'`
   */
  sealKeys?: string;
  /**
   * `--metrics-port` / SIMPLECM_WORKER_METRICS_PORT: serve /metrics, /healthz and /readyz on this
   * port (0: any free port, logged at start). @defaultValue none: no HTTP server
   */
  metricsPort?: number;
  /** `--metrics-host` / SIMPLECM_WORKER_METRICS_HOST: the address that server listens on. @defaultValue `'127.0.0.1'` */
  metricsHost?: string;
  /**
   * `--heap-growth-percent` / SIMPLECM_WORKER_HEAP_GROWTH_PERCENT: how far V8 lets the JavaScript
   * heap grow past what was alive at its last full collection before it collects again, in
   * percent (V8's `--heap-growing-percent`, set when the worker starts). V8's own choice on a
   * machine with gigabytes is up to 300 %: garbage of a 200-host run piled up to 290 MB of RSS
   * before it was collected. 0: V8's own choice. Cost and figures: docs/performance.md.
   * @defaultValue `50`
   */
  heapGrowthPercent?: number;
  /**
   * `--live-output-off` / SIMPLECM_WORKER_LIVE_OUTPUT_OFF=1: do not publish each operation's
   * result to the run's live output stream as it finishes (the dashboard then shows a host's
   * operations only once the host is done). @defaultValue `false`: published
   */
  liveOutputOff?: boolean;
}

const path = z.string().min(1);

const workerSettings: SettingSpec<WorkerOptions> = {
  concurrency: intSetting({ flag: 'concurrency', env: 'SIMPLECM_WORKER_CONCURRENCY' }, 1, 1000),
  partitions: intListSetting({ flag: 'partitions', env: 'SIMPLECM_WORKER_PARTITIONS', valueName: 'LIST' }, 0, MAX_QUEUE_PARTITIONS - 1),
  modulesDir: textSetting({ flag: 'modules-dir', env: 'SIMPLECM_MODULES_DIR' }, path),
  keysDir: textSetting({ flag: 'keys-dir', env: 'SIMPLECM_KEYS_DIR' }, path),
  knownHostsFile: textSetting({ flag: 'known-hosts', env: 'SIMPLECM_KNOWN_HOSTS' }, path),
  connectTimeoutMs: intSetting({ flag: 'connect-timeout', env: 'SIMPLECM_CONNECT_TIMEOUT_MS' }, 100, 600_000),
  hostDeadlineMs: intSetting({ flag: 'host-deadline', env: 'SIMPLECM_HOST_DEADLINE_MS' }, 1_000, 86_400_000),
  name: textSetting({ flag: 'name', env: 'SIMPLECM_WORKER_NAME' }, z.string().min(1).max(200)),
  acceptNewHostKeys: switchSetting({ flag: 'accept-new-host-keys', env: 'SIMPLECM_ACCEPT_NEW_HOST_KEYS' }),
  lockDurationMs: intSetting({ flag: 'lock-duration', env: 'SIMPLECM_LOCK_DURATION_MS' }, 1_000, 3_600_000),
  stalledIntervalMs: intSetting({ flag: 'stalled-interval', env: 'SIMPLECM_STALLED_INTERVAL_MS' }, 500, 3_600_000),
  maxStalledCount: intSetting({ flag: 'max-stalled', env: 'SIMPLECM_MAX_STALLED_COUNT' }, 0, 1_000),
  busyRetryMs: intSetting({ flag: 'busy-retry', env: 'SIMPLECM_BUSY_RETRY_MS' }, 100, 3_600_000),
  retryMaxDelayMs: intSetting({ flag: 'retry-max-delay', env: 'SIMPLECM_RETRY_MAX_DELAY_MS' }, 100, 86_400_000),
  shutdownGraceMs: intSetting({ flag: 'shutdown-grace', env: 'SIMPLECM_SHUTDOWN_GRACE_MS' }, 0, 86_400_000),
  jobPublicKeys: textSetting({ flag: 'job-public-keys', env: 'SIMPLECM_JOB_PUBLIC_KEYS' }, path),
  resultKeyFile: textSetting({ flag: 'result-key', env: 'SIMPLECM_RESULT_KEY' }, path),
  sealKeys: textSetting({ flag: 'seal-keys', env: 'SIMPLECM_SEAL_PRIVATE_KEYS' }, path),
  metricsPort: intSetting({ flag: 'metrics-port', env: 'SIMPLECM_WORKER_METRICS_PORT' }, 0, 65_535),
  metricsHost: textSetting({ flag: 'metrics-host', env: 'SIMPLECM_WORKER_METRICS_HOST' }, z.string().min(1)),
  heapGrowthPercent: intSetting({ flag: 'heap-growth-percent', env: 'SIMPLECM_WORKER_HEAP_GROWTH_PERCENT' }, 0, 1_000),
  liveOutputOff: switchSetting({ flag: 'live-output-off', env: 'SIMPLECM_WORKER_LIVE_OUTPUT_OFF' }),
};

function workerDefaults() {
  return {
    concurrency: 50,
    keysDir: '/etc/simple-cm/keys',
    knownHostsFile: '/etc/simple-cm/known_hosts',
    connectTimeoutMs: 10_000,
    hostDeadlineMs: 3_600_000,
    name: `${os.hostname()}:${process.pid}`,
    acceptNewHostKeys: false,
    lockDurationMs: 10_000,
    stalledIntervalMs: 5_000,
    maxStalledCount: 2,
    busyRetryMs: 5_000,
    retryMaxDelayMs: 60_000,
    shutdownGraceMs: 30_000,
    jobPublicKeys: '/etc/simple-cm/job-keys',
    resultKeyFile: '/etc/simple-cm/result.key',
    sealKeys: '/etc/simple-cm/seal-keys',
    metricsHost: '127.0.0.1',
    heapGrowthPercent: HEAP_GROWTH_PERCENT_DEFAULT,
    liveOutputOff: false,
  } satisfies WorkerOptions;
}

/** Every worker setting resolved and checked; the only form that travels. */
export type WorkerConfig = Resolved<WorkerOptions, ReturnType<typeof workerDefaults>> & {
  /** Captured output per stream and operation, cut on the host (the domain's limit). */
  readonly outputLimitBytes: number;
};

/** Checks options that are already typed (from code) and fills in the defaults. */
export function resolveWorkerOptions(options: WorkerOptions): WorkerConfig {
  return { ...resolveSettings(workerSettings, workerDefaults(), options), outputLimitBytes: OUTPUT_LIMIT_BYTES };
}

/** Defaults < environment < flags, resolved once per process. */
export function compileWorkerOptions(argv: readonly string[], env: NodeJS.ProcessEnv): WorkerConfig {
  const help = () =>
    formatCommandHelp(
      {
        usage: `${env.SIMPLECM_COMMAND_NAME ?? 'simplecm worker'} [options]`,
        summary: 'Takes host jobs from Redis and converges each host over one SSH connection; runs until SIGTERM or SIGINT.',
        examples: ['simplecm worker --concurrency 20', 'SIMPLECM_KEYS_DIR=./keys simplecm worker --accept-new-host-keys'],
        env: [...REDIS_ENV],
      },
      workerSettings,
      workerDefaults(),
    );
  return resolveWorkerOptions(readSettings(argv, env, workerSettings, help));
}
