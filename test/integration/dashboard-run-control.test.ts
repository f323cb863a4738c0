import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { Operation } from '@simplecm/domain';
import { hashPassword, NO_MASTER_MESSAGE, resolveDashboardOptions, startDashboard, type Dashboard, type RunProgressJson } from '@simplecm/dashboard';
import { RUN_REQUESTS_QUEUE, type RunRequest, type RunRequestAnswer } from '@simplecm/queue';
import { runStore } from '@simplecm/store';
import { linesOnHost, loggedOp, markerOp, withRedis } from '../support/faults';
import { startMaster } from '../support/master';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';

const HOSTS = [1, 2, 3];

// The dashboard's run control wired as in production (--run-control): launch, relaunch and
// cancel go to a real resident master process (`simplecm master`) through the run-requests
// queue; a real worker and results consumer converge and record the runs. The dashboard holds
// no signing key and plans nothing. Own keyspace and queue prefix (createTestSystem).
describe('dashboard run control through the resident master', () => {
  let system: TestSystem;
  let dashboard: Dashboard;
  let dir: string;
  let firstRun = '';
  const operator = { user: 'otto', password: 'otto-operator-password-7' };
  const file = `/tmp/simplecm-dashrc-${randomUUID().slice(0, 8)}`;
  const failing: Operation = { seq: 1, name: 'fail on purpose', module: 'command', attributes: { command: 'exit 3' } };

  beforeAll(async () => {
    system = await createTestSystem('dashrc');
    // host3 fails its second operation: the first run has a host to relaunch.
    await putDesiredState(system, HOSTS.map((n) => ({ host: stackHost(n), operations: n === 3 ? [markerOp(0, file), failing] : [markerOp(0, file)] })));
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`)));
    // One host at a time, so a cancelled run of long sleeps still has host jobs waiting.
    system.startWorkers(1, ['--concurrency', '1']);
    system.startResults();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashrc-'));
    const users = path.join(dir, 'users.yaml');
    fs.writeFileSync(users, `users:\n  - name: ${operator.user}\n    role: operator\n    passwordHash: "${await hashPassword(operator.password)}"\n`);
    // Only the connections: the dashboard is given no signing key, the master process plans.
    dashboard = await startDashboard(resolveDashboardOptions({ usersFile: users, port: 0, runControl: true, loginMaxFailures: 1_000 }), connectionConfigFromEnv(system.env), { log: () => undefined });
  }, 120_000);
  afterAll(async () => {
    await dashboard?.close();
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`).catch(() => undefined)));
    await system?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const url = (p: string) => new URL(p, dashboard.url).toString();
  const login = async () => {
    const res = await fetch(url('/login'), { method: 'POST', body: new URLSearchParams({ username: operator.user, password: operator.password, next: '/' }), redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).toEqual([303, '/']);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const session = (await (await fetch(url('/api/session'), { headers: { cookie } })).json()) as { csrfToken: string; canControl: boolean };
    return { cookie, csrf: session.csrfToken, canControl: session.canControl };
  };
  const post = (p: string, cookie: string, form: Record<string, string>) => fetch(url(p), { method: 'POST', headers: { cookie }, body: new URLSearchParams(form), redirect: 'manual' });
  const runOf = (res: Response) => /^\/runs\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')?.[1] ?? '';
  /** Until the results consumer has recorded every host of the run (bounded by the test timeout). */
  const ended = async (runId: string, cookie: string): Promise<RunProgressJson> => {
    for (;;) {
      const run = (await (await fetch(url(`/api/runs/${runId}`), { headers: { cookie } })).json()) as RunProgressJson;
      if (run.status !== 'running') return run;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  /** The run request a master answered with `runId` (kept on the run-requests queue once completed). */
  const requestOf = (runId: string) =>
    withRedis(system, async (connection) => {
      const queue = new Queue<RunRequest, RunRequestAnswer>(RUN_REQUESTS_QUEUE, { connection, prefix: system.prefix });
      try {
        return (await queue.getJobs(['completed'])).find((job) => job.returnvalue?.runId === runId)?.data;
      } finally {
        await queue.close();
      }
    });

  it('with no resident master running, a launch answers 503 with the reason on the page and plans nothing', async () => {
    const { cookie, csrf, canControl } = await login();
    expect(canControl).toBe(true);
    const res = await post('/launch', cookie, { _csrf: csrf, target: 'all' });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain(NO_MASTER_MESSAGE.split(':')[0]);
    expect(await runStore(system.cassandra, system.keyspace).listRuns({ limit: 10 })).toEqual([]);
  }, 60_000);

  it('an operator launches through POST /launch; the master plans it and the run converges', async () => {
    await startMaster(system, 'm1');
    const { cookie, csrf } = await login();
    const res = await post('/launch', cookie, { _csrf: csrf, target: 'all', keepGoing: '1' });
    expect(res.status).toBe(303);
    firstRun = runOf(res);
    expect(firstRun).not.toBe('');
    const run = await ended(firstRun, cookie);
    expect(run).toMatchObject({ hostCount: 3, hostsDone: 3, mode: 'apply' });
    expect(run.counts.failed).toBe(1); // host3's second operation
    expect((await Promise.all(HOSTS.map((n) => linesOnHost(n, file)))).map((l) => l.length)).toEqual([1, 1, 1]);
    expect(await requestOf(firstRun)).toMatchObject({ source: 'dashboard:otto', target: { kind: 'all' }, options: { mode: 'apply', keepGoing: true } });
    // Planned by the master process, not by the dashboard.
    expect(system.processes.some((p) => p.output().includes(`run ${firstRun}: 3 host job(s) enqueued (request`))).toBe(true);
  }, 120_000);

  it('a check launch of a host pattern goes to the master as a pattern in check mode', async () => {
    const { cookie, csrf } = await login();
    const res = await post('/launch', cookie, { _csrf: csrf, target: 'host1,host2', check: '1' });
    expect(res.status).toBe(303);
    const runId = runOf(res);
    expect(await ended(runId, cookie)).toMatchObject({ hostCount: 2, hostsDone: 2, mode: 'check' });
    expect(await requestOf(runId)).toMatchObject({ source: 'dashboard:otto', target: { kind: 'pattern', pattern: 'host1,host2' }, options: { mode: 'check' } });
  }, 120_000);

  it('relaunching the failed hosts of the first run is a new run of host3 only', async () => {
    const { cookie, csrf } = await login();
    const res = await post(`/runs/${firstRun}/relaunch`, cookie, { _csrf: csrf });
    expect(res.status).toBe(303);
    const again = runOf(res);
    expect(again).not.toBe('');
    expect(again).not.toBe(firstRun);
    expect(await ended(again, cookie)).toMatchObject({ hostCount: 1, hostsDone: 1 });
    expect(await requestOf(again)).toMatchObject({ rerunFailed: firstRun, source: 'dashboard:otto' });
    expect((await linesOnHost(3, file)).length).toBe(2);
    expect((await linesOnHost(1, file)).length).toBe(1);
  }, 120_000);

  it('cancelling a run of sleeps records it cancelled: hosts done + hosts cancelled = hosts', async () => {
    // Each host logs a line, then a sleep operation holds the one worker slot for 20 s.
    const sleep: Operation = { seq: 1, name: 'sleep', module: 'sleep', attributes: { seconds: 20 } };
    await putDesiredState(system, HOSTS.map((n) => ({ host: stackHost(n), operations: [loggedOp(0, `${file}.slow`, 'slow'), sleep] })));
    const { cookie, csrf } = await login();
    const launched = await post('/launch', cookie, { _csrf: csrf, target: 'all' });
    expect(launched.status).toBe(303);
    const runId = runOf(launched);
    const res = await post(`/runs/${runId}/cancel`, cookie, { _csrf: csrf });
    expect([res.status, res.headers.get('location')]).toEqual([303, `/runs/${runId}`]);
    const run = await runStore(system.cassandra, system.keyspace).getRun(runId);
    expect(run?.status).toBe('cancelled');
    expect((run?.hostsDone ?? 0) + (run?.hostsCancelled ?? 0)).toBe(3);
    // One worker slot: at least one host's job was still waiting and never ran.
    expect(run?.hostsCancelled).toBeGreaterThanOrEqual(1);
    const ran = (await Promise.all(HOSTS.map((n) => linesOnHost(n, `${file}.slow`)))).flat();
    expect(ran.length).toBe(run?.hostsDone);
    expect((await ended(runId, cookie)).status).toBe('cancelled');
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}.slow`)));
  }, 180_000);
});
