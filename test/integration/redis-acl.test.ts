import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import { emptyCounts } from '@simplecm/domain';
import {
  ackResults,
  claimStalledResults,
  ensureResultGroup,
  handOffResult,
  HOSTS_QUEUE,
  isResultHandedOff,
  liveOutputKey,
  liveOutputPublisher,
  markRunCancelled,
  publishRunEvent,
  readLiveOutput,
  readNewResults,
  readResultStreamBacklog,
  readRunEvents,
  readRunProgress,
  recordHostProgress,
  recordRefusedResult,
  redisAclRules,
  RUN_EVENTS_START,
  redisAclUserArgs,
  redisConnection,
  redisRoles,
  redisRoleUser,
  resultStreamKey,
  type RedisRole,
} from '@simplecm/queue';
import { ensureRedisUsers, stackEnv, startProcess } from '@simplecm/stack';
import { waitUntil } from '../support/faults';
import { dashboardCredentials, startDashboardProcess } from '../support/browser';
import { createTestSystem, type TestSystem } from '../support/system';

/**
 * The least-privilege Redis users (redisAclRules) on the shared stack's running Redis: users
 * with a name prefix of this test's own, made with ACL SETUSER and deleted afterwards, on a
 * queue prefix of its own. Each role does its part through the code it runs (a host job added and
 * consumed through BullMQ, its result handed off to the result stream, read, counted and
 * acknowledged, the run's progress read), and each is refused what it must not do: a worker or
 * the dashboard cannot add a host job, a worker cannot read, delete or acknowledge results, the
 * master cannot touch results, no role administers the server or reaches another prefix's keys.
 */
const suffix = randomUUID().slice(0, 8);
const prefix = `test-acl-${suffix}`;
const namePrefix = `t-acl-${suffix}-`;
const config = connectionConfigFromEnv({ ...process.env, ...stackEnv('unused') }).redis;
const RUN_ID = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002';
/** Refused by the ACL: a key or command at the top level (NOPERM), or a command inside a script. */
const NOPERM = /NOPERM|The user executing the script can't run this command/;

describe('Redis users per role', () => {
  const admin: Redis = redisConnection(config) as Redis;
  const passwords = new Map<string, string>();
  const open: Array<{ close(): Promise<void> | void }> = [];

  /** A connection as `user` (one of this test's users). */
  function as(user: string, blocking = false): Redis {
    const url = new URL(config.url);
    url.username = user;
    url.password = passwords.get(user) ?? '';
    const connection = redisConnection({ ...config, url: url.toString() }, { blocking }) as Redis;
    open.push({ close: () => void connection.disconnect() });
    return connection;
  }
  const user = (role: RedisRole, dashboardActions = false) => `${redisRoleUser(role, namePrefix)}${dashboardActions ? '-actions' : ''}`;
  function queue(role: RedisRole, name: string, dashboardActions = false): Queue {
    const q = new Queue(name, { connection: as(user(role, dashboardActions)), prefix });
    open.push(q);
    return q;
  }

  beforeAll(async () => {
    // The stack's own code, as `stack up` runs it on the stack's running Redis, with this test's names and prefix.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-users-'));
    const urls = await ensureRedisUsers(() => undefined, { url: config.url, queuePrefix: prefix, namePrefix, dir });
    for (const role of redisRoles) {
      passwords.set(user(role), decodeURIComponent(new URL(urls[role]).password));
      expect(statSync(path.join(dir, `${role}.password`)).mode & 0o777).toBe(0o600);
      expect(readFileSync(path.join(dir, `${role}.env`), 'utf8')).toBe(`export SIMPLECM_REDIS_URL=${urls[role]}\n`);
    }
    const actions = user('dashboard', true);
    passwords.set(actions, randomBytes(18).toString('hex'));
    await admin.call('ACL', 'SETUSER', ...redisAclUserArgs(actions, { clear: passwords.get(actions) ?? '' }, redisAclRules('dashboard', prefix, { queueActions: true })));
  });

  afterAll(async () => {
    for (const o of open.reverse()) await Promise.resolve(o.close()).catch(() => undefined);
    if (passwords.size > 0) await admin.call('ACL', 'DELUSER', ...passwords.keys());
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    admin.disconnect();
  });

  it('each role does its part: add a host job, consume it, hand its result off, read it, count it, acknowledge it, read the backlog', async () => {
    const hostJobId = `run.${RUN_ID}.host.web1`;
    await queue('master', HOSTS_QUEUE).add('host', { host: 'web1' }, { jobId: hostJobId });

    const workerConnection = as(user('worker'));
    const worker = new Worker(HOSTS_QUEUE, async (job: Job) => {
      await handOffResult(workerConnection, prefix, RUN_ID, 'web1', { payload: JSON.stringify({ from: job.id }), mac: 'm' });
      return 'converged';
    }, { connection: as(user('worker'), true), prefix, lockDuration: 30_000 });
    open.push(worker);

    const dashboardHosts = queue('dashboard', HOSTS_QUEUE);
    await waitUntil('the host job to complete', async () => (await dashboardHosts.getJobCounts('completed')).completed === 1);
    expect(await dashboardHosts.getJobCounts('completed', 'failed', 'wait')).toEqual({ completed: 1, failed: 0, wait: 0 });
    await worker.close();
    // The results consumer: its group, its read, the host counted, a refused entry recorded, the entry acknowledged and deleted.
    const consumer = as(user('results'));
    await ensureResultGroup(consumer, prefix);
    expect(await readResultStreamBacklog(as(user('dashboard')), prefix)).toEqual({ waiting: 1, pending: 0 });
    const [entry, ...rest] = await readNewResults(as(user('results'), true), prefix, 'c1', 10, 100);
    expect(rest).toEqual([]);
    expect(entry?.content).toEqual({ resultId: `result.${RUN_ID}.host.web1`, wire: { payload: JSON.stringify({ from: hostJobId }), mac: 'm' } });
    expect(await claimStalledResults(consumer, prefix, 'c2', 60_000, 10)).toEqual([]);
    await recordHostProgress(consumer, prefix, RUN_ID, 'web1', 'changed', { ...emptyCounts(), changed: 1 });
    await recordRefusedResult(consumer, prefix, entry!, 'test: recorded as refused');
    expect(await readResultStreamBacklog(as(user('dashboard')), prefix)).toEqual({ waiting: 0, pending: 1 });
    await ackResults(consumer, prefix, [entry!.entryId]);
    expect(await readResultStreamBacklog(as(user('dashboard')), prefix)).toEqual({ waiting: 0, pending: 0 });
    expect(await admin.xlen(resultStreamKey(prefix))).toBe(0);
    expect((await readRunProgress(as(user('dashboard')), prefix, RUN_ID)).counts.changed).toBe(1);
    expect((await readRunProgress(as(user('master')), prefix, RUN_ID)).hostsDone).toBe(1);
    // The worker's check before it converges a redelivered host job: its keys and commands are the worker's.
    expect(await isResultHandedOff(as(user('worker')), prefix, RUN_ID, 'web1')).toBe(true);
    expect(await isResultHandedOff(as(user('worker')), prefix, RUN_ID, 'web9')).toBe(false);
  }, 60_000);

  it('a worker appends results and cannot read, delete, acknowledge or claim any', async () => {
    const w = as(user('worker'));
    expect(await handOffResult(w, prefix, RUN_ID, 'web7', { payload: '{}', mac: 'm' })).toBe(true);
    const stream = resultStreamKey(prefix);
    const id = (await admin.xrange(stream, '-', '+'))[0]?.[0] ?? '';
    await ensureResultGroup(admin, prefix);
    await expect(w.xrange(stream, '-', '+')).rejects.toThrow(NOPERM);
    await expect(w.call('XREADGROUP', 'GROUP', 'writers', 'w', 'STREAMS', stream, '>')).rejects.toThrow(NOPERM);
    await expect(w.xdel(stream, id)).rejects.toThrow(NOPERM);
    await expect(w.xack(stream, 'writers', id)).rejects.toThrow(NOPERM);
    await expect(claimStalledResults(w, prefix, 'w', 0, 10)).rejects.toThrow(NOPERM);
    await expect(w.dump(stream)).rejects.toThrow(NOPERM);
    await expect(w.eval("return redis.call('XRANGE', KEYS[1], '-', '+')", 1, stream)).rejects.toThrow(NOPERM);
    expect(await admin.xlen(stream)).toBe(1);
    // Neither the master nor the dashboard hands a result off or reads one.
    for (const role of ['master', 'dashboard'] as const) {
      await expect(handOffResult(as(user(role)), prefix, RUN_ID, 'web8', { payload: '{}', mac: 'm' })).rejects.toThrow(NOPERM);
    }
    await expect(as(user('master')).xrange(stream, '-', '+')).rejects.toThrow(NOPERM);
    await expect(as(user('dashboard')).xrange(stream, '-', '+')).resolves.toHaveLength(1);
    await expect(as(user('dashboard')).xdel(stream, id)).rejects.toThrow(NOPERM);
    await admin.del(stream);
  }, 60_000);

  it('run events: the results consumer and a cancel (master) append them, `run --wait` (master) reads them; a worker neither', async () => {
    const runId = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120003';
    await publishRunEvent(as(user('results')), prefix, runId, { kind: 'progress', hostsDone: 1, hostsFailed: 0 });
    await markRunCancelled(as(user('master')), prefix, runId, 2);
    const read = await readRunEvents(as(user('master'), true), prefix, runId, RUN_EVENTS_START, 1_000);
    expect(read.events).toEqual([
      { kind: 'progress', hostsDone: 1, hostsFailed: 0 },
      { kind: 'cancelled', hostsCancelled: 2 },
    ]);
    await expect(publishRunEvent(as(user('worker')), prefix, runId, { kind: 'progress', hostsDone: 9, hostsFailed: 9 })).rejects.toThrow(NOPERM);
    await expect(publishRunEvent(as(user('dashboard')), prefix, runId, { kind: 'progress', hostsDone: 9, hostsFailed: 9 })).rejects.toThrow(NOPERM);
    expect((await readRunEvents(admin, prefix, runId, read.lastId, 1)).events).toEqual([]);
  }, 60_000);

  it('a worker cannot add a host job, nor can the results consumer or the dashboard; the master cannot touch results', async () => {
    const forged = { host: 'web2', command: 'rm -rf /' };
    const jobId = `run.${RUN_ID}.host.web2`;
    for (const role of ['worker', 'results', 'dashboard'] as const) {
      await expect(queue(role, HOSTS_QUEUE).add('host', forged, { jobId })).rejects.toThrow(NOPERM);
    }
    await expect(queue('dashboard', HOSTS_QUEUE, true).add('host', forged, { jobId })).rejects.toThrow(NOPERM);
    // The master: no progress of its own making (results: see the result stream test above).
    await expect(recordHostProgress(as(user('master')), prefix, RUN_ID, 'web2', 'ok', emptyCounts())).rejects.toThrow(NOPERM);
    // Nor does a worker count progress (only the results consumer does), nor the dashboard write anything.
    await expect(recordHostProgress(as(user('worker')), prefix, RUN_ID, 'web2', 'ok', emptyCounts())).rejects.toThrow(NOPERM);
    await expect(as(user('dashboard')).hset(`${prefix}:${HOSTS_QUEUE}:run.${RUN_ID}.host.web1`, 'data', JSON.stringify(forged))).rejects.toThrow(NOPERM);
    // Nothing was added by any of the refused calls.
    expect(await admin.exists(`${prefix}:${HOSTS_QUEUE}:${jobId}`)).toBe(0);
  }, 60_000);

  it('no role administers the server or reaches keys outside its prefix', async () => {
    for (const role of redisRoles) {
      const c = as(user(role));
      await expect(c.call('CONFIG', 'GET', 'requirepass')).rejects.toThrow(NOPERM);
      await expect(c.keys('*')).rejects.toThrow(NOPERM);
      await expect(c.call('ACL', 'LIST')).rejects.toThrow(NOPERM);
      await expect(c.flushall()).rejects.toThrow(NOPERM);
      await expect(c.get(`simplecm:run-key:${suffix}`)).rejects.toThrow(NOPERM);
      await expect(c.set(`other-${suffix}`, 'x')).rejects.toThrow(NOPERM);
    }
  });

  it('the worker appends live output, the dashboard reads it and cannot write it; no other role appends', async () => {
    const op = { seq: 1, name: 'say', module: 'command', status: 'ok' as const, exitCode: 0, stdout: 'hi\n', stdoutTruncated: false, stderr: '', stderrTruncated: false, changes: [], startedAt: 1, durationMs: 2 };
    const sent: Array<Error | undefined> = [];
    const publisher = liveOutputPublisher(as(user('worker')), prefix, { onSent: (e) => sent.push(e) });
    publisher.publish(RUN_ID, 'web1', op);
    publisher.publish(RUN_ID, 'web2', { ...op, stdout: 'x'.repeat(5_000) });
    await publisher.flush();
    expect(sent).toEqual([undefined]);
    // Both in one entry, read back as two; the long output cut and marked so.
    const read = await readLiveOutput(as(user('dashboard')), prefix, RUN_ID);
    expect(read.entries.map((e) => e.operation)).toEqual([{ ...op, hostname: 'web1' }, { ...op, hostname: 'web2', stdout: 'x'.repeat(4_096), stdoutTruncated: true }]);
    expect(new Set(read.entries.map((e) => e.id)).size).toBe(1);
    expect(await readLiveOutput(as(user('dashboard')), prefix, RUN_ID, { after: read.last })).toEqual({ entries: [], last: read.last, more: false });
    const key = liveOutputKey(prefix, RUN_ID);
    await expect(as(user('dashboard')).xadd(key, '*', 'op', '{}')).rejects.toThrow(NOPERM);
    await expect(as(user('dashboard', true)).xadd(key, '*', 'op', '{}')).rejects.toThrow(NOPERM);
    for (const role of ['master', 'results'] as const) await expect(as(user(role)).xadd(key, '*', 'op', '{}')).rejects.toThrow(NOPERM);
    expect(await admin.xlen(key)).toBe(1);
  });

  it('with queue actions, the dashboard pauses and resumes a queue, still without adding jobs', async () => {
    const hosts = queue('dashboard', HOSTS_QUEUE, true);
    await hosts.pause();
    expect(await hosts.isPaused()).toBe(true);
    await hosts.resume();
    expect(await hosts.isPaused()).toBe(false);
    await expect(queue('dashboard', HOSTS_QUEUE).pause()).rejects.toThrow(NOPERM);
  });
});

describe('the apps on their own Redis users', () => {
  let system: TestSystem;
  let users: string[] = [];
  const admin: Redis = redisConnection(config) as Redis;

  beforeAll(async () => {
    system = await createTestSystem('redis-users');
    await system.seed();
  }, 120_000);
  afterAll(async () => {
    await system?.close();
    if (users.length > 0) await admin.call('ACL', 'DELUSER', ...users);
    admin.disconnect();
  });

  it('the real master, worker and results consumer run a whole run, and the dashboard shows it, each as its role', async () => {
    const namePrefix = `t-acl-${suffix}-apps-`;
    const urls = await ensureRedisUsers(() => undefined, { url: config.url, queuePrefix: system.prefix, namePrefix, dir: mkdtempSync(path.join(os.tmpdir(), 'redis-users-')) });
    users = redisRoles.map((role) => redisRoleUser(role, namePrefix));
    const as = (role: RedisRole) => ({ ...system.env, SIMPLECM_REDIS_URL: urls[role] });
    system.processes.push(startProcess('worker', ['--name', 'w1'], as('worker')), startProcess('results-consumer', [], as('results')));
    const master = startProcess('enqueue', ['--wait'], as('master'));
    system.processes.push(master);
    // The example fleet: host5 fails on purpose, so --wait ends with exit 1 once all 5 hosts are counted.
    expect({ code: await master.exited, tail: master.output().slice(-600) }).toEqual({ code: 1, tail: expect.stringMatching(/5\/5 hosts; operations ok=\d+ changed=\d+ failed=1 skipped=\d+ unreachable=0 rejected=0/) });
    // The dashboard as its role: run history, live progress and Bull Board's queues all answer.
    const runId = /run ([0-9a-f-]{36})/.exec(master.output())?.[1];
    const dashboard = await startDashboardProcess(as('dashboard'));
    system.processes.push(dashboard.process);
    const auth = `Basic ${Buffer.from(`${dashboardCredentials.user}:${dashboardCredentials.password}`).toString('base64')}`;
    for (const page of ['/', `/runs/${runId}`, `/api/runs/${runId}`, '/queues/api/queues?activeQueue=hosts&status=completed&page=1', `/queues/api/queues/hosts/run.${runId}.host.host1`]) {
      const response = await fetch(new URL(page, dashboard.url), { headers: { authorization: auth } });
      expect({ page, status: response.status }).toEqual({ page, status: 200 });
    }
    expect(system.processes.map((p) => p.output()).join('\n')).not.toMatch(/NOPERM|can't run this command/);
  }, 180_000);
});
