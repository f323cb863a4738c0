/**
 * `npx tsx bench/master-throughput.ts [--requests N] [--plan-hosts N] [--skip-plan] [--skip-throughput]`: what
 * resident masters sustain (issue 17), on a stack that is already running; nothing is started or
 * stopped but this script's own masters and one `enqueue`. Its own keyspace and queue prefixes,
 * no worker (no host job is ever run), everything deleted afterwards.
 *
 * 1. Run requests of one host each: N requests added at once (one addBulk) to the run-requests
 *    queue, timed from just before the add to the N-th host job being in the hosts queue (a
 *    QueueEvents `waiting` event per job), with 1 and with 2 masters (default concurrency).
 * 2. A 100,000-host plan (10 operations each, bulk-loaded into the keyspace first): one run
 *    request through a warm resident master, from the add to the master's answer (every host job
 *    enqueued), against today's one-shot `enqueue` process on the same inventory (spawn to exit).
 *
 * Results: printed as Markdown and written to bench/results/master-throughput.md.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import { HOST_JOB_ATTEMPTS, HOSTS_QUEUE, liveMasters, redisConnection, RUN_REQUESTS_QUEUE, runRequestAnswerSchema, runRequestJobOptions, type RunRequest } from '@simplecm/queue';
import { applySchema, connectCassandra } from '@simplecm/store';
import { repoRoot, stackEnv, startProcess, stopStarted, type Started } from '@simplecm/stack';
import { bulkLoadInventory, scaleHostname } from './bulk-load';
import { treeCpuSeconds } from './capacity-probes';
import { infraCpu, infraDelta } from './infra-cpu';
import { machineCpu } from './proc-stats';
import { benchOperations } from './workload';
import { runMain } from './run-main';

const log = (line: string) => process.stderr.write(`[master-throughput] ${line}\n`);

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

function request(requestId: string, target: RunRequest['target']): RunRequest {
  return { requestId, target, options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 60 }, selection: {}, connectAttempts: HOST_JOB_ATTEMPTS, source: 'bench', submittedAt: Date.now() };
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function startMasters(env: Record<string, string>, redis: Redis, prefix: string, n: number): Promise<Started[]> {
  const masters = Array.from({ length: n }, (_, i) => startProcess('master', ['--name', `bench-${i + 1}`], env));
  while ((await liveMasters(redis, prefix)).length < n) {
    const dead = masters.find((m) => m.child.exitCode !== null);
    if (dead) throw new Error(`a master exited: ${dead.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return masters;
}

/** N one-host requests at once through `masters` masters; seconds from the add to the N-th host job waiting. */
/** CPU per request (ms) of the masters, Cassandra and Redis, and the share of the machine's CPU that was busy (everyone's). */
interface CpuPerRequest {
  readonly masterMs: number;
  readonly cassandraMs: number;
  readonly redisMs: number;
  readonly machineBusy: number;
  readonly machineBusyMs: number;
}

async function throughput(
  base: { keyspace: string; prefix: string },
  redis: Redis,
  blocking: Redis,
  hosts: number,
  n: number,
  masterCount: number,
): Promise<{ seconds: number; perSecond: number; cpu: CpuPerRequest }> {
  const prefix = `${base.prefix}-t${masterCount}`;
  const env = { ...stackEnv(base.keyspace), SIMPLECM_QUEUE_PREFIX: prefix };
  const masters = await startMasters(env, redis, prefix, masterCount);
  const requests = new Queue<RunRequest>(RUN_REQUESTS_QUEUE, { connection: redis, prefix });
  const events = new QueueEvents(HOSTS_QUEUE, { connection: blocking.duplicate(), prefix });
  try {
    await events.waitUntilReady();
    // Warm-up: a few requests so that statements are prepared and code paths compiled.
    await runBatch(requests, events, Array.from({ length: 8 * masterCount }, (_, i) => request(randomUUID(), { kind: 'hosts', hosts: [scaleHostname((i % hosts) + 1)] })));
    const batch = Array.from({ length: n }, (_, i) => request(randomUUID(), { kind: 'hosts', hosts: [scaleHostname((i % hosts) + 1)] }));
    const masterCpu = () => masters.reduce((sum, m) => sum + treeCpuSeconds(m.child.pid), 0);
    const [m0, i0, c0] = [masterCpu(), infraCpu(0), machineCpu()];
    const seconds = await runBatch(requests, events, batch);
    const [m1, i1, c1] = [masterCpu(), infraCpu(0), machineCpu()];
    const infra = infraDelta(i0, i1);
    const perRequestMs = (cpuSeconds: number) => (cpuSeconds * 1000) / n;
    const cpu = {
      masterMs: perRequestMs(m1 - m0),
      cassandraMs: perRequestMs(infra.cassandra),
      redisMs: perRequestMs(infra.redis),
      machineBusy: (c1.busy - c0.busy) / (c1.total - c0.total),
      machineBusyMs: perRequestMs(c1.busy - c0.busy),
    };
    return { seconds, perSecond: n / seconds, cpu };
  } finally {
    await Promise.all(masters.map((m) => stopStarted(m)));
    await Promise.allSettled([events.close(), requests.close()]);
    await deletePrefix(redis, prefix);
  }
}

async function runBatch(requests: Queue<RunRequest>, events: QueueEvents, batch: RunRequest[]): Promise<number> {
  let seen = 0;
  const all = new Promise<number>((resolve) => {
    const onWaiting = () => {
      if (++seen === batch.length) {
        events.off('waiting', onWaiting);
        resolve(performance.now());
      }
    };
    events.on('waiting', onWaiting);
  });
  const t0 = performance.now();
  await requests.addBulk(batch.map((data) => ({ name: 'run', data, opts: runRequestJobOptions(data.requestId) })));
  return ((await all) - t0) / 1000;
}

/** What a plan cost: wall seconds, CPU seconds of the planning process, Cassandra and Redis, and the machine's busy share. */
interface PlanCost {
  readonly seconds: number;
  readonly plannerCpu: number;
  readonly cassandraCpu: number;
  readonly redisCpu: number;
  readonly machineBusy: number;
}

/** Measures `work` (which returns its own wall seconds) with `plannerCpu` read before and, sampled, up to its end. */
async function costOf(plannerCpu: () => number, work: () => Promise<number>): Promise<PlanCost> {
  const [p0, i0, c0] = [plannerCpu(), infraCpu(0), machineCpu()];
  // Sampled: a process that exits takes its CPU figures with it.
  let p1 = p0;
  const sampler = setInterval(() => (p1 = Math.max(p1, plannerCpu())), 200);
  try {
    const seconds = await work();
    p1 = Math.max(p1, plannerCpu());
    const [i1, c1] = [infraCpu(0), machineCpu()];
    const infra = infraDelta(i0, i1);
    return { seconds, plannerCpu: p1 - p0, cassandraCpu: infra.cassandra, redisCpu: infra.redis, machineBusy: (c1.busy - c0.busy) / (c1.total - c0.total) };
  } finally {
    clearInterval(sampler);
  }
}

function formatCost(c: PlanCost): string {
  return `${c.seconds.toFixed(1)} | ${c.plannerCpu.toFixed(1)} · ${c.cassandraCpu.toFixed(1)} · ${c.redisCpu.toFixed(1)} | ${(c.machineBusy * 100).toFixed(0)} %`;
}

/** One request for every host through a warm master: seconds from the add to its answer. */
async function planThroughMaster(keyspace: string, prefix: string, redis: Redis, blocking: Redis, hosts: number): Promise<PlanCost> {
  const env = { ...stackEnv(keyspace), SIMPLECM_QUEUE_PREFIX: prefix };
  const [master] = await startMasters(env, redis, prefix, 1);
  const requests = new Queue<RunRequest>(RUN_REQUESTS_QUEUE, { connection: redis, prefix });
  const events = new QueueEvents(RUN_REQUESTS_QUEUE, { connection: blocking.duplicate(), prefix });
  try {
    await events.waitUntilReady();
    // Warm the master on a one-host request first.
    const warm = request(randomUUID(), { kind: 'hosts', hosts: [scaleHostname(1)] });
    await (await requests.add('run', warm, runRequestJobOptions(warm.requestId))).waitUntilFinished(events);
    const all = request(randomUUID(), { kind: 'all' });
    return await costOf(
      () => treeCpuSeconds(master!.child.pid),
      async () => {
        const t0 = performance.now();
        const job = await requests.add('run', all, runRequestJobOptions(all.requestId));
        const answer = runRequestAnswerSchema.parse(await job.waitUntilFinished(events, 600_000));
        if (answer.hostCount !== hosts) throw new Error(`the master planned ${answer.hostCount} hosts, not ${hosts}`);
        return (performance.now() - t0) / 1000;
      },
    );
  } finally {
    await stopStarted(master!);
    await Promise.allSettled([events.close(), requests.close()]);
    await deletePrefix(redis, prefix);
  }
}

/** Today's one-shot `enqueue` of every host (spawn to exit). */
async function planOneShot(keyspace: string, prefix: string, redis: Redis, hosts: number): Promise<PlanCost> {
  const env = { ...stackEnv(keyspace), SIMPLECM_QUEUE_PREFIX: prefix };
  try {
    let run: Started | undefined;
    return await costOf(
      () => treeCpuSeconds(run?.child.pid),
      async () => {
        const t0 = performance.now();
        run = startProcess('enqueue', ['--local'], env);
        const code = await run.exited;
        const seconds = (performance.now() - t0) / 1000;
        if (code !== 0 || !run.output().includes(`${hosts} host job(s) enqueued`)) throw new Error(`enqueue exited ${code}: ${run.output().slice(-2000)}`);
        return seconds;
      },
    );
  } finally {
    await deletePrefix(redis, prefix);
  }
}

async function main(): Promise<void> {
  const n = flag('requests', 1000);
  const planHosts = flag('plan-hosts', 100_000);
  const skipPlan = process.argv.includes('--skip-plan');
  const suffix = randomUUID().replace(/-/g, '').slice(0, 8);
  const keyspace = `bench_mthru_${suffix}`;
  const prefix = `bench-mthru-${suffix}`;
  const config = connectionConfigFromEnv(stackEnv(keyspace));
  const cassandra = await connectCassandra(config.cassandra);
  const redis = redisConnection({ ...config.redis, prefix });
  const blocking = redisConnection({ ...config.redis, prefix }, { blocking: true });
  const lines: string[] = [];
  try {
    await applySchema(cassandra, keyspace, config.cassandra.replication);
    const hosts = skipPlan ? 1000 : planHosts;
    const label = process.argv.includes('--label') ? process.argv[process.argv.indexOf('--label') + 1] : undefined;
    log(`loading ${hosts.toLocaleString('en')} hosts × 10 operations into ${keyspace}`);
    const t0 = Date.now();
    await bulkLoadInventory(cassandra, keyspace, { hosts, operations: benchOperations('mthru'), onProgress: (d) => d % 20_000 === 0 && log(`${d} hosts loaded`) });
    log(`loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    if (!process.argv.includes('--skip-throughput')) lines.push(
      '| run requests of 1 host each, added at once | masters | requests | first add → last host job waiting | requests/s | CPU ms per request: masters · Cassandra · Redis · whole machine (everyone) | machine busy |',
      '|---|---|---|---|---|---|---|',
    );
    for (const masters of process.argv.includes('--skip-throughput') ? [] : [1, 2]) {
      const r = await throughput({ keyspace, prefix }, redis, blocking, Math.min(hosts, 1000), n, masters);
      const c = r.cpu;
      const cpu = `${c.masterMs.toFixed(1)} · ${c.cassandraMs.toFixed(1)} · ${c.redisMs.toFixed(1)} · ${c.machineBusyMs.toFixed(1)}`;
      log(`${masters} master(s): ${n} requests in ${r.seconds.toFixed(2)} s = ${r.perSecond.toFixed(0)}/s; CPU ms/request ${cpu}; machine ${(c.machineBusy * 100).toFixed(0)} % busy`);
      lines.push(`| | ${masters} | ${n} | ${r.seconds.toFixed(2)} s | **${r.perSecond.toFixed(0)}** | ${cpu} | ${(c.machineBusy * 100).toFixed(0)} % |`);
    }
    if (!skipPlan) {
      const viaMaster = await planThroughMaster(keyspace, `${prefix}-plan`, redis, blocking, hosts);
      log(`${hosts} hosts through a warm master: ${formatCost(viaMaster)}`);
      const oneShot = await planOneShot(keyspace, `${prefix}-oneshot`, redis, hosts);
      log(`${hosts} hosts through one-shot enqueue: ${formatCost(oneShot)}`);
      lines.push(
        '',
        `| plan and enqueue ${hosts.toLocaleString('en')} hosts × 10 operations, no workers | seconds | CPU s: planner · Cassandra · Redis | machine busy |`,
        '|---|---|---|---|',
        `| warm resident master (request added → answer) | ${formatCost(viaMaster)} |`,
        `| one-shot \`enqueue --local\` (spawn → exit), same inventory, same run | ${formatCost(oneShot)} |`,
      );
    }
    const text = `${lines.join('\n')}\n`;
    console.log(text);
    // Appended: each run is a section of its own (the machine is shared; runs differ).
    const out = path.join(repoRoot, 'bench', 'results', 'master-throughput.md');
    const args = process.argv.slice(2).join(' ');
    fs.appendFileSync(out, `\n## \`npx tsx bench/master-throughput.ts ${args}\`, ${new Date().toISOString().slice(0, 16)} UTC${label ? ` (${label})` : ''}\n\n${text}`);
  } finally {
    redis.disconnect();
    blocking.disconnect();
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch((e: unknown) => log(`drop keyspace: ${String(e)}`));
    await cassandra.shutdown();
  }
}

runMain('master-throughput', main);
