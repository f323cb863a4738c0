/**
 * A fleet run through the real processes on the clusters (issue 20's "Done when"): one resident
 * `master`, `--workers` worker processes and `--consumers` results consumers, all real, on the
 * 3-node Cassandra ring and the Redis Cluster (3 masters + 3 replicas) with K queue partitions.
 * `--hosts` inventory hosts (default 52,000: past one run bucket of 50,000, so the run's host rows
 * span two Cassandra partitions) are spread over bench SSH hosts 6–10, each host converged over
 * its own SSH connection, `--ops` light operations each.
 *
 *   npm run stack -- up --cassandra-nodes 3 --redis-cluster
 *   npx tsx bench/cluster-run.ts [--hosts 52000] [--partitions 3] [--workers 2] [--concurrency 100] [--consumers 1] [--ops 1]
 *
 * Measures, between the run request and the run's last host counted:
 * - per Redis Cluster master: commands executed (scripts' commands included), main-thread CPU,
 *   memory; so the share each master carries, and the spread between them (max / min − 1);
 * - Cassandra: coordinator and replica writes per host (system_views, every node), ring CPU;
 * - CPU of the master, workers and consumers per host; hosts/s; the run's end state.
 * Then checks that nothing was lost or doubled: the run finished, one run_hosts row per host in
 * its bucket, `ops` operation rows per host, each partition's done set holds exactly its hosts.
 *
 * A cluster master costs CPU with nothing connected (cluster bus, replication, cron): measured
 * for 30 s before anything starts and subtracted, so "net" CPU per host job is the run's own.
 *
 * Its own keyspace and queue prefix, removed at the end. Results: printed, and written to
 * bench/results/cluster-run-<hosts>.md (+ .json). `--render <json>` prints a result file again.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'cassandra-driver';
import { z } from 'zod';
import { connectionConfigFromEnv, hostPartition, intFlag, parseCli } from '@simplecm/config';
import type { Operation } from '@simplecm/domain';
import { liveMasters, queuePartitionPrefixes, readRunProgress, redisConnection, runDoneKey } from '@simplecm/queue';
import { applySchema, connectCassandra, hostBucket, runBucketCount, runStore } from '@simplecm/store';
import {
  cassandraClusterNodeNumbers,
  cassandraNodePid,
  clusterStackEnv,
  hostAddress,
  redisClusterHost,
  redisClusterKeySlot,
  redisClusterMasterFor,
  redisClusterTopology,
  repoRoot,
  type Started,
  startProcess,
  stopStarted,
} from '@simplecm/stack';
import { benchHostNumbers, ensureStack, stackHostKey } from './bench-host-pool';
import { deleteQueueKeys } from './delete-queue-keys';
import { lightOperations } from './workload';
import { cassandraDelta, cpuSeconds, redisDelta, sampleCassandra, sampleRedis, treeCpuSeconds, type RedisSample } from './capacity-probes';
import { runMain } from './run-main';

const { flags } = parseCli(
  process.argv.slice(2),
  {
    hosts: { type: 'string' },
    partitions: { type: 'string' },
    workers: { type: 'string' },
    concurrency: { type: 'string' },
    consumers: { type: 'string' },
    ops: { type: 'string' },
    render: { type: 'string' },
  },
  z.object({
    hosts: intFlag(5, 2_000_000).default(52_000),
    partitions: intFlag(1, 16).default(3),
    workers: intFlag(1, 16).default(2),
    concurrency: intFlag(1, 1_000).default(100),
    consumers: intFlag(1, 16).default(1),
    ops: intFlag(1, 20).default(1),
    render: z.string().optional(),
  }),
);

const log = (line: string) => process.stderr.write(`[cluster-run] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
const keyspace = `cr_${suffix}`;
const prefix = `{cr-${suffix}}`;
const ringNodes = cassandraClusterNodeNumbers().length;
const env: Record<string, string> = {
  ...clusterStackEnv(keyspace, { cassandraNodes: ringNodes, redisCluster: true }),
  SIMPLECM_QUEUE_PREFIX: prefix,
  SIMPLECM_QUEUE_PARTITIONS: String(flags.partitions),
};
const config = connectionConfigFromEnv(env);
const partitionPrefixes = queuePartitionPrefixes(config.redis);
const sshHosts = benchHostNumbers(5);

const fleetHostname = (i: number) => `fleet-${String(i).padStart(7, '0')}`;

/** The inventory: host i on bench SSH host i mod 5, its key pinned; `ops` operations each. Prepared writes, 256 in flight. */
async function loadInventory(cassandra: Client, hosts: number, ops: readonly Operation[]): Promise<void> {
  const keys = sshHosts.map(stackHostKey);
  const insertHost = `INSERT INTO ${keyspace}.hosts (hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const insertOp = `INSERT INTO ${keyspace}.operations (hostname, seq, name, module, attributes, become) VALUES (?, ?, ?, ?, ?, ?)`;
  let next = 0;
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < hosts) {
        const i = next++;
        const hostname = fleetHostname(i);
        await Promise.all([
          cassandra.execute(insertHost, [hostname, hostAddress(sshHosts[i % 5]!), 22, 'root', 'stack', ['all'], {}, [keys[i % 5]], null], { prepare: true }),
          cassandra.batch(
            ops.map((op) => ({ query: insertOp, params: [hostname, op.seq, op.name, op.module, JSON.stringify(op.attributes), null] })),
            { prepare: true, logged: false },
          ),
        ]);
        if (++done % 10_000 === 0) log(`inventory: ${done}/${hosts} hosts loaded`);
      }
    }),
  );
  log(`inventory: ${hosts} hosts loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The cluster's masters now (port), asked of any node that answers. */
function clusterMasters(): number[] {
  return redisClusterTopology()
    .filter((n) => n.role === 'master' && !n.failing)
    .map((n) => n.port)
    .sort((a, b) => a - b);
}

async function sampleMasters(ports: readonly number[]): Promise<Map<number, RedisSample>> {
  return new Map(await Promise.all(ports.map(async (port) => [port, await sampleRedis(redisClusterHost, port)] as const)));
}

const ringCpu = () => cassandraClusterNodeNumbers().reduce((sum, n) => sum + cpuSeconds(cassandraNodePid(n)), 0);

async function waitForRun(runId: string, hosts: number, processes: readonly Started[]): Promise<void> {
  const redis = redisConnection(config.redis);
  try {
    const started = Date.now();
    let next = started + 30_000;
    for (;;) {
      const dead = processes.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
      if (dead) throw new Error(`a SimpleCM process ended (${dead.child.exitCode ?? dead.child.signalCode}):\n${dead.output().split('\n').slice(-15).join('\n')}`);
      const p = await readRunProgress(redis, partitionPrefixes, runId);
      if (p.hostsDone >= hosts) return;
      if (Date.now() > next) {
        const s = (Date.now() - started) / 1000;
        log(`run: ${p.hostsDone}/${hosts} hosts done (${p.hostsFailed} failed) after ${s.toFixed(0)} s, ${(p.hostsDone / s).toFixed(1)} hosts/s`);
        next += 30_000;
      }
      await sleep(500);
    }
  } finally {
    redis.disconnect();
  }
}

/** Nothing lost or doubled: rows per bucket, operation rows, each partition's done set. */
async function verify(cassandra: Client, runId: string, hosts: number, ops: number) {
  const run = await runStore(cassandra, keyspace).getRun(runId);
  // B as the master recorded it on the run row (none recorded means 1), checked against the rule.
  const recorded = (await cassandra.execute(`SELECT bucket_count FROM ${keyspace}.runs WHERE run_id = ?`, [runId], { prepare: true })).first()?.get('bucket_count') as number | null | undefined;
  const buckets = recorded ?? 1;
  if (buckets !== runBucketCount(hosts)) throw new Error(`run ${runId} recorded ${buckets} bucket(s); the rule gives ${runBucketCount(hosts)} for ${hosts} hosts`);
  const rowsByBucket: number[] = [];
  const statuses: Record<string, number> = {};
  for (let b = 0; b < buckets; b++) {
    const table = buckets === 1 ? 'run_hosts' : 'run_hosts_bucketed';
    const where = buckets === 1 ? 'run_id = ?' : 'run_id = ? AND bucket = ?';
    let n = 0;
    const rs = await cassandra.execute(`SELECT hostname, status FROM ${keyspace}.${table} WHERE ${where}`, buckets === 1 ? [runId] : [runId, b], { prepare: true, fetchSize: 5_000 });
    for await (const row of rs) {
      const hostname = row.get('hostname') as string;
      if (buckets > 1 && hostBucket(hostname, buckets) !== b) throw new Error(`${hostname} found in bucket ${b}, belongs in ${hostBucket(hostname, buckets)}`);
      const status = row.get('status') as string;
      statuses[status] = (statuses[status] ?? 0) + 1;
      n++;
    }
    rowsByBucket.push(n);
  }
  let operationRows = 0;
  for (let i = 0; i < hosts; i += 512) {
    const counts = await Promise.all(
      Array.from({ length: Math.min(512, hosts - i) }, async (_, j) => (await cassandra.execute(`SELECT seq FROM ${keyspace}.operation_results WHERE run_id = ? AND hostname = ?`, [runId, fleetHostname(i + j)], { prepare: true, isIdempotent: true })).rowLength),
    );
    operationRows += counts.reduce((a, b) => a + b, 0);
  }
  // Each partition's done set holds exactly the hosts of that partition.
  const expected = new Array<number>(partitionPrefixes.length).fill(0);
  for (let i = 0; i < hosts; i++) expected[hostPartition(fleetHostname(i), partitionPrefixes.length)]!++;
  const redis = redisConnection(config.redis);
  const doneSets: number[] = [];
  try {
    for (const p of partitionPrefixes) doneSets.push(await redis.scard(runDoneKey(p, runId)));
  } finally {
    redis.disconnect();
  }
  return { runStatus: run?.status, runHostsDone: run?.hostsDone, bucketCount: buckets, rowsByBucket, statuses, operationRows, operationRowsExpected: hosts * ops, doneSets, doneSetsExpected: expected };
}

async function main(): Promise<void> {
  const running = cassandraClusterNodeNumbers().filter((n) => cassandraNodePid(n) !== undefined).length;
  if (running < 3) throw new Error(`${running} of 3 ring nodes running: run 'npm run stack -- up --cassandra-nodes 3 --redis-cluster' first`);
  const ops = lightOperations(flags.ops);
  await ensureStack(5, log);
  const cassandra = await connectCassandra(config.cassandra);
  await applySchema(cassandra, keyspace, config.cassandra.replication);
  const masters = clusterMasters();
  const partitionMasters = await Promise.all(partitionPrefixes.map((p) => redisClusterMasterFor(p)));
  const baseMaster = await redisClusterMasterFor(prefix);
  log(`keyspace ${keyspace} on the ring of ${ringNodes}; prefix ${prefix}, K = ${partitionPrefixes.length}: ${partitionPrefixes.map((p, i) => `${p} (slot ${redisClusterKeySlot(p)}) on ${partitionMasters[i]}`).join(', ')}; run-level keys on ${baseMaster}`);
  // What each master costs with nothing of SimpleCM connected, per second.
  const idleSeconds = 30;
  const idle0 = await sampleMasters(masters);
  await sleep(idleSeconds * 1000);
  const idle1 = await sampleMasters(masters);
  const idleCpuMsPerSecond = new Map(masters.map((port) => [port, (redisDelta(idle0.get(port)!, idle1.get(port)!).mainThreadCpu * 1000) / idleSeconds]));
  log(`cluster masters idle: ${masters.map((p) => `${p} ${idleCpuMsPerSecond.get(p)!.toFixed(2)} ms CPU/s`).join(', ')}`);
  const processes: Started[] = [];
  const report: Record<string, unknown> = { at: new Date().toISOString(), hosts: flags.hosts, partitions: partitionPrefixes.length, workers: flags.workers, concurrency: flags.concurrency, consumers: flags.consumers, ops: flags.ops, partitionMasters, baseMaster };
  try {
    await loadInventory(cassandra, flags.hosts, ops);
    const master = startProcess('master', ['--name', `cr-m1-${suffix}`], env);
    // The 1,000-host bench's settings (bench/scenarios/scale.ts): a worker on a loaded 2-core machine keeps its locks.
    const workers = Array.from({ length: flags.workers }, (_, i) => startProcess('worker', ['--name', `cr-w${i + 1}`, '--concurrency', String(flags.concurrency), '--connect-timeout', '300000', '--lock-duration', '120000'], env));
    const consumers = Array.from({ length: flags.consumers }, () => startProcess('results-consumer', [], env));
    processes.push(master, ...workers, ...consumers);
    const redis = redisConnection(config.redis);
    try {
      while ((await liveMasters(redis, prefix)).length < 1) {
        if (master.child.exitCode !== null) throw new Error(`master exited: ${master.output()}`);
        await sleep(200);
      }
    } finally {
      redis.disconnect();
    }
    await sleep(3_000); // workers and consumers connected
    const cpuOf = (list: readonly Started[]) => list.reduce((sum, p) => sum + treeCpuSeconds(p.child.pid), 0);
    const ring0 = ringCpu();
    const redis0 = await sampleMasters(masters);
    const cass0 = await sampleCassandra(config.cassandra.contactPoints, config.cassandra.localDataCenter, keyspace);
    const cpu0 = { master: cpuOf([master]), workers: cpuOf(workers), consumers: cpuOf(consumers) };
    const started = Date.now();
    const enqueue = startProcess('enqueue', [], env);
    const code = await enqueue.exited;
    const runId = /run ([0-9a-f-]{36})/.exec(enqueue.output())?.[1];
    if (code !== 0 || !runId) throw new Error(`enqueue failed (${code}): ${enqueue.output()}`);
    log(`run ${runId} submitted to the master: ${enqueue.output().trim().split('\n').slice(-1)[0]}`);
    await waitForRun(runId, flags.hosts, processes);
    const seconds = (Date.now() - started) / 1000;
    await sleep(2_000); // the consumer's last progress writes
    const redis1 = await sampleMasters(masters);
    const cass1 = await sampleCassandra(config.cassandra.contactPoints, config.cassandra.localDataCenter, keyspace);
    const ring1 = ringCpu();
    const cpu1 = { master: cpuOf([master]), workers: cpuOf(workers), consumers: cpuOf(consumers) };
    const n = flags.hosts;
    const perMaster = masters.map((port) => {
      const d = redisDelta(redis0.get(port)!, redis1.get(port)!);
      return {
        port,
        holds: [...partitionPrefixes.flatMap((p, i) => (partitionMasters[i] === port ? [`partition ${i}`] : [])), ...(baseMaster === port ? ['run-level keys'] : [])].join(', ') || 'nothing of this installation',
        commands: d.commandsProcessed,
        commandsPerHost: round(d.commandsProcessed / n, 1),
        cpuSeconds: round(d.mainThreadCpu, 2),
        cpuMsPerHost: round((d.mainThreadCpu * 1000) / n, 3),
        idleCpuMsPerSecond: round(idleCpuMsPerSecond.get(port)!, 2),
        netCpuMsPerHost: round((d.mainThreadCpu * 1000 - idleCpuMsPerSecond.get(port)! * seconds) / n, 3),
        busy: round(d.mainThreadCpu / seconds, 3),
        memoryMB: round((redis1.get(port)!.usedMemory - redis0.get(port)!.usedMemory) / 1e6, 1),
        top: Object.fromEntries(
          Object.entries(d.calls)
            .sort((x, y) => y[1] - x[1])
            .slice(0, 8)
            .map(([k, v]) => [k, round(v / n, 2)]),
        ),
      };
    });
    const partitionRows = perMaster.filter((m) => partitionMasters.includes(m.port));
    const cmds = partitionRows.map((m) => m.commands);
    const cpus = partitionRows.map((m) => m.netCpuMsPerHost);
    const c = cassandraDelta(cass0, cass1);
    const verified = await verify(cassandra, runId, n, ops.length);
    Object.assign(report, {
      runId,
      seconds: round(seconds, 1),
      hostsPerSecond: round(n / seconds, 1),
      redis: {
        perMaster,
        commandsPerHostJob: round(perMaster.reduce((s, m) => s + m.commands, 0) / n, 1),
        cpuMsPerHostJob: round((perMaster.reduce((s, m) => s + m.cpuSeconds, 0) * 1000) / n, 3),
        netCpuMsPerHostJob: round(perMaster.reduce((s, m) => s + m.netCpuMsPerHost, 0), 3),
        partitionSpreadCommands: round(Math.max(...cmds) / Math.min(...cmds) - 1, 3),
        partitionSpreadCpu: round(Math.max(...cpus) / Math.min(...cpus) - 1, 3),
      },
      cassandra: {
        coordinatorWritesPerHost: round(c.coordinatorTotal / n, 2),
        replicaWritesPerHost: round(c.replicaTotal / n, 2),
        replicaWritesByTable: Object.fromEntries(Object.entries(c.replica).map(([k, v]) => [k, round(v / n, 2)])),
        ringCpuMsPerHost: round(((ring1 - ring0) * 1000) / n, 2),
      },
      cpuMsPerHost: {
        master: round(((cpu1.master - cpu0.master) * 1000) / n, 2),
        workers: round(((cpu1.workers - cpu0.workers) * 1000) / n, 2),
        consumers: round(((cpu1.consumers - cpu0.consumers) * 1000) / n, 2),
      },
      verified,
    });
    const problems: string[] = [];
    if (verified.runStatus !== 'finished') problems.push(`run status ${verified.runStatus}`);
    if (verified.rowsByBucket.reduce((a, b) => a + b, 0) !== n) problems.push(`run_hosts rows ${verified.rowsByBucket.join('+')} != ${n}`);
    if (verified.operationRows !== verified.operationRowsExpected) problems.push(`operation rows ${verified.operationRows} != ${verified.operationRowsExpected}`);
    if (verified.doneSets.some((v, i) => v !== verified.doneSetsExpected[i])) problems.push(`done sets ${verified.doneSets.join(',')} != ${verified.doneSetsExpected.join(',')}`);
    report.problems = problems;
    for (const p of problems) log(`PROBLEM: ${p}`);
  } finally {
    await Promise.all(processes.map((p) => stopStarted(p)));
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await cassandra.shutdown();
    await deleteQueueKeys(config.redis, prefix.slice(1, -1));
  }
  const out = path.join(repoRoot, 'bench', 'results', `cluster-run-${flags.hosts}`);
  fs.writeFileSync(`${out}.json`, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(`${out}.md`, markdown(report));
  process.stdout.write(markdown(report));
  log(`written to ${out}.md and .json`);
  if ((report.problems as string[] | undefined)?.length) process.exitCode = 1;
}

function markdown(r: Record<string, any>): string {
  const lines = [
    `# A fleet run on the clusters (bench/cluster-run.ts, ${r.at})`,
    '',
    `${r.hosts.toLocaleString('en')} hosts, ${r.ops} operation(s) each, K = ${r.partitions} queue partitions; one resident master, ${r.workers} worker process(es) at --concurrency ${r.concurrency}, ${r.consumers} results consumer(s); 3-node Cassandra ring (RF 3, LOCAL_QUORUM), Redis Cluster 3 masters + 3 replicas; hosts spread over 5 real sshds, one SSH connection per host. All on one 2-core machine.`,
    '',
    `Run ${r.runId}: **${r.seconds} s, ${r.hostsPerSecond} hosts/s**; ${r.verified ? `status ${r.verified.runStatus}, ${r.verified.runHostsDone} hosts done, run_hosts rows ${r.verified.rowsByBucket.join(' + ')} in ${r.verified.bucketCount} bucket(s), ${r.verified.operationRows} of ${r.verified.operationRowsExpected} operation rows, done sets per partition ${r.verified.doneSets.join(' / ')} (expected ${r.verified.doneSetsExpected.join(' / ')}), statuses ${JSON.stringify(r.verified.statuses)}` : 'not verified'}.`,
    '',
    r.problems?.length ? `**Problems:** ${r.problems.join('; ')}` : 'Nothing lost or doubled.',
    '',
    '| Redis master | holds | commands | per host job | main-thread CPU (s) | idle (ms/s) | net CPU per host job (ms) | busy | memory Δ (MB) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...(r.redis?.perMaster ?? []).map((m: any) => `| ${m.port} | ${m.holds} | ${m.commands.toLocaleString('en')} | ${m.commandsPerHost} | ${m.cpuSeconds} | ${m.idleCpuMsPerSecond} | ${m.netCpuMsPerHost} | ${(m.busy * 100).toFixed(1)} % | ${m.memoryMB} |`),
    '',
    r.redis ? `Whole cluster per host job: ${r.redis.commandsPerHostJob} commands, ${r.redis.netCpuMsPerHostJob} ms main-thread CPU net of the masters' idle cost (${r.redis.cpuMsPerHostJob} ms gross). Spread between the partitions' masters (max / min − 1): commands ${(r.redis.partitionSpreadCommands * 100).toFixed(1)} %, net CPU ${(r.redis.partitionSpreadCpu * 100).toFixed(1)} %.` : '',
    '',
    r.cassandra ? `Cassandra per host: ${r.cassandra.coordinatorWritesPerHost} coordinator / ${r.cassandra.replicaWritesPerHost} replica writes (${Object.entries(r.cassandra.replicaWritesByTable).map(([k, v]) => `${k} ${v}`).join(', ')}); ring CPU ${r.cassandra.ringCpuMsPerHost} ms.` : '',
    '',
    r.note ? `Note: ${r.note}.` : '',
    '',
    r.cpuMsPerHost ? `CPU per host: master ${r.cpuMsPerHost.master} ms, workers ${r.cpuMsPerHost.workers} ms, results consumer(s) ${r.cpuMsPerHost.consumers} ms.` : '',
    '',
  ];
  return lines.join('\n');
}

if (flags.render) process.stdout.write(markdown(JSON.parse(fs.readFileSync(flags.render, 'utf8')) as Record<string, any>));
else runMain('cluster-run', main);
