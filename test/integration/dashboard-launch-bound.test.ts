import { Queue, Worker } from 'bullmq';
import { connectionConfigFromEnv } from '@simplecm/config';
import { beatMaster, redisConnection, RUN_REQUESTS_QUEUE, type RunRequest } from '@simplecm/queue';
import { runStore } from '@simplecm/store';
import { killHard, waitUntil, withRedis } from '../support/faults';
import { startMaster } from '../support/master';
import { startOperatorDashboard, type OperatorDashboard } from '../support/operator-dashboard';
import { createTestSystem, type TestSystem } from '../support/system';

// A launch from the dashboard never waits without limit (--launch-take-timeout,
// --launch-answer-timeout): when the only master died after its last heartbeat, no master takes
// the request, and the dashboard withdraws it and says so (503); when a master took it but does
// not answer, the dashboard says the request stays queued (503). Real Redis and Cassandra, a
// real master process killed with SIGKILL; no SSH host is needed (nothing is planned).
describe('dashboard launch: a bounded wait for the master', () => {
  let system: TestSystem;
  let served: OperatorDashboard;
  const operator = { user: 'olga', password: 'olga-operator-password-3' };

  beforeAll(async () => {
    system = await createTestSystem('dashbound');
    served = await startOperatorDashboard(system, operator, { runControl: true, launchTakeTimeoutMs: 2_000, launchAnswerTimeoutMs: 4_000 });
  }, 120_000);
  afterAll(async () => {
    await served?.close();
    await system?.close();
  });

  const url = (p: string) => new URL(p, served.dashboard.url).toString();
  async function login(): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(url('/login'), { method: 'POST', body: new URLSearchParams({ username: operator.user, password: operator.password, next: '/' }), redirect: 'manual' });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const session = (await (await fetch(url('/api/session'), { headers: { cookie } })).json()) as { csrfToken: string };
    return { cookie, csrf: session.csrfToken };
  }
  const launch = async () => {
    const { cookie, csrf } = await login();
    return fetch(url('/launch'), { method: 'POST', headers: { cookie }, body: new URLSearchParams({ _csrf: csrf, target: 'all' }), redirect: 'manual' });
  };
  const requests = (states: Array<'wait' | 'active' | 'completed' | 'failed'>) =>
    withRedis(system, async (connection) => {
      const queue = new Queue<RunRequest>(RUN_REQUESTS_QUEUE, { connection, prefix: system.prefix });
      try {
        return (await queue.getJobs(states)).map((j) => j.data.source);
      } finally {
        await queue.close();
      }
    });

  it('the only master was killed (its heartbeat still fresh): the launch is withdrawn and the page says so', async () => {
    const master = await startMaster(system, 'm-doomed');
    await killHard(master);
    const res = await launch();
    expect(res.status).toBe(503);
    const page = await res.text();
    expect(page).toMatch(/no master took run request [0-9a-f-]+ within 2 s/);
    expect(page).toContain('the request was withdrawn: nothing was launched');
    // Withdrawn: no request left for a master started later, no run recorded, an audit line.
    expect(await requests(['wait', 'active', 'completed'])).toEqual([]);
    expect(await runStore(system.cassandra, system.keyspace).listRuns({ limit: 5 })).toEqual([]);
    const { cookie } = await login();
    expect(await (await fetch(url('/audit'), { headers: { cookie } })).text()).toMatch(/no master took run request/);
  }, 120_000);

  it('a master took the request but does not answer: the page says it stays queued and may still launch', async () => {
    // A stand-in for a master stuck planning: it heartbeats and takes the request, never answers.
    const connection = redisConnection(connectionConfigFromEnv(system.env).redis, { blocking: true });
    const taken: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const stuck = new Worker<RunRequest>(RUN_REQUESTS_QUEUE, async (job) => {
      taken.push(job.data.source);
      await held;
      throw new Error('stand-in master gave up');
    }, { connection, prefix: system.prefix, lockDuration: 30_000 });
    try {
      await withRedis(system, (redis) => beatMaster(redis, system.prefix, 'm-stuck', 60_000));
      const res = await launch();
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/a master took run request [0-9a-f-]+ but has not answered within 4 s; it stays queued and may still launch its run/);
      expect(taken).toEqual(['dashboard:olga']);
      expect(await requests(['active'])).toEqual(['dashboard:olga']);
    } finally {
      release();
      await waitUntil('the stand-in to let go', async () => (await requests(['active'])).length === 0);
      await stuck.close();
      connection.disconnect();
    }
  }, 120_000);
});
