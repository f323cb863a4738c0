import os from 'node:os';
import { z } from 'zod';
import { ConfigError, intFlag, parseCli, zodIssues } from '@simplecm/config';
import { OUTPUT_LIMIT_BYTES } from '@simplecm/domain';

/**
 * Worker settings, each from a flag, else an environment variable, else the default:
 * - `--concurrency` / SIMPLECM_WORKER_CONCURRENCY: host jobs at once, default 50.
 * - `--modules-dir` / SIMPLECM_MODULES_DIR: default /etc/simple-cm/modules, else the repo's modules/.
 * - `--keys-dir` / SIMPLECM_KEYS_DIR: private keys by key name, default /etc/simple-cm/keys.
 * - `--known-hosts` / SIMPLECM_KNOWN_HOSTS: default /etc/simple-cm/known_hosts.
 * - `--connect-timeout` / SIMPLECM_CONNECT_TIMEOUT_MS: TCP + SSH handshake, default 10000 ms.
 * - `--host-deadline` / SIMPLECM_HOST_DEADLINE_MS: a whole host, default 3600000 ms.
 * - `--name` / SIMPLECM_WORKER_NAME: shown in results, default `<hostname>:<pid>`.
 * - `--accept-new-host-keys` / SIMPLECM_ACCEPT_NEW_HOST_KEYS=1: trust on first use, off by default:
 *   a host with no known key is accepted once and its key appended to the known_hosts file.
 *
 * Fault handling (docs/what-happens-when.md):
 * - `--lock-duration` / SIMPLECM_LOCK_DURATION_MS: a host job's lock, default 60000 ms. BullMQ renews
 *   it every quarter of this while the host runs, however long; a dead worker's host is taken over
 *   about lock-duration + stalled-interval after it died. Also the TTL of the per-host lock.
 * - `--stalled-interval` / SIMPLECM_STALLED_INTERVAL_MS: how often workers look for jobs whose lock
 *   expired, default 30000 ms.
 * - `--max-stalled` / SIMPLECM_MAX_STALLED_COUNT: takeovers of one host job before it is given up
 *   (and recorded `unreachable`, cause `stalled`), default 2.
 * - `--busy-retry` / SIMPLECM_BUSY_RETRY_MS: a host busy with another run is looked at again after
 *   this long (the job waits delayed, no attempt used), default 5000 ms.
 * - `--retry-max-delay` / SIMPLECM_RETRY_MAX_DELAY_MS: cap of the backoff between connection
 *   attempts (the first waits the job's backoff delay, then doubling), default 60000 ms.
 * - `--shutdown-grace` / SIMPLECM_SHUTDOWN_GRACE_MS: on SIGTERM, running hosts may finish for this
 *   long; past it they are aborted and handed back to the queue, default 30000 ms.
 */
export interface WorkerOptions {
  readonly concurrency: number;
  readonly modulesDir: string | undefined;
  readonly keysDir: string;
  readonly knownHostsFile: string;
  readonly connectTimeoutMs: number;
  readonly hostDeadlineMs: number;
  readonly outputLimitBytes: number;
  readonly name: string;
  readonly acceptNewHostKeys: boolean;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  readonly busyRetryMs: number;
  readonly retryMaxDelayMs: number;
  readonly shutdownGraceMs: number;
}

const flagSpec = {
  concurrency: { type: 'string' },
  'modules-dir': { type: 'string' },
  'keys-dir': { type: 'string' },
  'known-hosts': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'host-deadline': { type: 'string' },
  name: { type: 'string' },
  'accept-new-host-keys': { type: 'boolean' },
  'lock-duration': { type: 'string' },
  'stalled-interval': { type: 'string' },
  'max-stalled': { type: 'string' },
  'busy-retry': { type: 'string' },
  'retry-max-delay': { type: 'string' },
  'shutdown-grace': { type: 'string' },
} as const;

const flagsSchema = z.object({
  concurrency: intFlag(1, 1000).optional(),
  'modules-dir': z.string().min(1).optional(),
  'keys-dir': z.string().min(1).optional(),
  'known-hosts': z.string().min(1).optional(),
  'connect-timeout': intFlag(100, 600_000).optional(),
  'host-deadline': intFlag(1_000, 86_400_000).optional(),
  name: z.string().min(1).max(200).optional(),
  'accept-new-host-keys': z.boolean().optional(),
  'lock-duration': intFlag(1_000, 3_600_000).optional(),
  'stalled-interval': intFlag(500, 3_600_000).optional(),
  'max-stalled': intFlag(0, 1_000).optional(),
  'busy-retry': intFlag(100, 3_600_000).optional(),
  'retry-max-delay': intFlag(100, 86_400_000).optional(),
  'shutdown-grace': intFlag(0, 86_400_000).optional(),
});

const envSchema = z.object({
  SIMPLECM_WORKER_CONCURRENCY: intFlag(1, 1000).optional(),
  SIMPLECM_MODULES_DIR: z.string().min(1).optional(),
  SIMPLECM_KEYS_DIR: z.string().min(1).optional(),
  SIMPLECM_KNOWN_HOSTS: z.string().min(1).optional(),
  SIMPLECM_CONNECT_TIMEOUT_MS: intFlag(100, 600_000).optional(),
  SIMPLECM_HOST_DEADLINE_MS: intFlag(1_000, 86_400_000).optional(),
  SIMPLECM_WORKER_NAME: z.string().min(1).max(200).optional(),
  SIMPLECM_ACCEPT_NEW_HOST_KEYS: z.enum(['0', '1']).optional(),
  SIMPLECM_LOCK_DURATION_MS: intFlag(1_000, 3_600_000).optional(),
  SIMPLECM_STALLED_INTERVAL_MS: intFlag(500, 3_600_000).optional(),
  SIMPLECM_MAX_STALLED_COUNT: intFlag(0, 1_000).optional(),
  SIMPLECM_BUSY_RETRY_MS: intFlag(100, 3_600_000).optional(),
  SIMPLECM_RETRY_MAX_DELAY_MS: intFlag(100, 86_400_000).optional(),
  SIMPLECM_SHUTDOWN_GRACE_MS: intFlag(0, 86_400_000).optional(),
});

export function compileWorkerOptions(argv: readonly string[], env: NodeJS.ProcessEnv): WorkerOptions {
  const { flags } = parseCli(argv, flagSpec, flagsSchema);
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) throw new ConfigError(`invalid environment:\n${zodIssues(parsedEnv.error, (p) => String(p[0]))}`);
  const e = parsedEnv.data;
  return {
    concurrency: flags.concurrency ?? e.SIMPLECM_WORKER_CONCURRENCY ?? 50,
    modulesDir: flags['modules-dir'] ?? e.SIMPLECM_MODULES_DIR,
    keysDir: flags['keys-dir'] ?? e.SIMPLECM_KEYS_DIR ?? '/etc/simple-cm/keys',
    knownHostsFile: flags['known-hosts'] ?? e.SIMPLECM_KNOWN_HOSTS ?? '/etc/simple-cm/known_hosts',
    connectTimeoutMs: flags['connect-timeout'] ?? e.SIMPLECM_CONNECT_TIMEOUT_MS ?? 10_000,
    hostDeadlineMs: flags['host-deadline'] ?? e.SIMPLECM_HOST_DEADLINE_MS ?? 3_600_000,
    outputLimitBytes: OUTPUT_LIMIT_BYTES,
    name: flags.name ?? e.SIMPLECM_WORKER_NAME ?? `${os.hostname()}:${process.pid}`,
    acceptNewHostKeys: flags['accept-new-host-keys'] ?? e.SIMPLECM_ACCEPT_NEW_HOST_KEYS === '1',
    lockDurationMs: flags['lock-duration'] ?? e.SIMPLECM_LOCK_DURATION_MS ?? 60_000,
    stalledIntervalMs: flags['stalled-interval'] ?? e.SIMPLECM_STALLED_INTERVAL_MS ?? 30_000,
    maxStalledCount: flags['max-stalled'] ?? e.SIMPLECM_MAX_STALLED_COUNT ?? 2,
    busyRetryMs: flags['busy-retry'] ?? e.SIMPLECM_BUSY_RETRY_MS ?? 5_000,
    retryMaxDelayMs: flags['retry-max-delay'] ?? e.SIMPLECM_RETRY_MAX_DELAY_MS ?? 60_000,
    shutdownGraceMs: flags['shutdown-grace'] ?? e.SIMPLECM_SHUTDOWN_GRACE_MS ?? 30_000,
  };
}
