import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { startResultsConsumer, storeSession, compileResultsOptions, type ResultsConsumer } from '@simplecm/results';
import { connectionConfigFromEnv } from '@simplecm/config';
import { countStatuses, emptyCounts, type HostResult, type OperationResult, type OutcomeCounts } from '@simplecm/domain';
import { readResultKey, readRunProgress, redisConnection, RESULTS_QUEUE, resultJobId, resultJobOptions, resultSealer, type ResultJobData, type ResultJobWire } from '@simplecm/queue';
import { connectCassandra, hostBucket, newRunId, resultStore, runStore } from '@simplecm/store';
import { createTestSystem, type TestSystem } from '../support/system';

// The results consumer writes the results it holds together (multi-host batches, one progress
// script call and one runs update per group). This drives a real consumer, in this process, over
// the real Redis and Cassandra with more results than one group and checks what the grouping
// must not change: every row once, each host counted once however often its result arrives, a
// host too large for a shared batch written on its own, one bad result failing alone, and a
// runs row that ends exact and finished.

const HOSTS = 300;
const OPS = 5;
const BIG = new Set([7, 150, 299]); // ten streams of 60 KiB each: far over the batch byte limit

function hostResult(runId: string, i: number): HostResult {
  const hostname = `rc-${String(i).padStart(4, '0')}`;
  const failed = i % 10 === 0;
  const unreachable = i % 37 === 0;
  const now = 1_700_000_000_000 + i;
  const operations: OperationResult[] = Array.from({ length: OPS }, (_, k) => {
    const status = unreachable ? 'unreachable' : failed && k === 2 ? 'failed' : failed && k > 2 ? 'skipped' : k % 2 === 0 ? 'changed' : 'ok';
    const ran = status !== 'unreachable' && status !== 'skipped';
    const big = BIG.has(i) ? 'x'.repeat(60 * 1024) : '';
    return {
      seq: k + 1,
      name: `op ${k + 1}`,
      module: 'command',
      status,
      exitCode: ran ? (status === 'failed' ? 1 : 0) : null,
      stdout: big || `out ${hostname} ${k}`,
      stdoutTruncated: false,
      stderr: big,
      stderrTruncated: false,
      changes: status === 'changed' ? [`command: ran ${k}`, 'ünïcode ✓'] : [],
      startedAt: ran ? now + k : null,
      durationMs: ran ? 3 : 0,
    };
  });
  const status = unreachable ? 'unreachable' : failed ? 'failed' : 'changed';
  return { runId, hostname, status, worker: 'w-test', startedAt: now, endedAt: now + 50, cause: unreachable ? 'unreachable: connect ECONNREFUSED' : null, operations };
}

function sumCounts(results: readonly HostResult[]): OutcomeCounts {
  const total = emptyCounts();
  for (const r of results) {
    const c = countStatuses(r.operations.map((o) => o.status));
    for (const k of Object.keys(total) as (keyof OutcomeCounts)[]) total[k] += c[k];
  }
  return total;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// The key workers and consumers share: result jobs added here are sealed with it, as a worker's.
const resultKeyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'result-key-')), 'result.key');
writeFileSync(resultKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
const sealer = resultSealer(readResultKey(resultKeyFile));
function sealed<J extends { name: string; data: ResultJobData; opts: { jobId?: string } }>(job: J): Omit<J, 'data'> & { data: ResultJobWire } {
  return { ...job, data: sealer.seal(job.opts.jobId ?? '', job.data) };
}

describe('results consumer writing results in groups', () => {
  let system: TestSystem;
  let queue: Queue<ResultJobWire>;
  let queueRedis: ReturnType<typeof redisConnection>;
  let consumer: ResultsConsumer | undefined;

  beforeAll(async () => {
    system = await createTestSystem('results-groups');
    queueRedis = redisConnection(connectionConfigFromEnv(system.env).redis);
    queue = new Queue<ResultJobWire>(RESULTS_QUEUE, { connection: queueRedis, prefix: system.prefix });
  }, 120_000);

  afterAll(async () => {
    await consumer?.close();
    await queue?.close();
    queueRedis?.disconnect();
    await system?.close();
  });

  async function startConsumer(): Promise<ResultsConsumer> {
    const config = connectionConfigFromEnv(system.env);
    // Small groups and batches, so that 300 hosts make many of each.
    const options = compileResultsOptions(['--concurrency', '64', '--batch-hosts', '8', '--result-key', resultKeyFile], {});
    const connect = () => connectCassandra(config.cassandra);
    const store = storeSession(await connect(), config.cassandra.keyspace, { connect, reconnectIntervalMs: options.reconnectIntervalMs, log: () => undefined });
    return startResultsConsumer(config.redis, store, options, { log: () => undefined });
  }

  const count = async (cql: string, params: unknown[]) => Number((await system.cassandra.execute(cql, params, { prepare: true })).first().get(0));

  it('writes every row once, counts every host once, and ends with an exact finished run row', async () => {
    const runId = newRunId();
    const runs = runStore(system.cassandra, system.keyspace);
    await runs.createRun({ runId, mode: 'apply', target: 'results groups', hostCount: HOSTS });
    const results = Array.from({ length: HOSTS }, (_, i) => hostResult(runId, i + 1));
    const job = (r: HostResult, jobId?: string) => sealed({ name: 'result', data: { result: r, mode: 'apply' as const, hostCount: HOSTS }, opts: { ...resultJobOptions(r.runId, r.hostname), ...(jobId ? { jobId } : {}) } });
    // Every result, plus 30 of them delivered a second time under other job ids (as after a
    // redelivery that Redis did not deduplicate), plus one result no batch can take: a seq past
    // Cassandra's int, which the payload schema lets through and the store refuses; it must fail
    // alone. And one whose run id is not a run id: malformed, failed at its first attempt.
    const again = results.filter((_, i) => i % 10 === 3).map((r) => job(r, `again.${r.hostname}`));
    const refused = results[0]!;
    const badResult = { ...refused, hostname: 'rc-bad', operations: refused.operations.map((o, k) => (k === 0 ? { ...o, seq: 2 ** 31 } : o)) };
    const bad = { ...job(badResult, 'bad-result'), opts: { jobId: 'bad-result', attempts: 1, removeOnFail: false } };
    const malformed = { ...job({ ...refused, runId: 'not-a-uuid', hostname: 'rc-malformed' }, 'malformed-result'), opts: { jobId: 'malformed-result', attempts: 1_000, removeOnFail: false } };
    // And one a worker sealed, then edited in Redis (a failed host made `ok`): refused, never written.
    const sealedOne = job({ ...refused, hostname: 'rc-tampered', status: 'failed' }, 'tampered-result');
    const tampered = { ...sealedOne, data: { ...sealedOne.data, payload: sealedOne.data.payload.replace('"status":"failed"', '"status":"ok"') }, opts: { jobId: 'tampered-result', attempts: 1_000, removeOnFail: false } };
    await queue.addBulk([...results.map((r) => job(r)), ...again, bad, malformed, tampered]);

    consumer = await startConsumer();
    const run = await waitFor('the run to finish', async () => {
      const r = await runs.getRun(runId);
      return r?.status === 'finished' ? r : undefined;
    });
    const settled = await waitFor('every result job to be settled', async () => {
      const c = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed');
      return c.failed === 3 && c.active === 0 && c.waiting === 0 && c.delayed === 0 ? c : undefined;
    });
    // A written result's job is removed as it completes (resultJobOptions): only the three failed ones stay.
    expect(settled.completed).toBe(0);
    expect(await queue.getJob(resultJobId(runId, results[0]!.hostname))).toBeUndefined();

    expect(run).toMatchObject({ status: 'finished', hostCount: HOSTS, hostsDone: HOSTS, counts: sumCounts(results) });
    expect(run.finishedAt).not.toBeNull();
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.operation_results`, [])).toBe(HOSTS * OPS);
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.run_hosts WHERE run_id = ?`, [runId])).toBe(HOSTS);
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.run_hosts WHERE run_id = ? AND hostname = ?`, [runId, 'rc-tampered'])).toBe(0);
    expect((await queue.getJob('tampered-result'))?.failedReason).toMatch(/bad MAC/);
    for (const status of ['changed', 'failed', 'unreachable'] as const) {
      const expected = results.filter((r) => r.status === status).length;
      expect(await count(`SELECT count(*) FROM ${system.keyspace}.run_hosts_by_status WHERE run_id = ? AND status = ?`, [runId, status])).toBe(expected);
    }
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.host_runs`, [])).toBe(HOSTS);
    // The large hosts' outputs are there in full.
    const big = results[[...BIG][0]! - 1]!;
    const rows = await system.cassandra.execute(`SELECT stdout, stderr, changes FROM ${system.keyspace}.operation_results WHERE run_id = ? AND hostname = ?`, [runId, big.hostname], { prepare: true });
    expect(rows.rows.map((r) => [r.get('stdout').length, r.get('stderr').length])).toEqual(Array.from({ length: OPS }, () => [60 * 1024, 60 * 1024]));
    // A list column written twice (a redelivered result) holds its elements once.
    const changed = await system.cassandra.execute(`SELECT changes FROM ${system.keyspace}.operation_results WHERE run_id = ? AND hostname = ? AND seq = 1`, [runId, results[3]!.hostname], { prepare: true });
    expect(changed.first().get('changes')).toEqual(['command: ran 0', 'ünïcode ✓']);
    // Redis counted each host once, like the runs row.
    const progress = await readRunProgress(queueRedis, system.prefix, runId);
    expect(progress).toMatchObject({ hostsDone: HOSTS, counts: sumCounts(results) });
    // The bad result failed on its own, with the store's reason.
    const failed = await queue.getJob('bad-result');
    expect(failed?.failedReason).toMatch(/out of range/i);
    // The malformed one failed once and for all, though it had 1,000 attempts.
    const malformedJob = await queue.getJob('malformed-result');
    expect(malformedJob?.failedReason).toMatch(/^malformed result job .*result\.runId: must be a run id/);
    expect(malformedJob?.attemptsMade).toBe(1);
  });

  it('leaves the finished run row exact when results arrive again after the run finished', async () => {
    const runId = newRunId();
    const runs = runStore(system.cassandra, system.keyspace);
    await runs.createRun({ runId, mode: 'apply', target: 'results again', hostCount: 20 });
    const results = Array.from({ length: 20 }, (_, i) => hostResult(runId, 1000 + i));
    await queue.addBulk(results.map((r) => sealed({ name: 'result', data: { result: r, mode: 'apply' as const, hostCount: 20 }, opts: resultJobOptions(r.runId, r.hostname) })));
    consumer ??= await startConsumer();
    const first = await waitFor('the run to finish', async () => {
      const r = await runs.getRun(runId);
      return r?.status === 'finished' ? r : undefined;
    });
    // Half the results delivered once more (new job ids): counted already, so nothing moves.
    const failedBefore = (await queue.getJobCounts('failed')).failed ?? 0;
    const late = results.slice(0, 10).map((r) => sealed({ name: 'result', data: { result: r, mode: 'apply' as const, hostCount: 20 }, opts: { ...resultJobOptions(r.runId, r.hostname), jobId: `late.${r.hostname}` } }));
    await queue.addBulk(late);
    // Written, each job removed as it completes; none failed.
    await waitFor('the late results', async () => ((await Promise.all(late.map((j) => queue.getJob(j.opts.jobId)))).every((j) => j === undefined) ? true : undefined));
    expect((await queue.getJobCounts('failed')).failed ?? 0).toBe(failedBefore);
    const after = await runs.getRun(runId);
    expect(after).toMatchObject({ status: 'finished', hostsDone: 20, counts: sumCounts(results) });
    expect(first).toMatchObject({ status: 'finished', hostsDone: 20, counts: sumCounts(results) });
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.run_hosts WHERE run_id = ?`, [runId])).toBe(20);
  });

  it('writes a run of B buckets to its buckets, each host in hostBucket(hostname, B), readable in host order', async () => {
    const runId = newRunId();
    const runs = runStore(system.cassandra, system.keyspace);
    const hostCount = 60;
    await runs.createRun({ runId, mode: 'apply', target: 'results buckets', hostCount, bucketCount: 4 });
    const results = Array.from({ length: hostCount }, (_, i) => hostResult(runId, 2000 + i));
    await queue.addBulk(results.map((r) => sealed({ name: 'result', data: { result: r, mode: 'apply' as const, hostCount }, opts: resultJobOptions(r.runId, r.hostname) })));
    consumer ??= await startConsumer();
    const run = await waitFor('the run to finish', async () => {
      const r = await runs.getRun(runId);
      return r?.status === 'finished' ? r : undefined;
    });
    expect(run).toMatchObject({ hostsDone: hostCount, counts: sumCounts(results) });
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.run_hosts WHERE run_id = ?`, [runId])).toBe(0);
    for (let bucket = 0; bucket < 4; bucket++) {
      const expected = results.filter((r) => hostBucket(r.hostname, 4) === bucket).length;
      expect(await count(`SELECT count(*) FROM ${system.keyspace}.run_hosts_bucketed WHERE run_id = ? AND bucket = ?`, [runId, bucket])).toBe(expected);
    }
    const store = resultStore(system.cassandra, system.keyspace);
    const names: string[] = [];
    let page: string | undefined;
    do {
      const got = await store.pageRunHosts(runId, { pageSize: 7, page });
      names.push(...got.items.map((h) => h.hostname));
      page = got.nextPage;
    } while (page);
    expect(names).toEqual(results.map((r) => r.hostname).sort());
    const failed = (await store.pageRunHosts(runId, { pageSize: 100, status: 'failed' })).items.map((h) => h.hostname);
    expect(failed).toEqual(results.filter((r) => r.status === 'failed').map((r) => r.hostname).sort());
  });
});
