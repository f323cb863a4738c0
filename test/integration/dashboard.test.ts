import { Queue } from 'bullmq';
import { connectionConfigFromEnv } from '@simplecm/config';
import { resolveDashboardOptions, startDashboard, writeSyntheticRun, type Dashboard, type RunProgressJson, type SyntheticRun } from '@simplecm/dashboard';
import { HOSTS_QUEUE, redisConnection } from '@simplecm/queue';
import { resultStore, runStore } from '@simplecm/store';
import { startProcess } from '@simplecm/stack';
import { dashboardCredentials, startDashboardProcess } from '../support/browser';
import { createTestSystem, type TestSystem } from '../support/system';

interface ApiError {
  error: string;
}
/** The part of Bull Board's `/api/queues` answer this test reads. */
interface BoardQueues {
  queues: Array<{ name: string; readOnlyMode: boolean; counts: Record<string, number> }>;
}

// The dashboard on the real stack (its own keyspace and queue prefix), with results written
// through the store: access control on every route, validation, Cassandra paging, Bull Board.
describe('dashboard on the stack', () => {
  let system: TestSystem;
  let dashboard: Dashboard;
  let run: SyntheticRun;
  /** The same kind of run with its host rows over 3 buckets (issue 20). */
  let bucketed: SyntheticRun;
  const basic = `Basic ${Buffer.from(`${dashboardCredentials.user}:${dashboardCredentials.password}`).toString('base64')}`;

  beforeAll(async () => {
    system = await createTestSystem('dashboard');
    const ks = system.keyspace;
    const stores = { ...runStore(system.cassandra, ks), ...resultStore(system.cassandra, ks) };
    run = await writeSyntheticRun(stores, { hosts: 57, failEvery: 10, unreachableEvery: 25 });
    bucketed = await writeSyntheticRun(stores, { hosts: 57, failEvery: 10, unreachableEvery: 25, bucketCount: 3 });
    // Generous lock-out: the first test sends a wrong password to every route on purpose.
    const config = resolveDashboardOptions({ ...dashboardCredentials, port: 0, hostsPageSize: 10, loginMaxFailures: 1_000 });
    dashboard = await startDashboard(config, connectionConfigFromEnv(system.env), { log: () => undefined });
  });
  afterAll(async () => {
    await dashboard?.close();
    await system?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, dashboard.url), { headers, redirect: 'manual' });
  const authed = (path: string, headers: Record<string, string> = {}) => get(path, { authorization: basic, ...headers });

  const everyRoute = () => [
    '/',
    `/runs/${run.runId}`,
    `/runs/${run.runId}?status=failed`,
    `/runs/${run.runId}/hosts/${run.failed[0]}`,
    `/hosts/${run.failed[0]}`,
    `/api/runs/${run.runId}`,
    '/queues',
    '/queues/api/queues',
    '/assets/dashboard.css',
    '/assets/live.js',
    '/runs/x',
    '/runs/x/hosts/y',
    '/hosts/y',
    '/api/runs/x',
  ];

  it('refuses every route without credentials and shows no data', async () => {
    for (const path of everyRoute()) {
      const attempts: Record<string, string>[] = [{}, { accept: 'text/html' }, { authorization: `Basic ${Buffer.from('operator:wrong-password-123').toString('base64')}` }];
      for (const headers of attempts) {
        const res = await get(path, headers);
        const body = await res.text();
        if ('accept' in headers) {
          expect([path, res.status, res.headers.get('location')]).toEqual([path, 303, `/login?${new URLSearchParams({ next: path })}`]);
        } else {
          expect([path, res.status]).toEqual([path, 401]);
        }
        expect(body).not.toMatch(/web-00|dc1\.example|group:web|"queues"|--ok/);
      }
    }
  });

  it('serves every route with credentials', async () => {
    for (const path of everyRoute().filter((p) => !/\/x|\/y$/.test(p))) {
      const res = await authed(path, { accept: 'text/html' });
      expect([path, res.status]).toEqual([path, 200]);
    }
  });

  it('answers a bad run id with 400 and a clear message, not a 500', async () => {
    for (const path of ['/runs/x', '/runs/x/hosts/y', '/api/runs/x', '/runs/6ba7b810-9dad-41d1-80b4-00c04fd430c8']) {
      const res = await authed(path);
      expect([path, res.status]).toEqual([path, 400]);
      expect(((await res.json()) as ApiError).error).toMatch(/run id: expected a time-based UUID/);
    }
    const page = await authed('/runs/x', { accept: 'text/html' });
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/400 · Bad request[\s\S]*run id: expected a time-based UUID/);
    const forged = await authed(`/runs/${run.runId}?page=00ff00ff`);
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as ApiError).error).toMatch(/not a valid page token/);
  });

  async function pageThrough(first: string): Promise<string[]> {
    const seen: string[] = [];
    let next: string | undefined = first;
    while (next) {
      const text = await (await authed(next)).text();
      seen.push(...[...text.matchAll(/<a class="mono" href="\/runs\/[^"/]+\/hosts\/[^"]+">([^<]+)<\/a>/g)].map((m) => m[1] as string));
      next = /<a href="([^"]+)" rel="next">/.exec(text)?.[1]?.replaceAll('&amp;', '&');
    }
    return seen;
  }

  it('pages through every host with Cassandra paging tokens, and filters by outcome', async () => {
    const all = await pageThrough(`/runs/${run.runId}`);
    expect(all).toHaveLength(57);
    expect([...all].sort()).toEqual([...run.hostnames].sort());
    const failed = await pageThrough(`/runs/${run.runId}?status=failed`);
    expect(failed.sort()).toEqual([...run.failed].sort());
    const unreachable = await pageThrough(`/runs/${run.runId}?status=unreachable`);
    expect(unreachable.sort()).toEqual([...run.unreachable].sort());
  });

  it('pages a run of 3 buckets the same way: every host once, in host order, by outcome and by name', async () => {
    const all = await pageThrough(`/runs/${bucketed.runId}`);
    expect(all).toEqual([...bucketed.hostnames].sort());
    expect(await pageThrough(`/runs/${bucketed.runId}?status=failed`)).toEqual([...bucketed.failed].sort());
    expect(await pageThrough(`/runs/${bucketed.runId}?status=unreachable`)).toEqual([...bucketed.unreachable].sort());
    const named = all.filter((h) => h.includes('2'));
    expect(await pageThrough(`/runs/${bucketed.runId}?name=2`)).toEqual(named);
    const forged = await authed(`/runs/${bucketed.runId}?page=00ff00ff`);
    expect(forged.status).toBe(400);
  });

  it('shows runs newest first with their counts, and the JSON progress', async () => {
    const text = await (await authed('/')).text();
    expect(text).toContain(run.runId);
    const json = (await (await authed(`/api/runs/${run.runId}`)).json()) as RunProgressJson;
    expect(json).toMatchObject({ runId: run.runId, status: 'finished', hostCount: 57, hostsDone: 57 });
    expect(json.counts.failed).toBe(run.failed.length);
  });

  it('shows a host’s operations with escaped, truncation-marked output, and its history', async () => {
    const text = await (await authed(`/runs/${run.runId}/hosts/${run.failed[0]}`)).text();
    expect(text).toMatch(/<pre class="out err" data-stream="stderr">package: apt-get install nginx failed/);
    const history = await (await authed(`/hosts/${run.failed[0]}`)).text();
    expect(history).toContain(run.runId.slice(0, 8));
  });

  it('mounts Bull Board read-only on the configured queue prefix', async () => {
    const redis = redisConnection(connectionConfigFromEnv(system.env).redis);
    const queue = new Queue(HOSTS_QUEUE, { connection: redis, prefix: system.prefix });
    try {
      await queue.add('probe', { probe: true }, { jobId: 'dashboard-probe' });
      const body = (await (await authed('/queues/api/queues?activeQueue=hosts&status=latest')).json()) as BoardQueues;
      // Results are not a BullMQ queue (result-stream.ts): their backlog is a /metrics gauge.
      expect(body.queues.map((q) => q.name).sort()).toEqual(['hosts']);
      const hosts = body.queues.find((q) => q.name === 'hosts');
      expect(hosts?.readOnlyMode).toBe(true);
      expect(hosts?.counts.waiting).toBe(1);
      const pause = await fetch(new URL('/queues/api/queues/hosts/pause', dashboard.url), { method: 'PUT', headers: { authorization: basic } });
      expect(pause.status).toBe(403); // refused by the queue action guard before Bull Board sees it
      expect(await queue.isPaused()).toBe(false);
      const ui = await authed('/queues', { accept: 'text/html' });
      expect(await ui.text()).toMatch(/SimpleCM queues/);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  });

  it('with --queue-actions, pauses and resumes a queue but never adds or edits a host job', async () => {
    const redis = redisConnection(connectionConfigFromEnv(system.env).redis);
    const queue = new Queue(HOSTS_QUEUE, { connection: redis, prefix: system.prefix });
    const board = await startDashboard(resolveDashboardOptions({ ...dashboardCredentials, port: 0, queueActions: true, loginMaxFailures: 1_000 }), connectionConfigFromEnv(system.env), { log: () => undefined });
    // Every write carries the CSRF token (per user for Basic), as Bull Board's client sends it from its cookie.
    const { csrfToken } = (await (await fetch(new URL('/api/session', board.url), { headers: { authorization: basic } })).json()) as { csrfToken: string };
    const send = (method: string, path: string, body?: unknown, csrf = csrfToken) =>
      fetch(new URL(path, board.url), { method, headers: { authorization: basic, 'content-type': 'application/json', 'x-xsrf-token': csrf }, body: body === undefined ? undefined : JSON.stringify(body) });
    try {
      await queue.add('probe', { probe: true }, { jobId: 'actions-probe' });
      // What an attacker with a dashboard login would try: a new host job, or new data for a waiting one.
      const job = { name: 'run.evil.host.h1', data: { operations: [{ module: 'command', attributes: { command: 'id' } }] } };
      expect((await send('POST', '/queues/api/queues/hosts/add', job)).status).toBe(403);
      expect((await send('PATCH', '/queues/api/queues/hosts/actions-probe/update-data', { data: { evil: true } })).status).toBe(403);
      expect((await send('PUT', '/queues/api/queues/hosts/obliterate')).status).toBe(403);
      expect(await queue.getJobCounts('waiting', 'delayed', 'prioritized')).toEqual({ waiting: 1, delayed: 0, prioritized: 0 });
      expect((await queue.getJob('actions-probe'))?.data).toEqual({ probe: true });
      // The allowed actions reach Bull Board and Redis, with the token only.
      expect((await send('PUT', '/queues/api/queues/hosts/pause', undefined, '')).status).toBe(403);
      expect(await queue.isPaused()).toBe(false);
      expect((await send('PUT', '/queues/api/queues/hosts/pause')).status).toBe(200);
      expect(await queue.isPaused()).toBe(true);
      expect((await send('PUT', '/queues/api/queues/hosts/resume')).status).toBe(200);
      expect(await queue.isPaused()).toBe(false);
    } finally {
      await board.close();
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  });

  it('runs as a process: prints its URL, refuses to start without a password or with a weak one', async () => {
    const started = await startDashboardProcess(system.env);
    try {
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect((await fetch(started.url, { headers: { authorization: basic } })).status).toBe(200);
    } finally {
      started.process.child.kill('SIGTERM');
      expect(await started.process.exited).toBe(0);
    }
    for (const [password, message] of [
      [undefined, /SIMPLECM_DASHBOARD_PASSWORD: required/],
      ['short-pw', /SIMPLECM_DASHBOARD_PASSWORD: too weak/],
    ] as const) {
      // An empty variable counts as unset (and overrides one this test process may have).
      const child = startProcess('dashboard', ['--port', '0'], { ...system.env, SIMPLECM_DASHBOARD_USER: 'operator', SIMPLECM_DASHBOARD_PASSWORD: password ?? '' });
      expect(await child.exited).toBe(2);
      expect(child.output()).toMatch(message);
    }
  });
});
