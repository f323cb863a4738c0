import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client as CassandraClient } from 'cassandra-driver';
import type { Client as SshClient } from 'ssh2';
import fs from 'node:fs';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { Host, Operation } from '@simplecm/domain';
import { applySchema, connectCassandra, inventoryStore } from '@simplecm/store';
import { connectHost, hostKeyPolicy, loadKnownHosts } from '@simplecm/ssh';
import os from 'node:os';
import { generateSealKeys, hostAddress, seed, stackEnv, stackPaths, type Started, startProcess, stopStarted } from '@simplecm/stack';

/**
 * A SimpleCM installation of its own on the shared stack: its own keyspace and queue prefix,
 * so tests cannot see each other's runs, plus the processes it runs.
 */
export interface TestSystem {
  readonly env: Record<string, string>;
  readonly keyspace: string;
  readonly prefix: string;
  readonly cassandra: CassandraClient;
  readonly processes: Started[];
  startWorkers(n: number, args?: string[]): Started[];
  startResults(): Started;
  enqueue(args: string[]): Promise<{ code: number | string; output: string; runId?: string }>;
  seed(): Promise<void>;
  close(): Promise<void>;
}

/** `env`: more settings of the installation, given to every process (SIMPLECM_QUEUE_PARTITIONS). */
export async function createTestSystem(name: string, env: Record<string, string> = {}): Promise<TestSystem> {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
  const keyspace = `t_${name.replace(/[^a-z0-9]/g, '_').slice(0, 20)}_${suffix}`;
  const prefix = `test-${name}-${suffix}`;
  return systemOn(keyspace, prefix, { ...stackEnv(keyspace), SIMPLECM_QUEUE_PREFIX: prefix, ...env });
}

/**
 * `env` with seal keys: the stack's (.stack/job-keys, made by `stack up`) when they are there,
 * else a pair made for this process in a temporary directory (a .stack from before seal keys).
 */
function withSealKeys(env: Record<string, string>): Record<string, string> {
  const have = (name: string) => env[name] !== undefined && fs.existsSync(env[name]!);
  if (have('SIMPLECM_SEAL_PUBLIC_KEY') && have('SIMPLECM_SEAL_PRIVATE_KEYS')) return env;
  sealKeysOfThisProcess ??= (() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seal-keys-'));
    generateSealKeys(path.join(dir, 'private'), path.join(dir, 'public.pem'));
    return { SIMPLECM_SEAL_PUBLIC_KEY: path.join(dir, 'public.pem'), SIMPLECM_SEAL_PRIVATE_KEYS: path.join(dir, 'private') };
  })();
  return { ...env, ...sealKeysOfThisProcess };
}
let sealKeysOfThisProcess: Record<string, string> | undefined;

/**
 * The installation behind `createTestSystem` (and the cluster suite's): its keyspace created
 * with the replication `env` names, and the processes started with `env`.
 */
export async function systemOn(keyspace: string, prefix: string, stack: Record<string, string>): Promise<TestSystem> {
  const env = withSealKeys(stack);
  const config = connectionConfigFromEnv(env);
  const cassandra = await connectCassandra(config.cassandra);
  await applySchema(cassandra, keyspace, config.cassandra.replication);
  const processes: Started[] = [];
  let workerCount = 0;
  return {
    env,
    keyspace,
    prefix,
    cassandra,
    processes,
    startWorkers(n, args = []) {
      const started = Array.from({ length: n }, () => startProcess('worker', ['--name', `w${++workerCount}`, ...args], env));
      processes.push(...started);
      return started;
    },
    startResults() {
      const started = startProcess('results-consumer', [], env);
      processes.push(started);
      return started;
    },
    async enqueue(args) {
      const run = startProcess('enqueue', args, env);
      const code = await run.exited;
      const output = run.output();
      return { code, output, runId: /run ([0-9a-f-]{36})/.exec(output)?.[1] };
    },
    async seed() {
      await seed({ ...process.env, ...env });
    },
    async close() {
      try {
        await Promise.all(processes.map((p) => stopStarted(p)));
        await dropKeyspace(cassandra, keyspace);
      } finally {
        // Always: an open client keeps jest from exiting (seen after a failed DROP on the ring).
        await cassandra.shutdown();
      }
    },
  };
}

/**
 * Drops a test keyspace. On the ring, right after a node restarted, the coordinator can answer
 * `Unknown CF <id>` while that node still replays hints into the tables being dropped; the drop
 * is idempotent (IF EXISTS), so it is tried again once the schema has settled.
 */
async function dropKeyspace(cassandra: CassandraClient, keyspace: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
      return;
    } catch (error) {
      if (attempt >= 5 || !/Unknown CF|schema/i.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 2_000 * attempt));
    }
  }
}

/** Runs a command on stack host N over a verified SSH connection; returns stdout (throws on non-zero exit). */
export async function onHost(n: number, command: string): Promise<{ stdout: string; code: number }> {
  const client: SshClient = await connectHost(
    { hostname: `host${n}`, address: hostAddress(n), port: 22, user: 'root' },
    { privateKey: fs.readFileSync(`${stackPaths.keysDir}/stack`), hostKeys: hostKeyPolicy(loadKnownHosts(stackPaths.knownHosts)), connectTimeoutMs: 10_000 },
  );
  try {
    return await new Promise((resolve, reject) => {
      client.exec(command, (error, channel) => {
        if (error) return reject(error);
        let stdout = '';
        let code = -1;
        channel.on('data', (d: Buffer) => (stdout += d.toString()));
        channel.stderr.on('data', () => undefined);
        channel.on('exit', (c: number) => (code = c));
        channel.on('close', () => resolve({ stdout, code }));
      });
    });
  } finally {
    client.end();
  }
}

/** Where a root SSH user's host journals live (packages/ssh, host-journal.ts), and its parents, relative to /. */
const JOURNAL_ROOT_AND_PARENTS = new Set(['var', 'var/lib', 'var/lib/simplecm', 'var/lib/simplecm/journal']);

/**
 * Everything host N has written since it started, read from its overlay's upper dir on this
 * machine: path, type, mode, size, mtime and content digest of every entry. Two equal
 * fingerprints mean the host's filesystem is byte-for-byte the same.
 */
export function hostFingerprint(n: number): string {
  const upper = path.join(stackPaths.hostsDir, `host${n}`, 'upper');
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const st = fs.lstatSync(file);
      const digest = st.isFile() ? createHash('sha256').update(fs.readFileSync(file)).digest('hex') : st.isSymbolicLink() ? fs.readlinkSync(file) : '';
      const rel = path.relative(upper, file);
      // The journal root is SimpleCM's own bookkeeping (as the driver's directory under /tmp is):
      // the first host job on a host makes it (so its parents appear in the overlay), and every
      // host job, check mode included, adds and removes its journal there. Those directories are
      // not compared; what is in them is: a journal left behind, or a file an operation wrote
      // under /var/lib, shows up.
      if (!JOURNAL_ROOT_AND_PARENTS.has(rel)) lines.push(`${rel} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${digest}`);
      if (st.isDirectory()) walk(file);
    }
  };
  walk(upper);
  return lines.join('\n');
}

/** Stack host N as the inventory describes it (root, key 'stack'), with overrides. */
export function stackHost(n: number, overrides: Partial<Host> = {}): Host {
  return { hostname: `host${n}`, address: hostAddress(n), port: 22, user: 'root', keyName: 'stack', groups: ['all'], vars: {}, hostKeys: [], become: null, ...overrides };
}

/** Writes hosts and their operations into the test system's inventory. */
export async function putDesiredState(system: TestSystem, entries: ReadonlyArray<{ host: Host; operations: Operation[] }>): Promise<void> {
  const inventory = inventoryStore(system.cassandra, system.keyspace);
  for (const { host, operations } of entries) {
    await inventory.putHost(host);
    await inventory.putOperations(host.hostname, operations);
  }
}

/** The public host key line (`ssh-ed25519 AAAA…`) the stack recorded for host N. */
export function stackHostKey(n: number): string {
  const line = fs.readFileSync(stackPaths.knownHosts, 'utf8').split('\n').find((l) => l.startsWith(`host${n},`));
  if (!line) throw new Error(`host${n} is not in ${stackPaths.knownHosts}`);
  return line.split(' ').slice(1, 3).join(' ');
}
