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
  };
}
