import { z } from 'zod';
import { HEAP_GROWTH_PERCENT_DEFAULT } from '@simplecm/telemetry';
import { CASSANDRA_ENV, ConfigError, formatCommandHelp, intListSetting, intSetting, MAX_QUEUE_PARTITIONS, readSettings, REDIS_ENV, resolveSettings, textSetting, type Resolved, type SettingSpec } from '@simplecm/config';

/** Results consumer settings, each from a flag, else an environment variable, else the default. */
export interface ResultsOptions {
  /**
   * `--concurrency` / SIMPLECM_RESULTS_CONCURRENCY: results held at once: the most entries one
   * read of a result stream takes (XREADGROUP COUNT), less those held for a retry. Results held
   * together are written together (see resultWriter), so this is also the largest group: at 64 a
   * 10,000-host drain wrote groups of about 20 hosts, at 256 groups of about 250 and went faster
   * for less CPU per result. A result is about 3 KB in memory (up to ~1.3 MB with ten
   * operations' full 64 KiB outputs). @defaultValue `256`
   */
  concurrency?: number;
  /**
   * `--partitions` / SIMPLECM_RESULTS_PARTITIONS: the queue partitions whose results this
   * consumer writes (`0,2`); each must be below SIMPLECM_QUEUE_PARTITIONS. Its `--concurrency`
   * is shared by them as the worker's is. @defaultValue every partition
   */
  partitions?: number[];
  /** `--retry-delay` / SIMPLECM_RESULTS_RETRY_DELAY_MS: first wait after a failed write. @defaultValue `500` */
  retryDelayMs?: number;
  /**
   * `--retry-max-delay` / SIMPLECM_RESULTS_RETRY_MAX_DELAY_MS: cap of the doubling wait, so writes
   * resume within about this long once Cassandra is back; at least the retry delay. @defaultValue `5000`
   */
  retryMaxDelayMs?: number;
  /**
   * `--reconnect-interval` / SIMPLECM_STORE_RECONNECT_MS: while writes find no Cassandra node, a new
   * driver client is tried at most this often (the driver's own reconnection backs off up to
   * 10 minutes). @defaultValue `2000`
   */
  reconnectIntervalMs?: number;
  /**
   * `--lock-duration` / SIMPLECM_RESULTS_LOCK_DURATION_MS: an entry read by a consumer and not
   * acknowledged for this long is claimed by another (XAUTOCLAIM): a killed consumer's results
   * are redelivered about lock-duration + stalled-interval later. A consumer retrying an entry
   * claims it again at each retry, so this must be above `--retry-max-delay`. @defaultValue `30000`
   */
  lockDurationMs?: number;
  /** `--stalled-interval` / SIMPLECM_RESULTS_STALLED_INTERVAL_MS: how often a consumer looks for entries to claim. @defaultValue `15000` */
  stalledIntervalMs?: number;
  /**
   * `--batch-hosts` / SIMPLECM_RESULTS_BATCH_HOSTS: results written together go to Cassandra in
   * unlogged batches of at most this many hosts. A host's rows span 2 partitions (its operation
   * results, its history) plus 2 per run, so 16 hosts is up to 34 partitions: Cassandra warns
   * (once a minute) above `unlogged_batch_across_partitions_warn_threshold` (10 by default, 50 in
   * the local stack). 1 writes every host on its own. @defaultValue `16`
   */
  batchHosts?: number;
  /**
   * `--batch-bytes` / SIMPLECM_RESULTS_BATCH_BYTES: and of about this many bytes of rows: under
   * Cassandra's default `batch_size_fail_threshold` (50 KiB); Cassandra logs every batch over
   * `batch_size_warn_threshold` (5 KiB by default, 64 KiB in the local stack), so raise that to at
   * least this. A host larger than this on its own is written alone. @defaultValue `40960`
   */
  batchBytes?: number;
  /** `--result-key` / SIMPLECM_RESULT_KEY: file of the key results are authenticated with (the workers'). @defaultValue `'/etc/simple-cm/result.key'` */
  resultKeyFile?: string;
  /**
   * `--metrics-port` / SIMPLECM_RESULTS_METRICS_PORT: serve /metrics, /healthz and /readyz on this
   * port (0: any free port, logged at start). @defaultValue none: no HTTP server
   */
  metricsPort?: number;
  /** `--metrics-host` / SIMPLECM_RESULTS_METRICS_HOST: the address that server listens on. @defaultValue `'127.0.0.1'` */
  metricsHost?: string;
  /**
   * `--heap-growth-percent` / SIMPLECM_RESULTS_HEAP_GROWTH_PERCENT: how far V8 lets the heap grow
   * past what was alive at its last full collection (V8's `--heap-growing-percent`; 0: V8's own
   * choice, up to 300 %). See setHeapGrowthPercent in @simplecm/telemetry. @defaultValue `50`
   */
  heapGrowthPercent?: number;
}

const resultsSettings: SettingSpec<ResultsOptions> = {
  concurrency: intSetting({ flag: 'concurrency', env: 'SIMPLECM_RESULTS_CONCURRENCY' }, 1, 1000),
  partitions: intListSetting({ flag: 'partitions', env: 'SIMPLECM_RESULTS_PARTITIONS', valueName: 'LIST' }, 0, MAX_QUEUE_PARTITIONS - 1),
  retryDelayMs: intSetting({ flag: 'retry-delay', env: 'SIMPLECM_RESULTS_RETRY_DELAY_MS' }, 10, 600_000),
  retryMaxDelayMs: intSetting({ flag: 'retry-max-delay', env: 'SIMPLECM_RESULTS_RETRY_MAX_DELAY_MS' }, 10, 3_600_000),
  reconnectIntervalMs: intSetting({ flag: 'reconnect-interval', env: 'SIMPLECM_STORE_RECONNECT_MS' }, 100, 600_000),
  lockDurationMs: intSetting({ flag: 'lock-duration', env: 'SIMPLECM_RESULTS_LOCK_DURATION_MS' }, 1_000, 3_600_000),
  stalledIntervalMs: intSetting({ flag: 'stalled-interval', env: 'SIMPLECM_RESULTS_STALLED_INTERVAL_MS' }, 500, 3_600_000),
  batchHosts: intSetting({ flag: 'batch-hosts', env: 'SIMPLECM_RESULTS_BATCH_HOSTS' }, 1, 1000),
  batchBytes: intSetting({ flag: 'batch-bytes', env: 'SIMPLECM_RESULTS_BATCH_BYTES' }, 1_024, 16_777_216),
  resultKeyFile: textSetting({ flag: 'result-key', env: 'SIMPLECM_RESULT_KEY' }, z.string().min(1)),
  metricsPort: intSetting({ flag: 'metrics-port', env: 'SIMPLECM_RESULTS_METRICS_PORT' }, 0, 65_535),
  metricsHost: textSetting({ flag: 'metrics-host', env: 'SIMPLECM_RESULTS_METRICS_HOST' }, z.string().min(1)),
  heapGrowthPercent: intSetting({ flag: 'heap-growth-percent', env: 'SIMPLECM_RESULTS_HEAP_GROWTH_PERCENT' }, 0, 1_000),
};

const resultsDefaults = {
  concurrency: 256,
  retryDelayMs: 500,
  retryMaxDelayMs: 5_000,
  reconnectIntervalMs: 2_000,
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  batchHosts: 16,
  batchBytes: 40_960,
  resultKeyFile: '/etc/simple-cm/result.key',
  metricsHost: '127.0.0.1',
  heapGrowthPercent: HEAP_GROWTH_PERCENT_DEFAULT,
} satisfies ResultsOptions;

/** Every results consumer setting resolved and checked; the only form that travels. */
export type ResultsConfig = Resolved<ResultsOptions, typeof resultsDefaults>;

/** Checks options that are already typed (from code) and fills in the defaults. */
export function resolveResultsOptions(options: ResultsOptions): ResultsConfig {
  const config = resolveSettings(resultsSettings, resultsDefaults, options);
  if (config.retryMaxDelayMs < config.retryDelayMs) {
    throw new ConfigError(`--retry-max-delay (${config.retryMaxDelayMs}) must be at least --retry-delay (${config.retryDelayMs})`);
  }
  // A result being retried is claimed again by its consumer at each retry; idle longer than
  // --lock-duration between two, another consumer would claim it and write it too.
  if (config.lockDurationMs <= config.retryMaxDelayMs) {
    throw new ConfigError(`--lock-duration (${config.lockDurationMs}) must be above --retry-max-delay (${config.retryMaxDelayMs}): a result waiting for its next retry would be claimed by another consumer`);
  }
  return config;
}

/** Defaults < environment < flags, resolved once per process. */
export function compileResultsOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ResultsConfig {
  const help = () =>
    formatCommandHelp(
      {
        usage: `${env.SIMPLECM_COMMAND_NAME ?? 'simplecm results-consumer'} [options]`,
        summary: "Takes the workers' results from the Redis result streams and writes every operation's outcome to Cassandra; runs until SIGTERM or SIGINT.",
        examples: ['simplecm results-consumer'],
        env: [...REDIS_ENV, ...CASSANDRA_ENV],
      },
      resultsSettings,
      resultsDefaults,
    );
  return resolveResultsOptions(readSettings(argv, env, resultsSettings, help));
}
