/**
 * Capacity bench: measures the figures docs/scaling.md builds its model on, then checks the
 * model's Redis and Cassandra parts at the largest size this machine holds.
 *
 *   npm run stack -- up --cassandra-nodes 3 --redis-cluster
 *   npx tsx bench/capacity.ts [--hosts 20000] [--ssh-hosts 200] [--runs 3] [--concurrency 50] [--ops 10] [--consumers 1] [--skip-ssh]
 *   npx tsx bench/capacity.ts --single-redis redis://127.0.0.1:6391 [...]   (no clusters: see below)
 *
 * Phase 1 (real SSH): one real worker process (`--concurrency`) and one real results consumer
 * converge `--ssh-hosts` inventory hosts spread over the stack's SSH hosts 1-5, `--runs` times.
 * Gives hosts/s per worker process, and per host job: Redis commands and Redis CPU (INFO deltas
 * on the master that holds the hash tag), Cassandra coordinator and replica writes
 * (system_views deltas on every node), and CPU of worker, consumer and Cassandra.
 *
 * Phase 2 (no SSH, `--hosts` host jobs): the master's enqueue (same job options), simulated
 * workers that hand each host's `--ops` results to the result stream exactly as a worker does,
 * and real results consumer processes writing N × ops result rows to the ring at LOCAL_QUORUM.
 * Reports measured vs predicted (from phase 1) per host and for the whole run.
 *
 * Everything runs on the clusters in a keyspace and queue prefix of its own, removed at the end.
 * With `--single-redis <url>` it runs without the clusters instead: the stack's single Cassandra
 * node and the Redis at that URL, which should be one nothing else uses (a redis-server started
 * for the bench) so that its INFO counters are the bench's alone; phase 1 then uses bench hosts
 * 6-10 (the integration tests reset hosts 1-5). The per-host-job Redis figures are comparable
 * with the cluster's; the Cassandra ones are not (one node, RF 1, its CPU not measured).
 * Results: printed, and written to bench/results/capacity.json (capacity-single.json with --single-redis).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import type { Client } from 'cassandra-driver';
import { z } from 'zod';
import { connectionConfigFromEnv, intFlag, parseCli } from '@simplecm/config';
import type { HostResult } from '@simplecm/domain';
import { HOSTS_QUEUE, handOffResult, hostJobOptions, readResultKey, readRunProgress, redisConnection, resultJobId, resultSealer, type HostJobData } from '@simplecm/queue';
import { applySchema, connectCassandra, inventoryStore, newRunId, runStore } from '@simplecm/store';
import { cassandraClusterNodeNumbers, cassandraNodePid, clusterStackEnv, hostAddress, redisClusterHost, redisClusterMasterFor, repoRoot, stackEnv, stackPaths, type Started, startProcess, stopStarted } from '@simplecm/stack';
import { benchHostNumbers, ensureStack, stackHostKey } from './bench-host-pool';
import { deleteQueueKeys } from './delete-queue-keys';
import { lightOperations } from './workload';
import { cassandraDelta, cpuSeconds, redisDelta, sampleCassandra, sampleRedis, treeCpuSeconds } from './capacity-probes';
import { runMain } from './run-main';

const { flags } = parseCli(
  process.argv.slice(2),
  {
    hosts: { type: 'string' },
    'ssh-hosts': { type: 'string' },
    runs: { type: 'string' },
    concurrency: { type: 'string' },
    ops: { type: 'string' },
    consumers: { type: 'string' },
    'skip-ssh': { type: 'boolean' },
    'single-redis': { type: 'string' },
  },
  z.object({
    hosts: intFlag(1, 2_000_000).default(20_000),
    'ssh-hosts': intFlag(5, 5_000).default(200),
    runs: intFlag(1, 50).default(3),
    concurrency: intFlag(1, 1_000).default(50),
    ops: intFlag(1, 100).default(10),
    consumers: intFlag(1, 16).default(1),
    'skip-ssh': z.boolean().default(false),
    'single-redis': z.string().url().optional(),
  }),
);

const log = (line: string) => process.stderr.write(`[capacity] ${line}\n`);
const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
const keyspace = `cap_${suffix}`;
const prefix = `{cap-${suffix}}`;
const singleRedis = flags['single-redis'] === undefined ? undefined : new URL(flags['single-redis']);
const ringNodes = singleRedis ? 0 : cassandraClusterNodeNumbers().length;
if (!singleRedis && ringNodes < 3) throw new Error("no 3-node ring here: run 'npm run stack -- up --cassandra-nodes 3 --redis-cluster' first (or measure with --single-redis)");
const env = singleRedis
  ? { ...stackEnv(keyspace), SIMPLECM_REDIS_URL: singleRedis.toString(), SIMPLECM_QUEUE_PREFIX: prefix }
  : { ...clusterStackEnv(keyspace, { cassandraNodes: ringNodes, redisCluster: true }), SIMPLECM_QUEUE_PREFIX: prefix };
/** The Redis whose counters are read: the cluster master that holds the prefix's tag, or the single Redis. */
const redisProbeHost = singleRedis ? singleRedis.hostname : redisClusterHost;
/** Stack numbers of the SSH hosts phase 1 converges (five of them). */
const sshHostNumbers = singleRedis ? benchHostNumbers(5) : [1, 2, 3, 4, 5];
const config = connectionConfigFromEnv(env);

interface Probe {
  redis: Awaited<ReturnType<typeof sampleRedis>>;
  cassandra: Awaited<ReturnType<typeof sampleCassandra>>;
  cassandraCpu: number;
  at: number;
}

async function probe(masterPort: number): Promise<Probe> {
  return {
    redis: await sampleRedis(redisProbeHost, masterPort),
    cassandra: await sampleCassandra(config.cassandra.contactPoints, config.cassandra.localDataCenter, keyspace),
    cassandraCpu: (singleRedis ? [] : cassandraClusterNodeNumbers()).reduce((sum, n) => sum + cpuSeconds(cassandraNodePid(n)), 0),
    at: Date.now(),
  };
}

/** CPU cores the ring uses when SimpleCM sends it nothing (gossip, compaction, GC): subtracted from its per-host cost. */
let ringIdleCores = 0;

async function measureRingIdle(seconds: number): Promise<void> {
  const cpu = () => (singleRedis ? [] : cassandraClusterNodeNumbers()).reduce((sum, n) => sum + cpuSeconds(cassandraNodePid(n)), 0);
  const c0 = cpu();
  await sleep(seconds * 1000);
  ringIdleCores = (cpu() - c0) / seconds;
  log(`ring idle: ${ringIdleCores.toFixed(2)} cores over ${seconds} s (subtracted from Cassandra CPU per host)`);
}

/** Per-host figures between two probes. */
function perHost(a: Probe, b: Probe, hosts: number) {
  const r = redisDelta(a.redis, b.redis);
  const c = cassandraDelta(a.cassandra, b.cassandra);
  const ringBusy = Math.max(0, b.cassandraCpu - a.cassandraCpu - ringIdleCores * ((b.at - a.at) / 1000));
  return {
    /** Commands Redis executed, those run inside Lua scripts included (Redis 7 counts both). */
    redisCommandsExecuted: round(r.commandsProcessed / hosts, 1),
    redisScriptCalls: round((r.calls.evalsha ?? 0) / hosts + (r.calls.eval ?? 0) / hosts, 2),
    redisCpuMs: round((r.mainThreadCpu * 1000) / hosts, 3),
    /** Every command Redis ran, most frequent first (per host job): where the commands come from. */
    redisTopCalls: Object.fromEntries(
      Object.entries(r.calls)
        .sort((x, y) => y[1] - x[1])
        .map(([k, v]) => [k, round(v / hosts, 2)])
        .filter(([, v]) => (v as number) > 0),
    ),
    cassandraCoordinatorWrites: round(c.coordinatorTotal / hosts, 2),
    cassandraReplicaWrites: round(c.replicaTotal / hosts, 2),
    cassandraReplicaWritesByTable: Object.fromEntries(Object.entries(c.replica).map(([k, v]) => [k, round(v / hosts, 2)])),
    cassandraCpuMs: round((ringBusy * 1000) / hosts, 2),
  };
}

async function waitForRun(runId: string, hosts: number, label: string, processes: readonly Started[] = []): Promise<void> {
  const redis = redisConnection(config.redis);
  try {
    let next = Date.now() + 10_000;
    for (;;) {
      const dead = processes.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
      if (dead) throw new Error(`${label}: a SimpleCM process ended (${dead.child.exitCode ?? dead.child.signalCode}):\n${dead.output().split('\n').slice(-15).join('\n')}`);
      const p = await readRunProgress(redis, prefix, runId);
      if (p.hostsDone >= hosts) return;
      if (Date.now() > next) {
        log(`${label}: ${p.hostsDone}/${hosts} hosts done`);
        next += 10_000;
      }
      await sleep(200);
    }
  } finally {
    redis.disconnect();
  }
}

/** The run's worker-side window (first host start to last host end) and its median host duration, from run_hosts. */
async function runWindow(cassandra: Client, runId: string): Promise<{ seconds: number; medianHostSeconds: number }> {
  const rs = await cassandra.execute(`SELECT started_at, ended_at FROM ${keyspace}.run_hosts WHERE run_id = ?`, [runId], { prepare: true, fetchSize: 100_000 });
  const starts = rs.rows.map((r) => (r.get('started_at') as Date).getTime());
  const ends = rs.rows.map((r) => (r.get('ended_at') as Date).getTime());
  const durations = rs.rows.map((r) => (r.get('ended_at') as Date).getTime() - (r.get('started_at') as Date).getTime()).sort((a, b) => a - b);
  return { seconds: (Math.max(...ends) - Math.min(...starts)) / 1000, medianHostSeconds: (durations[Math.floor(durations.length / 2)] ?? 0) / 1000 };
}

async function phaseSsh(cassandra: Client, masterPort: number) {
  const sshHosts = flags['ssh-hosts'];
  const ops = lightOperations(flags.ops);
  const inventory = inventoryStore(cassandra, keyspace);
  const keys = sshHostNumbers.map(stackHostKey);
  log(`phase 1: ${sshHosts} inventory hosts on SSH hosts ${sshHostNumbers.join(', ')}, ${ops.length} ops each, 1 worker --concurrency ${flags.concurrency}, ${flags.runs} runs`);
  for (let i = 0; i < sshHosts; i++) {
    const n = sshHostNumbers[i % 5] as number;
    const hostname = `cap-${n}-${Math.floor(i / 5)}`;
    await inventory.putHost({ hostname, address: hostAddress(n), port: 22, user: 'root', keyName: 'stack', groups: ['all'], vars: {}, hostKeys: [keys[i % 5] as string], become: null });
    await inventory.putOperations(hostname, ops);
  }
  const worker = startProcess('worker', ['--name', 'cap-w1', '--concurrency', String(flags.concurrency)], env);
  const consumer = startProcess('results-consumer', [], env);
  const processes: Started[] = [worker, consumer];
  try {
    const enqueue = async () => {
      const run = startProcess('enqueue', [], env);
      const code = await run.exited;
      const runId = /run ([0-9a-f-]{36})/.exec(run.output())?.[1];
      if (code !== 0 || !runId) throw new Error(`enqueue failed (${code}): ${run.output()}`);
      await waitForRun(runId, sshHosts, 'phase 1', processes);
      return runId;
    };
    await enqueue(); // warm-up: connections, JIT, known_hosts
    await measureRingIdle(10);
    const before = await probe(masterPort);
    const cpu0 = { worker: treeCpuSeconds(worker.child.pid), consumer: treeCpuSeconds(consumer.child.pid) };
    const rates: number[] = [];
    const hostSeconds: number[] = [];
    for (let r = 0; r < flags.runs; r++) {
      const runId = await enqueue();
      const { seconds, medianHostSeconds } = await runWindow(cassandra, runId);
      rates.push(sshHosts / seconds);
      hostSeconds.push(medianHostSeconds);
      log(`phase 1 run ${r + 1}: ${sshHosts} hosts in ${seconds.toFixed(1)} s = ${(sshHosts / seconds).toFixed(1)} hosts/s (median host ${medianHostSeconds.toFixed(1)} s)`);
    }
    await sleep(1_000); // let the consumer's last progress writes land
    const after = await probe(masterPort);
    const hosts = sshHosts * flags.runs;
    const workerCpuMs = ((treeCpuSeconds(worker.child.pid) - cpu0.worker) * 1000) / hosts;
    const consumerCpuMs = ((treeCpuSeconds(consumer.child.pid) - cpu0.consumer) * 1000) / hosts;
    // What an idle worker and consumer cost Redis (blocking waits, stalled-job checks), per second.
    const idleSeconds = 15;
    await sleep(idleSeconds * 1000);
    const idle = redisDelta(after.redis, (await probe(masterPort)).redis);
    const sorted = [...rates].sort((a, b) => a - b);
    return {
      sshHosts,
      runs: flags.runs,
      concurrency: flags.concurrency,
      ops: ops.length,
      hostsPerSecondPerWorker: { median: round(sorted[Math.floor(sorted.length / 2)] as number, 1), min: round(sorted[0] as number, 1), max: round(sorted[sorted.length - 1] as number, 1) },
      medianHostSeconds: round([...hostSeconds].sort((a, b) => a - b)[Math.floor(hostSeconds.length / 2)] as number, 2),
      workerCpuMsPerHost: round(workerCpuMs, 2),
      consumerCpuMsPerHost: round(consumerCpuMs, 2),
      idleWorkerAndConsumer: { redisCommandsPerSecond: round(idle.commandsProcessed / idleSeconds, 1), redisCpuMsPerSecond: round((idle.mainThreadCpu * 1000) / idleSeconds, 3) },
      perHost: perHost(before, after, hosts),
    };
  } finally {
    await Promise.all(processes.map((p) => stopStarted(p)));
  }
}

/** A host's result as a worker would hand it over: `ops` operations, all ok, a line of output each. */
function fakeResult(data: HostJobData): HostResult {
  const now = Date.now();
  return {
    runId: data.runId,
    hostname: data.host.hostname,
    status: 'ok',
    worker: 'capacity-sim',
    startedAt: now,
    endedAt: now,
    cause: null,
    operations: data.operations.map((op) => ({
      seq: op.seq,
      name: op.name,
      module: op.module,
      status: 'ok' as const,
      exitCode: 0,
      stdout: `${op.name} on ${data.host.hostname}\n`,
      stdoutTruncated: false,
      stderr: '',
      stderrTruncated: false,
      changes: [],
      startedAt: now,
      durationMs: 1,
    })),
  };
}

async function phaseNoSsh(cassandra: Client, masterPort: number, hosts: number) {
  const ops = lightOperations(flags.ops);
  const runId = newRunId();
  log(`phase 2 (${hosts} hosts): host jobs without SSH, ${ops.length} result rows each (${hosts * ops.length} rows), ${flags.consumers} results consumer process(es)`);
  await runStore(cassandra, keyspace).createRun({ runId, mode: 'apply', target: 'capacity', hostCount: hosts });
  const queueConnection = redisConnection(config.redis);
  const hostsQueue = new Queue<HostJobData>(HOSTS_QUEUE, { connection: queueConnection, prefix });
  const consumers = Array.from({ length: flags.consumers }, () => startProcess('results-consumer', [], env));
  // Timing starts once the consumers are connected: their start-up is no part of a run's cost.
  for (const consumer of consumers) {
    while (!/results consumer: writing results/.test(consumer.output())) {
      if (consumer.child.exitCode !== null) throw new Error(`results consumer exited: ${consumer.output()}`);
      await sleep(100);
    }
  }
  // Simulated workers: take a host job, hand its result to the result stream as
  // apps/worker/src/host-worker.ts does (handOffResult), complete the job. No SSH: what is left is the queue work.
  const resultSeal = resultSealer(readResultKey(stackPaths.resultKey));
  const simWorker = new Worker(
    HOSTS_QUEUE,
    async (job: Job<HostJobData>) => {
      const { runId: id, host } = job.data;
      // Sealed as a worker seals it: the consumers refuse a result without the MAC.
      await handOffResult(queueConnection, prefix, id, host.hostname, resultSeal.seal(resultJobId(id, host.hostname), { result: fakeResult(job.data), mode: 'apply' as const, hostCount: job.data.hostCount }));
      return 'ok';
    },
    { connection: redisConnection(config.redis, { blocking: true }), prefix, concurrency: 100, autorun: false },
  );
  await measureRingIdle(10);
  const before = await probe(masterPort);
  const consumerCpu0 = consumers.map((c) => treeCpuSeconds(c.child.pid));
  const benchCpu0 = process.cpuUsage();
  const started = Date.now();
  void simWorker.run();
  try {
    // The master's enqueue: batches of 200, the master's job options (hostJobOptions).
    const host = { address: '127.10.0.1', port: 22, user: 'root', keyName: 'stack', groups: ['all'], vars: {}, hostKeys: [], become: null };
    for (let i = 0; i < hosts; i += 200) {
      const batch = Array.from({ length: Math.min(200, hosts - i) }, (_, j) => {
        const hostname = `sim-${i + j}`;
        return {
          name: 'host',
          data: { runId, host: { ...host, hostname }, operations: ops, options: { mode: 'apply' as const, keepGoing: false, operationTimeoutSeconds: 600 }, hostCount: hosts },
          opts: hostJobOptions(runId, hostname),
        };
      });
      await hostsQueue.addBulk(batch);
    }
    const enqueueSeconds = (Date.now() - started) / 1000;
    log(`phase 2: ${hosts} host jobs enqueued in ${enqueueSeconds.toFixed(1)} s`);
    await waitForRun(runId, hosts, 'phase 2', consumers);
    const seconds = (Date.now() - started) / 1000;
    await sleep(1_000);
    const after = await probe(masterPort);
    const benchCpu = process.cpuUsage(benchCpu0);
    const measured = perHost(before, after, hosts);
    const consumerCpuMs = consumers.reduce((sum, c, i) => sum + treeCpuSeconds(c.child.pid) - (consumerCpu0[i] ?? 0), 0) * 1000;

    // Everything written, counted: N run_hosts rows, N × ops operation rows, the run finished.
    let rows = 0;
    let runHostsCount = 0;
    for await (const _row of await cassandra.execute(`SELECT hostname FROM ${keyspace}.run_hosts WHERE run_id = ?`, [runId], { prepare: true, fetchSize: 5_000 })) runHostsCount++;
    const names = Array.from({ length: hosts }, (_, i) => `sim-${i}`);
    for (let i = 0; i < names.length; i += 256) {
      const counts = await Promise.all(
        names.slice(i, i + 256).map(async (h) => (await cassandra.execute(`SELECT seq FROM ${keyspace}.operation_results WHERE run_id = ? AND hostname = ?`, [runId, h], { prepare: true, isIdempotent: true })).rowLength),
      );
      rows += counts.reduce((a, b) => a + b, 0);
    }
    const run = await runStore(cassandra, keyspace).getRun(runId);
    const redisCpuShare = (after.redis.mainThreadCpu - before.redis.mainThreadCpu) / seconds;
    return {
      hosts,
      ops: ops.length,
      consumers: flags.consumers,
      enqueueSeconds: round(enqueueSeconds, 1),
      seconds: round(seconds, 1),
      hostsPerSecond: round(hosts / seconds, 1),
      resultRowsWritten: rows,
      resultRowsExpected: hosts * ops.length,
      runHostRows: runHostsCount,
      runStatus: run?.status,
      runHostsDone: run?.hostsDone,
      redisMainThreadBusy: round(redisCpuShare, 3),
      // What the run's jobs hold at its end (completed host jobs are kept, see the job options).
      redisMemoryHeldMB: round((after.redis.usedMemory - before.redis.usedMemory) / 1e6, 1),
      consumerCpuMsPerHost: round(consumerCpuMs / hosts, 2),
      simWorkerAndEnqueueCpuMsPerHost: round(((benchCpu.user + benchCpu.system) / 1000) / hosts, 2),
      perHost: measured,
    };
  } finally {
    await simWorker.close();
    await hostsQueue.close();
    queueConnection.disconnect();
    await Promise.all(consumers.map((c) => stopStarted(c)));
  }
}

type NoSshResult = Awaited<ReturnType<typeof phaseNoSsh>>;
interface CheckRow {
  readonly figure: string;
  readonly predicted: number;
  readonly measured: number;
}

/** Hosts per unlogged batch of the results consumer when its queue is full (its --batch-hosts default). */
const HOSTS_PER_RESULTS_BATCH = 16;

/**
 * Predicted (per-host coefficients of the calibration run × N; and the writes the store code
 * issues for a full group of g hosts: one unlogged batch with a partition per host in
 * operation_results, host_runs and host_drift, and one partition of the run in run_hosts and in
 * run_hosts_by_status, which Cassandra counts as 5 coordinator writes, one per table, and
 * RF 3 × (3 g + 2) replica writes; the run's progress row is written far less often than once
 * per group and left out) vs measured at full size.
 */
function modelCheck(calibration: NoSshResult, full: NoSshResult): CheckRow[] {
  const n = full.hosts;
  const c = calibration.perHost;
  const f = full.perHost;
  const g = HOSTS_PER_RESULTS_BATCH;
  return [
    { figure: 'Redis commands executed', predicted: Math.round(c.redisCommandsExecuted * n), measured: Math.round(f.redisCommandsExecuted * n) },
    { figure: 'Redis main-thread CPU s', predicted: round((c.redisCpuMs * n) / 1000, 1), measured: round((f.redisCpuMs * n) / 1000, 1) },
    { figure: 'Cassandra coordinator writes', predicted: Math.round((5 * n) / g), measured: Math.round(f.cassandraCoordinatorWrites * n) },
    { figure: 'Cassandra replica writes (RF 3)', predicted: Math.round((3 * (3 * g + 2) * n) / g), measured: Math.round(f.cassandraReplicaWrites * n) },
    { figure: 'operation result rows', predicted: n * full.ops, measured: full.resultRowsWritten },
    { figure: 'Cassandra CPU s (ring)', predicted: round((c.cassandraCpuMs * n) / 1000, 1), measured: round((f.cassandraCpuMs * n) / 1000, 1) },
    { figure: 'run duration s (this machine)', predicted: round(n / calibration.hostsPerSecond, 1), measured: full.seconds },
  ];
}

function formatCheck(rows: CheckRow[]): string {
  const lines = rows.map((r) => `${r.figure.padEnd(34)} ${String(r.predicted).padStart(12)} ${String(r.measured).padStart(12)} ${(r.measured / r.predicted).toFixed(2).padStart(7)}`);
  return [`${'model check'.padEnd(34)} ${'predicted'.padStart(12)} ${'measured'.padStart(12)} ${'ratio'.padStart(7)}`, ...lines].join('\n');
}

async function main(): Promise<void> {
  const cassandra = await connectCassandra(config.cassandra);
  await applySchema(cassandra, keyspace, config.cassandra.replication);
  if (singleRedis) await ensureStack(5, log);
  const masterPort = singleRedis ? Number(singleRedis.port || 6379) : await redisClusterMasterFor(prefix);
  log(`keyspace ${keyspace} (${config.cassandra.replication}, ${config.cassandra.consistency}); prefix ${prefix} on Redis ${redisProbeHost}:${masterPort}`);
  const report: Record<string, unknown> = { at: new Date().toISOString(), machine: { cores: (await import('node:os')).cpus().length }, ring: ringNodes };
  try {
    const ssh = flags['skip-ssh'] ? undefined : await phaseSsh(cassandra, masterPort);
    report.phase1Ssh = ssh;
    if (ssh) log(`phase 1: ${JSON.stringify(ssh)}`);
    // The model's Redis and Cassandra parts, calibrated on a small run, checked at full size.
    const calibration = await phaseNoSsh(cassandra, masterPort, Math.min(flags.hosts, Math.max(1_000, Math.min(5_000, Math.round(flags.hosts / 10)))));
    report.phase2Calibration = calibration;
    log(`phase 2 calibration: ${JSON.stringify(calibration)}`);
    const full = await phaseNoSsh(cassandra, masterPort, flags.hosts);
    report.phase2Full = full;
    log(`phase 2 full: ${JSON.stringify(full)}`);
    report.check = modelCheck(calibration, full);
    process.stderr.write(`${formatCheck(report.check as CheckRow[])}\n`);
  } finally {
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await cassandra.shutdown();
    await deleteQueueKeys(config.redis, prefix.slice(1, -1));
  }
  const out = path.join(repoRoot, 'bench', 'results', singleRedis ? 'capacity-single.json' : 'capacity.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  log(`written to ${out}`);
}

runMain('capacity', main);
