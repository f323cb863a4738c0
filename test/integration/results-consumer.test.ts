import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'cassandra-driver';
import { startResultsConsumer, storeSession, compileResultsOptions, type ResultsConsumer } from '@simplecm/results';
import { connectionConfigFromEnv } from '@simplecm/config';
import { countStatuses, emptyCounts, type HostResult, type OperationResult, type OutcomeCounts } from '@simplecm/domain';
import {
  encodeResultEntry,
  handOffResult,
  readResultKey,
  readResultStreamBacklog,
  readRunProgress,
  redisConnection,
  refusedResultsKey,
  RESULT_STREAM_GROUP,
  resultJobId,
  resultSealer,
  resultStreamKey,
  type ResultJobData,
  type ResultJobWire,
} from '@simplecm/queue';
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

// The key workers and consumers share: results handed off here are sealed with it, as a worker's.
const resultKeyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'result-key-')), 'result.key');
writeFileSync(resultKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
const sealer = resultSealer(readResultKey(resultKeyFile));
const data = (result: HostResult, hostCount: number): ResultJobData => ({ result, mode: 'apply', hostCount });

describe('results consumer writing results in groups', () => {
  let system: TestSystem;
  let queueRedis: ReturnType<typeof redisConnection>;
  let consumer: ResultsConsumer | undefined;
  const logged: string[] = [];

  beforeAll(async () => {
    system = await createTestSystem('results-groups');
    queueRedis = redisConnection(connectionConfigFromEnv(system.env).redis);
  }, 120_000);

  afterAll(async () => {
    await consumer?.close();
    queueRedis?.disconnect();
    await system?.close();
  });

  /** A host's result handed off as a worker hands it off (one script call, deduplicated by run + host). */
  const handOff = (r: HostResult, hostCount: number) => handOffResult(queueRedis, system.prefix, r.runId, r.hostname, sealer.seal(resultJobId(r.runId, r.hostname), data(r, hostCount)));
  /** An entry appended as it is, past the hand-off's deduplication (a redelivery Redis did not catch, or a forgery). */
  const append = (resultId: string, wire: ResultJobWire) => queueRedis.xadd(resultStreamKey(system.prefix), '*', ...encodeResultEntry(resultId, wire));
  const streamLength = () => queueRedis.xlen(resultStreamKey(system.prefix));
  const refusedEntries = async () => (await queueRedis.xrange(refusedResultsKey(system.prefix), '-', '+')).map(([, fields]) => Object.fromEntries(fields.flatMap((f, i) => (i % 2 === 0 ? [[f, fields[i + 1]]] : []))) as Record<string, string>);

  async function startConsumer(flags: readonly string[] = [], store?: ReturnType<typeof storeSession>): Promise<ResultsConsumer> {
    const config = connectionConfigFromEnv(system.env);
    // Small groups and batches, so that 300 hosts make many of each.
    const options = compileResultsOptions(['--concurrency', '64', '--batch-hosts', '8', '--result-key', resultKeyFile, ...flags], {});
    const connect = () => connectCassandra(config.cassandra);
    const session = store ?? storeSession(await connect(), config.cassandra.keyspace, { connect, reconnectIntervalMs: options.reconnectIntervalMs, log: () => undefined });
    return startResultsConsumer(config.redis, session, options, { log: (line) => logged.push(line) });
  }

  const finished = (runId: string) =>
    waitFor('the run to finish', async () => {
      const r = await runStore(system.cassandra, system.keyspace).getRun(runId);
      return r?.status === 'finished' ? r : undefined;
    });

  const count = async (cql: string, params: unknown[]) => Number((await system.cassandra.execute(cql, params, { prepare: true })).first().get(0));

  it('writes every row once, counts every host once, and ends with an exact finished run row', async () => {
    const runId = newRunId();
    const runs = runStore(system.cassandra, system.keyspace);
    await runs.createRun({ runId, mode: 'apply', target: 'results groups', hostCount: HOSTS });
    const results = Array.from({ length: HOSTS }, (_, i) => hostResult(runId, i + 1));
    // Every result (handed off before any consumer ever started: the group reads from the
    // stream's start), each handed off twice (the second adds nothing), plus 30 of them appended
    // a second time past the hand-off (as after a redelivery that Redis did not deduplicate),
    // plus one result no batch can take: a seq past Cassandra's int, which the payload schema
    // lets through and the store refuses; it must fail alone and stay pending. And one whose
    // run id is not a run id: malformed, refused at once.
    for (const r of results) expect(await handOff(r, HOSTS)).toBe(true);
    for (const r of results.slice(0, 50)) expect(await handOff(r, HOSTS)).toBe(false);
    for (const r of results.filter((_, i) => i % 10 === 3)) await append(resultJobId(runId, r.hostname), sealer.seal(resultJobId(runId, r.hostname), data(r, HOSTS)));
    const refused = results[0]!;
    const badResult = { ...refused, hostname: 'rc-bad', operations: refused.operations.map((o, k) => (k === 0 ? { ...o, seq: 2 ** 31 } : o)) };
    await handOff(badResult, HOSTS);
    await append('malformed-result', sealer.seal('malformed-result', data({ ...refused, runId: 'not-a-uuid', hostname: 'rc-malformed' }, HOSTS)));
    // And one a worker sealed, then edited in Redis (a failed host made `ok`): refused, never written.
    const sealedOne = sealer.seal('tampered-result', data({ ...refused, hostname: 'rc-tampered', status: 'failed' }, HOSTS));
    await append('tampered-result', { ...sealedOne, payload: sealedOne.payload.replace('"status":"failed"', '"status":"ok"') });
    // And one without a MAC field at all.
    await queueRedis.xadd(resultStreamKey(system.prefix), '*', 'id', 'no-mac', 'payload', '{}');
    expect(await streamLength()).toBe(HOSTS + 30 + 4);

    consumer = await startConsumer();
    const run = await finished(runId);
    // Written entries are acknowledged and deleted; refused ones too; the bad one stays, pending.
    const backlog = await waitFor('every entry to be settled', async () => {
      const b = await readResultStreamBacklog(queueRedis, system.prefix);
      return b.waiting === 0 && b.pending === 1 && (await streamLength()) === 1 ? b : undefined;
    });
    expect(backlog).toEqual({ waiting: 0, pending: 1 });
    const left = await queueRedis.xrange(resultStreamKey(system.prefix), '-', '+');
    expect(left[0]?.[1].slice(0, 2)).toEqual(['id', resultJobId(runId, 'rc-bad')]);

    expect(run).toMatchObject({ status: 'finished', hostCount: HOSTS, hostsDone: HOSTS, counts: sumCounts(results) });
    expect(run.finishedAt).not.toBeNull();
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.operation_results`, [])).toBe(HOSTS * OPS);
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.run_hosts WHERE run_id = ?`, [runId])).toBe(HOSTS);
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.run_hosts WHERE run_id = ? AND hostname = ?`, [runId, 'rc-tampered'])).toBe(0);
    // Refused entries are where an operator sees them, with why.
    const refusedList = await refusedEntries();
    expect(refusedList.map((e) => e.id).sort()).toEqual(['malformed-result', 'no-mac', 'tampered-result']);
    expect(refusedList.find((e) => e.id === 'tampered-result')?.reason).toMatch(/^refused: bad MAC/);
    expect(refusedList.find((e) => e.id === 'no-mac')?.reason).toBe('malformed entry: entry without a MAC');
    expect(refusedList.find((e) => e.id === 'malformed-result')?.reason).toMatch(/^malformed result: .*result\.runId: must be a run id/);
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
    // The bad result failed on its own, with the store's reason, and waits to be retried.
    expect(logged.some((line) => line.includes(`${runId}/rc-bad`) && /out of range/i.test(line))).toBe(true);
    expect(await count(`SELECT count(*) FROM ${system.keyspace}.run_hosts WHERE run_id = ? AND hostname = ?`, [runId, 'rc-bad'])).toBe(0);
  });

  it('leaves the finished run row exact when results arrive again after the run finished', async () => {
    const runId = newRunId();
    const runs = runStore(system.cassandra, system.keyspace);
    await runs.createRun({ runId, mode: 'apply', target: 'results again', hostCount: 20 });
    const results = Array.from({ length: 20 }, (_, i) => hostResult(runId, 1000 + i));
    for (const r of results) await handOff(r, 20);
    consumer ??= await startConsumer();
    const first = await finished(runId);
    // Half the results delivered once more (appended past the hand-off): counted already, so nothing moves.
    const lengthBefore = await streamLength();
    for (const r of results.slice(0, 10)) await append(resultJobId(runId, r.hostname), sealer.seal(resultJobId(runId, r.hostname), data(r, 20)));
    // Written, each entry deleted as it is acknowledged; none refused.
    const refusedBefore = (await refusedEntries()).length;
    await waitFor('the late results', async () => ((await streamLength()) === lengthBefore ? true : undefined));
    expect((await refusedEntries()).length).toBe(refusedBefore);
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
    for (const r of results) await handOff(r, hostCount);
    consumer ??= await startConsumer();
    const run = await finished(runId);
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

// What the stream hand-off must keep from the results queue: results wait while Cassandra is
// down and are all written once it is back; a consumer that died holding results (read, never
// acknowledged) has them claimed and written by another. A system of its own, so no other
// consumer reads its stream.
describe('results consumer: Cassandra down, a consumer gone', () => {
  let system: TestSystem;
  let redis: ReturnType<typeof redisConnection>;
  const consumers: ResultsConsumer[] = [];

  beforeAll(async () => {
    system = await createTestSystem('results-outage');
    redis = redisConnection(connectionConfigFromEnv(system.env).redis);
  }, 120_000);

  afterAll(async () => {
    for (const c of consumers) await c.close();
    redis?.disconnect();
    await system?.close();
  });

  const handOff = (r: HostResult, hostCount: number) => handOffResult(redis, system.prefix, r.runId, r.hostname, sealer.seal(resultJobId(r.runId, r.hostname), data(r, hostCount)));
  const rowsOf = async (runId: string) => Number((await system.cassandra.execute(`SELECT count(*) FROM ${system.keyspace}.run_hosts WHERE run_id = ?`, [runId], { prepare: true })).first().get(0));
  const finished = (runId: string) =>
    waitFor('the run to finish', async () => {
      const r = await runStore(system.cassandra, system.keyspace).getRun(runId);
      return r?.status === 'finished' ? r : undefined;
    });

  function start(flags: readonly string[], session: ReturnType<typeof storeSession>): ResultsConsumer {
    const config = connectionConfigFromEnv(system.env);
    const options = compileResultsOptions(['--concurrency', '16', '--result-key', resultKeyFile, '--retry-delay', '50', '--retry-max-delay', '300', ...flags], {});
    const consumer = startResultsConsumer(config.redis, session, options, { log: () => undefined });
    consumers.push(consumer);
    return consumer;
  }

  it('keeps the results while Cassandra is unreachable and writes them all once it answers', async () => {
    const config = connectionConfigFromEnv(system.env);
    const runId = newRunId();
    await runStore(system.cassandra, system.keyspace).createRun({ runId, mode: 'apply', target: 'results outage', hostCount: 40 });
    const results = Array.from({ length: 40 }, (_, i) => hostResult(runId, 3000 + i));
    for (const r of results) await handOff(r, 40);
    // First a Cassandra where nothing listens; the session's reconnection finds the real one once allowed.
    const nowhere = { ...config.cassandra, contactPoints: ['127.0.0.1:9499'] };
    let reachable = false;
    const down = new Client({ contactPoints: ['127.0.0.1:9499'], localDataCenter: config.cassandra.localDataCenter });
    const session = storeSession(down, config.cassandra.keyspace, { connect: () => connectCassandra(reachable ? config.cassandra : nowhere, { connectTimeoutMs: 1_000 }), reconnectIntervalMs: 100, log: () => undefined });
    start([], session);
    // The consumer holds what it read (16: its concurrency), pending; the rest wait unread; nothing is written.
    const held = await waitFor('the consumer to hold results it cannot write', async () => {
      const b = await readResultStreamBacklog(redis, system.prefix);
      return b.pending === 16 ? b : undefined;
    });
    expect(held).toEqual({ waiting: 24, pending: 16 });
    expect(await rowsOf(runId)).toBe(0);
    expect(await redis.xlen(resultStreamKey(system.prefix))).toBe(40);
    reachable = true;
    const run = await finished(runId);
    expect(run).toMatchObject({ hostsDone: 40, counts: sumCounts(results) });
    expect(await rowsOf(runId)).toBe(40);
    await waitFor('the stream to be empty', async () => ((await redis.xlen(resultStreamKey(system.prefix))) === 0 ? true : undefined));
    expect(await readResultStreamBacklog(redis, system.prefix)).toEqual({ waiting: 0, pending: 0 });
    await consumers.pop()?.close();
  });

  it("claims and writes the results a dead consumer read and never acknowledged", async () => {
    const config = connectionConfigFromEnv(system.env);
    const runId = newRunId();
    await runStore(system.cassandra, system.keyspace).createRun({ runId, mode: 'apply', target: 'results claimed', hostCount: 12 });
    const results = Array.from({ length: 12 }, (_, i) => hostResult(runId, 4000 + i));
    for (const r of results) await handOff(r, 12);
    // A consumer that read every entry and died before writing any (the group exists: the test above made it).
    const taken = (await redis.call('XREADGROUP', 'GROUP', RESULT_STREAM_GROUP, 'dead-consumer', 'COUNT', 100, 'STREAMS', resultStreamKey(system.prefix), '>')) as [string, unknown[]][];
    expect(taken[0]?.[1]).toHaveLength(12);
    expect(await readResultStreamBacklog(redis, system.prefix)).toEqual({ waiting: 0, pending: 12 });
    const connect = () => connectCassandra(config.cassandra);
    start(['--lock-duration', '1000', '--stalled-interval', '500'], storeSession(await connect(), config.cassandra.keyspace, { connect, reconnectIntervalMs: 2_000, log: () => undefined }));
    const run = await finished(runId);
    expect(run).toMatchObject({ hostsDone: 12, counts: sumCounts(results) });
    expect(await rowsOf(runId)).toBe(12);
    await waitFor('the claimed entries to be acknowledged', async () => ((await readResultStreamBacklog(redis, system.prefix)).pending === 0 ? true : undefined));
    expect(await redis.xlen(resultStreamKey(system.prefix))).toBe(0);
  });
});
