import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Client as CassandraClient } from 'cassandra-driver';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { Operation, Run } from '@simplecm/domain';
import { HOSTS_QUEUE, hostJobId, readResultStreamBacklog, readRunProgress, redisConnection, type ResultStreamBacklog, type RunProgressSnapshot } from '@simplecm/queue';
import { connectCassandra, resultStore, runStore } from '@simplecm/store';
import { formatTable } from '@simplecm/terminal';
import { cassandraDown, cassandraUp, isAlive, readPid, redisUp, repoRoot, stackPaths, type Started, startProcess, stopStarted } from '@simplecm/stack';
import { onHost, type TestSystem } from './system';

/**
 * Fault injection against the real local stack — real processes, real signals — and the
 * bookkeeping that turns each fault test into a row of the table `npm run test:faults` prints.
 */

export const faultsArtifactsDir = path.join(repoRoot, 'artifacts', 'faults');
export const faultRowsFile = path.join(faultsArtifactsDir, 'rows.jsonl');

const log = (line: string) => process.stderr.write(`[faults] ${line}\n`);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value; fails with `what` (and `detail()`) after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T> | T, { timeoutMs = 60_000, intervalMs = 250, detail }: { timeoutMs?: number; intervalMs?: number; detail?: () => string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out waiting for ${what}${why}${detail ? `\n${detail()}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** The run once its row says finished (the consumer counted every host). */
export async function runFinished(system: TestSystem, runId: string, timeoutMs = 120_000): Promise<Run> {
  const runs = runStore(system.cassandra, system.keyspace);
  return waitUntil('the run to finish', async () => {
    const r = await runs.getRun(runId);
    return r?.status === 'finished' ? r : undefined;
  }, { timeoutMs });
}

// ---------------------------------------------------------------------------------------------
// Processes

/** The results consumer with flags (TestSystem.startResults takes none). */
export function startResultsWith(system: TestSystem, args: string[]): Started {
  const started = startProcess('results-consumer', args, system.env);
  system.processes.push(started);
  return started;
}

/** An `enqueue` left running (e.g. `--wait`), its run id parsed from its first line once printed. */
export function startEnqueue(system: TestSystem, args: string[], env: Record<string, string> = {}): Started & { runId: () => Promise<string> } {
  const started = startProcess('enqueue', args, { ...system.env, ...env });
  system.processes.push(started);
  const runId = () => waitUntil(`enqueue to print its run id`, () => /run ([0-9a-f-]{36})/.exec(started.output())?.[1], { timeoutMs: 60_000, detail: started.output });
  return { ...started, runId };
}

export function outputOf(processes: readonly Started[]): string {
  return processes.map((p) => p.output()).join('\n');
}

/** The pids of a process's children (from /proc/<pid>/task/<tid>/children). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) children.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    return [];
  }
  return children;
}

/** The pids of a process's descendants, deepest last. */
function descendantsOf(pid: number): number[] {
  return childrenOf(pid).flatMap((child) => [child, ...descendantsOf(child)]);
}

/**
 * SIGKILL the process *and* what it started: SimpleCM processes run under the tsx launcher, which
 * forwards SIGTERM to the real node process but cannot forward SIGKILL. Waits until all are gone.
 */
export async function killHard(started: Started): Promise<void> {
  const pid = started.child.pid;
  if (pid === undefined) return;
  const tree = [...descendantsOf(pid).reverse(), pid];
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await started.exited;
  await waitUntil(`process tree of ${pid} to die`, () => tree.every((p) => !isAlive(p)), { timeoutMs: 10_000, intervalMs: 50 });
}

// ---------------------------------------------------------------------------------------------
// Stack faults

const redisPidFile = path.join(stackPaths.redisDir, 'redis.pid');
const cassandraPidFile = path.join(stackPaths.cassandraDir, 'cassandra.pid');
const sshdPid = (n: number) => readPid(path.join(stackPaths.hostsDir, `host${n}`, 'sshd.pid'));

/** SIGKILLs the stack's redis-server (no shutdown save: only what the AOF holds survives). */
export async function killRedis(): Promise<void> {
  const pid = readPid(redisPidFile);
  if (!isAlive(pid)) throw new Error(`redis-server is not running (pid file ${redisPidFile})`);
  process.kill(pid, 'SIGKILL');
  await waitUntil('redis-server to die', () => !isAlive(pid), { timeoutMs: 10_000, intervalMs: 50 });
  log(`redis-server pid ${pid} SIGKILLed`);
}

export async function startRedis(): Promise<void> {
  await redisUp({ log });
}

export async function stopCassandra(): Promise<void> {
  await cassandraDown();
  log('cassandra stopped');
}

export async function startCassandra(): Promise<void> {
  await cassandraUp({ log });
}

/** SIGSTOP / SIGCONT the Cassandra JVM: it keeps its connections but answers nothing. */
export function pauseCassandra(paused: boolean): void {
  const pid = readPid(cassandraPidFile);
  if (!isAlive(pid)) throw new Error('cassandra is not running');
  process.kill(pid, paused ? 'SIGSTOP' : 'SIGCONT');
}

/** The links of a process's open descriptors (empty when it is gone). */
function openFiles(pid: number): string[] {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
  } catch {
    return [];
  }
}

const commandOf = (pid: number): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/**
 * Cuts the SSH connection a worker converges host N over, from the host's side: SIGKILLs the
 * host's sshd session processes (never its main sshd) of the one connection whose driver holds
 * the journal `journalKey` (so only the connection of this test's run is cut). The driver runs
 * in a session of its own and goes on. Returns the pids killed (none: no such connection yet).
 */
export function cutSshSession(n: number, journalKey: string): number[] {
  const main = sshdPid(n);
  if (!isAlive(main)) throw new Error(`host${n}'s sshd is not running`);
  for (const session of childrenOf(main)) {
    const below = descendantsOf(session);
    if (!below.some((pid) => openFiles(pid).some((file) => file.includes(journalKey)))) continue;
    const sshd = [session, ...below].filter((pid) => commandOf(pid).startsWith('sshd'));
    for (const pid of sshd.reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    log(`host${n}: sshd session ${sshd.join(',')} SIGKILLed (journal ${journalKey})`);
    return sshd;
  }
  return [];
}

/** Hangs host N: its sshd (PID 1 of its namespace) stops; connections are accepted by the kernel, then nothing. */
export function hangHost(n: number): void {
  const pid = sshdPid(n);
  if (!isAlive(pid)) throw new Error(`host${n}'s sshd is not running`);
  process.kill(pid, 'SIGSTOP');
  log(`host${n} sshd (pid ${pid}) SIGSTOPped`);
}

export function resumeHost(n: number): void {
  const pid = sshdPid(n);
  if (isAlive(pid)) process.kill(pid, 'SIGCONT');
}

/**
 * Puts the stack back as the other tests expect it: Cassandra running and not paused, Redis
 * up, hosts 1–5 not stopped. Safe to call whatever state a failed test left behind.
 */
export async function restoreStack(): Promise<void> {
  const errors: unknown[] = [];
  const steps: Array<() => Promise<void> | void> = [
    () => [1, 2, 3, 4, 5].forEach(resumeHost),
    () => {
      const pid = readPid(cassandraPidFile);
      if (isAlive(pid)) process.kill(pid, 'SIGCONT');
    },
    () => redisUp({ log }).then(() => undefined),
    () => cassandraUp({ log }).then(() => undefined),
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}

// ---------------------------------------------------------------------------------------------
// Cassandra and Redis views of a run

/**
 * A new Cassandra client for the test system's keyspace. After an outage the driver's own
 * clients wait out an exponential reconnection schedule (up to minutes); a new one connects now.
 */
export async function freshCassandra(system: TestSystem): Promise<CassandraClient> {
  const config = connectionConfigFromEnv(system.env);
  return waitUntil('Cassandra to accept a new client', () => connectCassandra(config.cassandra), { timeoutMs: 120_000, intervalMs: 1_000 });
}

/** TestSystem.close, except that a Cassandra client left stale by an outage cannot stop it dropping the keyspace. */
export async function closeFaultSystem(system: TestSystem | undefined): Promise<void> {
  if (!system) return;
  await Promise.all(system.processes.map((p) => stopStarted(p, 20_000)));
  const client = await freshCassandra(system);
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${system.keyspace}`);
  } finally {
    await client.shutdown();
    await system.cassandra.shutdown().catch(() => undefined);
  }
}

export async function withRedis<T>(system: TestSystem, fn: (redis: ReturnType<typeof redisConnection>) => Promise<T>): Promise<T> {
  const redis = redisConnection({ url: system.env.SIMPLECM_REDIS_URL!, prefix: system.prefix });
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

export function progressOf(system: TestSystem, runId: string): Promise<RunProgressSnapshot> {
  return withRedis(system, (redis) => readRunProgress(redis, system.prefix, runId));
}

/** Results of the test system handed off and not yet written: unread (waiting) and read, not yet acknowledged (pending). */
export function resultBacklog(system: TestSystem): Promise<ResultStreamBacklog> {
  return withRedis(system, (redis) => readResultStreamBacklog(redis, system.prefix));
}

/** Job counts of a queue of the test system, by state. */
export async function queueCounts(system: TestSystem, name: typeof HOSTS_QUEUE): Promise<Record<string, number>> {
  return withRedis(system, async (connection) => {
    const queue = new Queue(name, { connection, prefix: system.prefix });
    try {
      return await queue.getJobCounts('active', 'waiting', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children');
    } finally {
      await queue.close();
    }
  });
}

/** The host jobs BullMQ holds for a run (by id), with their state. */
export async function hostJobsOf(system: TestSystem, runId: string, hostnames: readonly string[]): Promise<Array<{ hostname: string; state: string; attemptsMade: number; stalledCounter: number }>> {
  return withRedis(system, async (connection) => {
    const queue = new Queue(HOSTS_QUEUE, { connection, prefix: system.prefix });
    try {
      const found = [];
      for (const hostname of hostnames) {
        const job = await queue.getJob(hostJobId(runId, hostname));
        // BullMQ keeps the stall count in the job hash's `stc` field (Job.fromJSON does not read it back).
        const stalled = Number((await connection.hget(`${system.prefix}:${HOSTS_QUEUE}:${hostJobId(runId, hostname)}`, 'stc')) ?? 0);
        if (job) found.push({ hostname, state: await job.getState(), attemptsMade: job.attemptsMade, stalledCounter: stalled });
      }
      return found;
    } finally {
      await queue.close();
    }
  });
}

/** Every host job key under the test system's prefix: how many jobs exist in all, whatever their run. */
export async function allHostJobIds(system: TestSystem): Promise<string[]> {
  return withRedis(system, async (redis) => {
    const ids: string[] = [];
    const head = `${system.prefix}:${HOSTS_QUEUE}:`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${head}run.*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const id = key.slice(head.length);
        if (!id.includes(':')) ids.push(id);
      }
    } while (cursor !== '0');
    return ids.sort();
  });
}

/** Lines of a file on host N ('' lines dropped); none when it does not exist. */
export async function linesOnHost(n: number, file: string): Promise<string[]> {
  const { stdout } = await onHost(n, `cat ${file} 2>/dev/null || true`);
  return stdout.split('\n').filter((l) => l.length > 0);
}

/** An operation that appends `<tag> <run id>` to a file on the host: each execution leaves one line. */
export function markerOp(seq: number, file: string, tag = 'ran'): Operation {
  return { seq, name: `mark ${tag}`, module: 'command', attributes: { command: `mkdir -p "$(dirname ${file})" && echo "${tag} $(date +%s%N)" >> ${file}` } };
}

/**
 * An operation that appends `<tag>` to a log file on the host, then sleeps `seconds`: each
 * execution of it leaves one line, so the log tells how often each operation ran.
 */
export function loggedOp(seq: number, file: string, tag: string, seconds = 0): Operation {
  const pause = seconds > 0 ? ` && sleep ${seconds}` : '';
  return { seq, name: `logged ${tag}`, module: 'command', attributes: { command: `mkdir -p "$(dirname ${file})" && echo "${tag}" >> ${file}${pause}` } };
}

/** Lines of a host's log beyond the first of each tag: the operations that ran more than once. */
export function executedTwice(lines: readonly string[]): number {
  const seen = new Map<string, number>();
  for (const line of lines) seen.set(line, (seen.get(line) ?? 0) + 1);
  return [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
}

export function sleepOp(seq: number, seconds: number): Operation {
  return { seq, name: `sleep ${seconds}s`, module: 'sleep', attributes: { seconds } };
}

// ---------------------------------------------------------------------------------------------
// The table

export interface FaultRow {
  readonly fault: string;
  readonly hostsInRun: number;
  readonly hostsRecorded: number;
  readonly hostsConverged: number;
  readonly resultsExpected: number;
  readonly resultsWritten: number;
  readonly duplicated: number;
  readonly lost: number;
  /** Executions on hosts beyond one per (run, host), where the test measured them (marker lines). */
  readonly hostRerun?: number;
  /**
   * Operations executed more than once, counted on the hosts (each test operation appends a line
   * to a log there): every line beyond the first of an operation counts, where the test counted.
   */
  readonly opsRunTwice?: number;
  /**
   * Operations run again because the host went down while they ran (their outcome was never
   * known): expected, not counted in `opsRunTwice`.
   */
  readonly opsRerunAfterReboot?: number;
  /** Seconds from the fault to the run being finished, where the test measured it. */
  readonly recoverySeconds?: number;
  readonly note?: string;
}

/**
 * Counts a run's outcome in Cassandra (never from what the test expects): hosts with a
 * run_hosts row, those that converged (ok/changed), operation_results rows (one per run, host,
 * seq), and duplicates — outcomes counted more than once in the run's totals (counts by status
 * summed, hosts_done) compared with the rows that exist.
 */
export async function measureRun(client: CassandraClient, keyspace: string, runId: string, expectedOps: ReadonlyMap<string, number>): Promise<Omit<FaultRow, 'fault'>> {
  const run = await runStore(client, keyspace).getRun(runId);
  if (!run) throw new Error(`run ${runId} is not in Cassandra`);
  const results = resultStore(client, keyspace);
  const hosts = (await results.pageRunHosts(runId, { pageSize: 5000 })).items;
  let written = 0;
  let lost = 0;
  let expected = 0;
  for (const [hostname, ops] of expectedOps) {
    expected += ops;
    const rows = (await results.getOperationResults(runId, hostname)).length;
    written += rows;
    lost += Math.max(0, ops - rows);
  }
  const counted = Object.values(run.counts).reduce((a, b) => a + b, 0);
  const duplicated = Math.max(0, counted - written) + Math.max(0, run.hostsDone - hosts.length);
  return {
    hostsInRun: run.hostCount,
    hostsRecorded: hosts.length,
    hostsConverged: hosts.filter((h) => h.status === 'ok' || h.status === 'changed').length,
    resultsExpected: expected,
    resultsWritten: written,
    duplicated,
    lost,
  };
}

/**
 * Measures the run and appends its row to a rows file (the faults suite's, unless another suite
 * keeps its own, as the containers suite does); returns the row for assertions.
 */
export async function recordFaultRow(client: CassandraClient, keyspace: string, runId: string, fault: string, expectedOps: ReadonlyMap<string, number>, extra: Pick<FaultRow, 'hostRerun' | 'opsRunTwice' | 'opsRerunAfterReboot' | 'recoverySeconds' | 'note'> = {}, rowsFile = faultRowsFile): Promise<FaultRow> {
  const row: FaultRow = { fault, ...(await measureRun(client, keyspace, runId, expectedOps)), ...extra };
  fs.mkdirSync(path.dirname(rowsFile), { recursive: true });
  fs.appendFileSync(rowsFile, `${JSON.stringify(row)}\n`);
  return row;
}

/**
 * The rows of the containers suite (`npm run test:containers`: a worker container killed
 * mid-host), kept by that suite; the faults suite's table shows them after its own.
 */
export const containerFaultRowsFile = path.join(repoRoot, 'artifacts', 'containers', 'fault-rows.jsonl');

/** The rows in a rows file, oldest first; none when there is no file. */
export function readFaultRows(rowsFile: string): FaultRow[] {
  if (!fs.existsSync(rowsFile)) return [];
  return fs
    .readFileSync(rowsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FaultRow);
}

/** The fault table as the faults suite prints it (one row per fault, counts from Cassandra). */
export function formatFaultTable(rows: readonly FaultRow[]): string {
  const n = (v: number | undefined) => (v === undefined ? '-' : v);
  return formatTable<FaultRow>(
    [
      { header: 'fault injected', value: (r) => r.fault },
      { header: 'hosts', value: (r) => r.hostsInRun, align: 'right' },
      { header: 'recorded', value: (r) => r.hostsRecorded, align: 'right' },
      { header: 'converged', value: (r) => r.hostsConverged, align: 'right' },
      { header: 'results expected', value: (r) => r.resultsExpected, align: 'right' },
      { header: 'written', value: (r) => r.resultsWritten, align: 'right' },
      { header: 'duplicated', value: (r) => r.duplicated, align: 'right' },
      { header: 'lost', value: (r) => r.lost, align: 'right' },
      { header: 'host re-runs', value: (r) => n(r.hostRerun), align: 'right' },
      { header: 'operations executed twice', value: (r) => n(r.opsRunTwice), align: 'right' },
      { header: 're-run after reboot (expected)', value: (r) => n(r.opsRerunAfterReboot), align: 'right' },
      { header: 'recovery s', value: (r) => (r.recoverySeconds === undefined ? '-' : r.recoverySeconds.toFixed(1)), align: 'right' },
    ],
    rows,
  );
}

export function expectedOpsOf(entries: ReadonlyArray<{ host: { hostname: string }; operations: readonly Operation[] }>): Map<string, number> {
  return new Map(entries.map((e) => [e.host.hostname, e.operations.length]));
}
