import { z } from 'zod';
import { ConfigError, intFlag, parseCli, zodIssues } from '@simplecm/config';

/**
 * Results consumer settings, each from a flag, else an environment variable, else the default:
 * - `--concurrency` / SIMPLECM_RESULTS_CONCURRENCY: results held at once, default 256. Results
 *   held together are written together (see resultWriter), so this is also the largest group:
 *   at 64 a 10,000-host drain wrote groups of about 20 hosts, at 256 groups of about 250 and
 *   went faster for less CPU per result. A result is about 3 KB in memory (up to ~1.3 MB with
 *   ten operations' full 64 KiB outputs).
 * - `--retry-delay` / SIMPLECM_RESULTS_RETRY_DELAY_MS: first wait after a failed write, default 500 ms.
 * - `--retry-max-delay` / SIMPLECM_RESULTS_RETRY_MAX_DELAY_MS: cap of the doubling wait, default
 *   5000 ms, so writes resume within about this long once Cassandra is back.
 * - `--reconnect-interval` / SIMPLECM_STORE_RECONNECT_MS: while writes find no Cassandra node, a new
 *   driver client is tried at most this often (the driver's own reconnection backs off up to
 *   10 minutes), default 2000 ms.
 * - `--lock-duration` / SIMPLECM_RESULTS_LOCK_DURATION_MS: a result's lock (renewed while it is
 *   written), default 30000 ms; a killed consumer's results are redelivered about
 *   lock-duration + stalled-interval later.
 * - `--stalled-interval` / SIMPLECM_RESULTS_STALLED_INTERVAL_MS: default 15000 ms.
 * - `--batch-hosts` / SIMPLECM_RESULTS_BATCH_HOSTS: results written together go to Cassandra in
 *   unlogged batches of at most this many hosts, default 16. A host's rows span 2 partitions
 *   (its operation results, its history) plus 2 per run, so 16 hosts is up to 34 partitions:
 *   Cassandra warns (once a minute) above `unlogged_batch_across_partitions_warn_threshold`
 *   (10 by default, 50 in the local stack). 1 writes every host on its own.
 * - `--batch-bytes` / SIMPLECM_RESULTS_BATCH_BYTES: and of about this many bytes of rows, default
 *   40960: under Cassandra's default `batch_size_fail_threshold` (50 KiB); Cassandra logs every
 *   batch over `batch_size_warn_threshold` (5 KiB by default, 64 KiB in the local stack), so raise
 *   that to at least this. A host larger than this on its own is written alone.
 */
export interface ResultsOptions {
  readonly concurrency: number;
  readonly retryDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly reconnectIntervalMs: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly batchHosts: number;
  readonly batchBytes: number;
}

const flagSpec = {
  concurrency: { type: 'string' },
  'retry-delay': { type: 'string' },
  'retry-max-delay': { type: 'string' },
  'reconnect-interval': { type: 'string' },
  'lock-duration': { type: 'string' },
  'stalled-interval': { type: 'string' },
  'batch-hosts': { type: 'string' },
  'batch-bytes': { type: 'string' },
} as const;

const flagsSchema = z.object({
  concurrency: intFlag(1, 1000).optional(),
  'retry-delay': intFlag(10, 600_000).optional(),
  'retry-max-delay': intFlag(10, 3_600_000).optional(),
  'reconnect-interval': intFlag(100, 600_000).optional(),
  'lock-duration': intFlag(1_000, 3_600_000).optional(),
  'stalled-interval': intFlag(500, 3_600_000).optional(),
  'batch-hosts': intFlag(1, 1000).optional(),
  'batch-bytes': intFlag(1_024, 16_777_216).optional(),
});

const envSchema = z.object({
  SIMPLECM_RESULTS_CONCURRENCY: intFlag(1, 1000).optional(),
  SIMPLECM_RESULTS_RETRY_DELAY_MS: intFlag(10, 600_000).optional(),
  SIMPLECM_RESULTS_RETRY_MAX_DELAY_MS: intFlag(10, 3_600_000).optional(),
  SIMPLECM_STORE_RECONNECT_MS: intFlag(100, 600_000).optional(),
  SIMPLECM_RESULTS_LOCK_DURATION_MS: intFlag(1_000, 3_600_000).optional(),
  SIMPLECM_RESULTS_STALLED_INTERVAL_MS: intFlag(500, 3_600_000).optional(),
  SIMPLECM_RESULTS_BATCH_HOSTS: intFlag(1, 1000).optional(),
  SIMPLECM_RESULTS_BATCH_BYTES: intFlag(1_024, 16_777_216).optional(),
});

export function compileResultsOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ResultsOptions {
  const { flags } = parseCli(argv, flagSpec, flagsSchema);
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) throw new ConfigError(`invalid environment:\n${zodIssues(parsedEnv.error, (p) => String(p[0]))}`);
  const e = parsedEnv.data;
  const retryDelayMs = flags['retry-delay'] ?? e.SIMPLECM_RESULTS_RETRY_DELAY_MS ?? 500;
  const retryMaxDelayMs = flags['retry-max-delay'] ?? e.SIMPLECM_RESULTS_RETRY_MAX_DELAY_MS ?? 5_000;
  if (retryMaxDelayMs < retryDelayMs) throw new ConfigError(`--retry-max-delay (${retryMaxDelayMs}) must be at least --retry-delay (${retryDelayMs})`);
  return {
    concurrency: flags.concurrency ?? e.SIMPLECM_RESULTS_CONCURRENCY ?? 256,
    retryDelayMs,
    retryMaxDelayMs,
    reconnectIntervalMs: flags['reconnect-interval'] ?? e.SIMPLECM_STORE_RECONNECT_MS ?? 2_000,
    lockDurationMs: flags['lock-duration'] ?? e.SIMPLECM_RESULTS_LOCK_DURATION_MS ?? 30_000,
    stalledIntervalMs: flags['stalled-interval'] ?? e.SIMPLECM_RESULTS_STALLED_INTERVAL_MS ?? 15_000,
    batchHosts: flags['batch-hosts'] ?? e.SIMPLECM_RESULTS_BATCH_HOSTS ?? 16,
    batchBytes: flags['batch-bytes'] ?? e.SIMPLECM_RESULTS_BATCH_BYTES ?? 40_960,
  };
}
