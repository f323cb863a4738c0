/**
 * A SimpleCM installation of the bench's own on the shared stack (the idea of
 * test/support/system.ts): its own keyspace and queue prefix, its inventory, and the real
 * worker / results / enqueue processes, each measured through /proc.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client as CassandraClient } from 'cassandra-driver';
import { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { Host, Operation } from '@simplecm/domain';
import { applySchema, connectCassandra, inventoryStore, runStore, type InventoryStore, type RunStore } from '@simplecm/store';
import { spawn } from 'node:child_process';
import { entryPoints, repoRoot, stackEnv, type Started, startProcess, stopStarted } from '@simplecm/stack';
import { trackResource } from './open-resources';
import { childPids, cpuSecondsFromStat, hwmKbFromStatus, resetPeakRss, sampleProcess } from './proc-stats';
import { closeAll } from '@simplecm/kernel';

export const benchDir = path.join(repoRoot, '.bench');
const usageHook = path.join(__dirname, 'usage-hook.cjs');

/** A started SimpleCM process and the node process inside it that does the work. */
export interface BenchProcess {
  readonly name: string;
  readonly started: Started;
  /** The node process that runs the app (with tsx, a child of the spawned one): the one measured. */
  readonly appPid: number;
}

/** CPU seconds used and peak RSS during one measured window. */
export interface ProcessCost {
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
}

export interface EnqueueOutcome {
  readonly code: number | string;
  readonly output: string;
  readonly runId: string | undefined;
  readonly spawnedAt: number;
  readonly exitedAt: number;
  /** When enqueue first reported jobs added (validation and the run row are done by then), if it did. */
  readonly firstProgressAt: number | undefined;
  /** The enqueue node process's own figures, recorded by usage-hook.cjs as it exited. */
  readonly cost: ProcessCost | undefined;
  /** CPU seconds of every node process the spawn ran (with tsx: its wrapper too). */
  readonly allCpuSeconds: number;
}

export interface RunRow {
  readonly status: string;
  readonly hostsDone: number;
  readonly hostCount: number;
  readonly finishedAt: Date | null;
  readonly counts: Record<'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable', number>;
}

export interface BenchSystem {
  readonly keyspace: string;
  readonly prefix: string;
  readonly env: Record<string, string>;
  readonly cassandra: CassandraClient;
  readonly inventory: InventoryStore;
  readonly runs: RunStore;
  /** Writes hosts and their operations, `concurrency` hosts at a time. */
  putDesiredState(entries: ReadonlyArray<{ host: Host; operations: Operation[] }>, concurrency?: number): Promise<void>;
  startWorkers(n: number, args: string[], extraEnv?: Record<string, string>): Promise<BenchProcess[]>;
  startResults(extraEnv?: Record<string, string>): Promise<BenchProcess>;
  /** A resident master (`simplecm master`) on this system's prefix: `enqueue` then submits its runs to it. */
  startMaster(extraEnv?: Record<string, string>): Promise<BenchProcess>;
  stopProcesses(which?: readonly BenchProcess[]): Promise<void>;
  enqueue(args: string[], extraEnv?: Record<string, string>): Promise<EnqueueOutcome>;
  readRun(runId: string): Promise<RunRow | undefined>;
  /** Polls the run row until it is finished; resolves with it (finished_at is the end time). */
  waitRunFinished(runId: string, timeoutMs: number, onPoll?: (row: RunRow | undefined) => void): Promise<RunRow>;
  close(): Promise<void>;
}

export interface BenchSystemOptions {
  /** Keyspace name; default `bench_<name>_<random>`, dropped on close. A given one is kept. */
  readonly keyspace?: string;
  /** Extra environment for every process (e.g. another known_hosts file). */
  readonly env?: Record<string, string>;
  /**
   * `app` (default): the processes as `npm run worker` etc. start them (startProcess of @simplecm/stack:
   * node on each app's esbuild bundle). `tsx`: from the TypeScript sources through tsx, as they
   * ran before that build step.
   */
  readonly runner?: 'app' | 'tsx';
}

/** Like startProcess of @simplecm/stack, from the TypeScript entry point through tsx. */
function startTsx(role: 'worker' | 'results-consumer' | 'enqueue' | 'master', args: readonly string[], env: Record<string, string>): Started {
  const child = spawn(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), [path.join(repoRoot, entryPoints[role]), ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, output: () => output, exited };
}

/** Starts measuring a long-lived process: CPU now, peak RSS window reset. */
export function beginWindow(processes: ReadonlyArray<{ readonly appPid: number }>): () => ProcessCost[] {
  const before = processes.map((p) => {
    resetPeakRss(p.appPid);
    return sampleProcess(p.appPid)?.cpuSeconds ?? Number.NaN;
  });
  return () =>
    processes.map((p, i) => {
      const after = sampleProcess(p.appPid);
      return { cpuSeconds: (after?.cpuSeconds ?? Number.NaN) - before[i]!, peakRssMb: (after?.hwmKb ?? Number.NaN) / 1024 };
    });
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits for a started process to print `ready` and returns its inner node pid. */
async function readyProcess(name: string, started: Started, ready: RegExp, inner = true): Promise<BenchProcess> {
  await waitFor(
    `${name} to start`,
    () => {
      if (started.child.exitCode !== null || started.child.signalCode !== null) throw new Error(`${name} exited: ${started.output().slice(-2000)}`);
      return ready.test(started.output()) ? true : undefined;
    },
    60_000,
  );
  const appPid = inner ? childPids(started.child.pid!)[0] ?? started.child.pid! : started.child.pid!;
  return { name, started, appPid };
}

export async function createBenchSystem(name: string, options: BenchSystemOptions = {}): Promise<BenchSystem> {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
  const ownKeyspace = options.keyspace === undefined;
  const keyspace = options.keyspace ?? `bench_${name.replace(/[^a-z0-9]/g, '_').slice(0, 20)}_${suffix}`;
  const prefix = `bench-${name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 20)}-${suffix}`;
  const env = { ...stackEnv(keyspace), SIMPLECM_QUEUE_PREFIX: prefix, ...options.env };
  const config = connectionConfigFromEnv(env);
  const cassandra = await connectCassandra(config.cassandra);
  await applySchema(cassandra, keyspace, config.cassandra.replication);
  const inventory = inventoryStore(cassandra, keyspace);
  const runs = runStore(cassandra, keyspace);
  const processes: BenchProcess[] = [];
  const usageDir = path.join(benchDir, 'usage', prefix);
  fs.mkdirSync(usageDir, { recursive: true });
  let workerCount = 0;
  const viaTsx = options.runner === 'tsx';
  const start = (role: 'worker' | 'results-consumer' | 'enqueue' | 'master', args: readonly string[], processEnv: Record<string, string>) =>
    viaTsx ? startTsx(role, args, processEnv) : startProcess(role, args, processEnv);
  const runQuery = `SELECT status, hosts_done, host_count, finished_at, count_ok, count_changed, count_failed, count_skipped, count_unreachable FROM ${keyspace}.runs WHERE run_id = ?`;

  async function readRun(runId: string): Promise<RunRow | undefined> {
    const row = (await cassandra.execute(runQuery, [runId], { prepare: true })).first();
    if (!row) return undefined;
    return {
      status: String(row.get('status') ?? ''),
      hostsDone: Number(row.get('hosts_done') ?? 0),
      hostCount: Number(row.get('host_count') ?? 0),
      finishedAt: (row.get('finished_at') as Date | null) ?? null,
      counts: {
        ok: Number(row.get('count_ok') ?? 0),
        changed: Number(row.get('count_changed') ?? 0),
        failed: Number(row.get('count_failed') ?? 0),
        skipped: Number(row.get('count_skipped') ?? 0),
        unreachable: Number(row.get('count_unreachable') ?? 0),
      },
    };
  }

  async function stopProcesses(which: readonly BenchProcess[] = processes): Promise<void> {
    const stopping = [...which];
    await Promise.all(stopping.map((p) => stopStarted(p.started, 20_000)));
    for (const p of stopping) processes.splice(processes.indexOf(p), 1);
  }

  const system: BenchSystem = {
    keyspace,
    prefix,
    env,
    cassandra,
    inventory,
    runs,
    async putDesiredState(entries, concurrency = 32) {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(concurrency, entries.length) }, async () => {
          while (next < entries.length) {
            const { host, operations } = entries[next++]!;
            await inventory.putHost(host);
            await inventory.putOperations(host.hostname, operations);
          }
        }),
      );
    },
    async startWorkers(n, args, extraEnv = {}) {
      const started = await Promise.all(
        Array.from({ length: n }, () => {
          const workerName = `bench-w${++workerCount}`;
          const s = start('worker', ['--name', workerName, ...args], { ...env, ...extraEnv });
          return readyProcess(workerName, s, /consuming host jobs/, viaTsx);
        }),
      );
      processes.push(...started);
      return started;
    },
    async startResults(extraEnv = {}) {
      const p = await readyProcess('results', start('results-consumer', [], { ...env, ...extraEnv }), /writing results to keyspace/, viaTsx);
      processes.push(p);
      return p;
    },
    async startMaster(extraEnv = {}) {
      const p = await readyProcess('master', start('master', ['--name', `bench-m-${suffix}`], { ...env, ...extraEnv }), /taking run requests/, viaTsx);
      processes.push(p);
      return p;
    },
    stopProcesses,
    async enqueue(args, extraEnv = {}) {
      const hook = `--require ${usageHook}`;
      const nodeOptions = [process.env.NODE_OPTIONS, extraEnv.NODE_OPTIONS, hook].filter(Boolean).join(' ');
      const spawnedAt = Date.now();
      const started = start('enqueue', args, { ...env, ...extraEnv, NODE_OPTIONS: nodeOptions, BENCH_USAGE_DIR: usageDir });
      let firstProgressAt: number | undefined;
      const watch = setInterval(() => {
        if (firstProgressAt === undefined && started.output().includes('hosts enqueued')) firstProgressAt = Date.now();
      }, 50);
      const code = await started.exited;
      const exitedAt = Date.now();
      clearInterval(watch);
      const output = started.output();
      // The hook's record of the node process that ran enqueue (with tsx: not tsx's wrapper).
      let cost: ProcessCost | undefined;
      let allCpuSeconds = 0;
      for (const file of fs.readdirSync(usageDir)) {
        const full = path.join(usageDir, file);
        const record = JSON.parse(fs.readFileSync(full, 'utf8')) as { pid: number; ppid: number; execArgv: string[]; stat: string; status: string };
        fs.rmSync(full);
        if (record.pid === started.child.pid || record.ppid === started.child.pid) allCpuSeconds += cpuSecondsFromStat(record.stat);
        const isApp = viaTsx ? record.ppid === started.child.pid && record.execArgv.some((a) => a.includes('tsx')) : record.pid === started.child.pid;
        if (isApp) {
          cost = { cpuSeconds: cpuSecondsFromStat(record.stat), peakRssMb: hwmKbFromStatus(record.status) / 1024 };
        }
      }
      return { code, output, runId: /run ([0-9a-f-]{36})/.exec(output)?.[1], spawnedAt, exitedAt, firstProgressAt, cost, allCpuSeconds };
    },
    readRun,
    async waitRunFinished(runId, timeoutMs, onPoll) {
      return waitFor(
        `run ${runId} to finish`,
        async () => {
          const row = await readRun(runId);
          onPoll?.(row);
          for (const p of processes) {
            if (p.started.child.exitCode !== null) throw new Error(`${p.name} exited during the run: ${p.started.output().slice(-2000)}`);
          }
          return row?.status === 'finished' ? row : undefined;
        },
        timeoutMs,
        // The end time is the row's finished_at, so polling faster would not be more precise;
        // it would only add the bench's own reads to the Cassandra CPU charged to the run.
        200,
      );
    },
    async close() {
      untrack();
      // In order of set-up: closeAll stops the processes first and removes the usage dir last.
      await closeAll([
        () => fs.rmSync(usageDir, { recursive: true, force: true }),
        () => cassandra.shutdown(),
        () => (ownKeyspace ? cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`) : undefined),
        () => deleteQueueKeys(config.redis.url, prefix),
        () => stopProcesses(),
      ]);
    },
  };
  const untrack = trackResource(system);
  return system;
}

/** Removes every Redis key under the bench's own queue prefix (queues, jobs, run progress). */
export async function deleteQueueKeys(url: string, prefix: string): Promise<number> {
  if (!/^bench-/.test(prefix)) throw new Error(`refusing to delete keys of prefix ${prefix}`);
  const u = new URL(url);
  const redis = new Redis({ host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: 5 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
