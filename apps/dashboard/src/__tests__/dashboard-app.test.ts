import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { emptyCounts, type OperationResult, type Run } from '@simplecm/domain';
import type { AuditRecord, DriftedHost, RunHost, RunLaunch } from '@simplecm/store';
import { createDashboardApp } from '../create-dashboard-app';
import { InvalidPageTokenError, type DashboardData } from '../dashboard-data';
import { loginThrottle } from '../login-throttle';
import { resolveDashboardOptions } from '../dashboard-options';
import type { RunControl } from '../run-control';
import type { DashboardUser } from '../users';

// The whole app on a real socket, with the store replaced by an in-memory fake: auth, routing,
// validation and escaping without Cassandra. The integration tests run it on the real stack.
const RUN = 'e1270960-e90b-11f1-b0af-80eed155dd86';
const RUNNING = 'f1270960-e90b-11f1-b0af-80eed155dd86';
const credentials = { user: 'ops', password: 'unit-test-password-1' };
const basic = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
const evil = '<script>alert(1)</script>';

const REVISION = '5d1c7e40-ad7e-11f1-8a3b-2b1d5c0e9f10';
const run = (runId: string, status: Run['status']): Run => ({
  runId,
  createdAt: new Date('2026-11-25T20:07:45Z'),
  mode: 'apply',
  target: 'all',
  hostCount: 3,
  status,
  counts: { ...emptyCounts(), ok: 4, failed: 1 },
  hostsDone: status === 'running' ? 1 : 3,
  finishedAt: status === 'running' ? null : new Date('2026-11-25T20:07:52Z'),
  stateRevision: status === 'running' ? null : REVISION,
});
const host = (hostname: string, status: RunHost['status']): RunHost => ({
  runId: RUN,
  hostname,
  status,
  worker: 'w1',
  startedAt: new Date('2026-11-25T20:07:46Z'),
  endedAt: new Date('2026-11-25T20:07:47Z'),
  cause: status === 'failed' ? `module-failed ${evil}` : null,
  counts: { ...emptyCounts(), ok: 1 },
});
const op: OperationResult = {
  seq: 1,
  name: 'motd',
  module: 'file_contains',
  status: 'failed',
  exitCode: 1,
  stdout: '',
  stdoutTruncated: false,
  stderr: `no such directory /nonexistent ${evil}`,
  stderrTruncated: true,
  changes: [],
  startedAt: Date.parse('2026-11-25T20:07:46Z'),
  durationMs: 27,
};

// host5 drifted in a finished run (with a revision), web-01 in the running one (none yet).
const drift = (hostname: string, runId: string, pendingOperations: string[]): DriftedHost => ({
  hostname,
  checkedAt: new Date('2026-11-26T08:00:00Z'),
  runId,
  mode: 'check',
  pending: pendingOperations.length,
  pendingOperations,
  lastCleanAt: new Date('2026-11-24T08:00:00Z'),
  driftedSince: new Date('2026-11-25T08:00:00Z'),
});
const drifted: DriftedHost[] = [drift('host5', RUN, ['motd', evil]), drift('web-01', RUNNING, ['nginx config'])];

const launches = new Map<string, RunLaunch>();
const audited: AuditRecord[] = [];
const data: DashboardData = {
  listRuns: async () => [run(RUNNING, 'running'), run(RUN, 'finished')],
  getRun: async (id) => (id === RUN ? run(RUN, 'finished') : id === RUNNING ? run(RUNNING, 'running') : undefined),
  pageRunHosts: async (_id, { status, page }) => {
    if (page === 'ff') throw new InvalidPageTokenError();
    const all = [host('host1', 'ok'), host('host5', 'failed')];
    return { items: status ? all.filter((h) => h.status === status) : all, nextPage: page ? undefined : 'abcd' };
  },
  getOperationResults: async (_id, hostname) => (hostname === 'host5' ? [op] : []),
  getRunHost: async (_id, hostname) => (hostname === 'host5' ? { ...host('host5', 'failed'), worker: 'w-7', cause: 'module-failed: motd exited 1' } : undefined),
  pageHostHistory: async () => ({ items: [{ runId: RUN, mode: 'apply', status: 'failed', startedAt: null, endedAt: null, cause: null }] }),
  readRunProgress: async () => ({ hostsDone: 2, hostsFailed: 1, counts: { ...emptyCounts(), ok: 7, failed: 1 } }),
  // The running run's stream: host2's operation 0, then host3's (after '0'); nothing after the last.
  readLiveOutput: async (runId, { after = '0' }) => {
    const all = [
      { id: '1-0', operation: { ...op, seq: 0, hostname: 'host2', status: 'ok' as const, exitCode: 0, stderr: '', stdout: `live ${evil}` } },
      { id: '2-0', operation: { ...op, hostname: 'host3' } },
    ];
    const entries = runId === RUNNING ? all.filter((e) => e.id > after) : [];
    return { entries, last: entries.at(-1)?.id ?? after, more: false };
  },
  getLaunches: async (ids) => new Map([...launches].filter(([id]) => ids.includes(id))),
  recordLaunch: async (launch) => {
    launches.set(launch.runId, launch);
  },
  getHost: async (hostname) => (hostname === 'host5' ? { hostname, address: '127.10.0.5', port: 22, user: 'root', keyName: 'id_ed25519', groups: ['web'], vars: { motd: evil }, hostKeys: [], become: null } : undefined),
  getOperations: async (hostname) => (hostname === 'host5' ? [{ seq: 0, name: 'motd', module: 'file_contains', attributes: { path: '/etc/motd' } }] : []),
  latestStateRevision: async () => ({ revisionId: REVISION, appliedAt: new Date('2026-11-25T20:00:00Z'), appliedBy: 'alice', digest: 'd', gitCommit: null, summary: '+1 host' }),
  getStateRevision: async (id) => (id === REVISION ? { revisionId: REVISION, appliedAt: new Date('2026-11-25T20:00:00Z'), appliedBy: 'alice', digest: 'd', gitCommit: null, summary: '+1 host' } : undefined),
  listAudit: async ({ limit }) => audited.slice().reverse().slice(0, limit),
  recordAudit: async (entry) => {
    const record = { ...entry, eventId: RUN, at: new Date() };
    audited.push(record);
    return record;
  },
  listDrifted: async () => drifted.slice(),
  getHostDrift: async (hostname) => {
    const found = drifted.find((d) => d.hostname === hostname);
    if (found) return found;
    return hostname === 'host1' ? { hostname, checkedAt: new Date('2026-11-26T09:00:00Z'), runId: RUN, mode: 'apply', pending: 0, pendingOperations: [], lastCleanAt: new Date('2026-11-26T09:00:00Z'), driftedSince: null } : undefined;
  },
};

async function listen(app: Express): Promise<{ server: Server; base: string }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

describe('dashboard app (fake store)', () => {
  let server: Server;
  let base: string;
  const logged: string[] = [];

  beforeAll(async () => {
    const config = resolveDashboardOptions({ ...credentials, port: 0 });
    // Generous: these tests send wrong passwords on purpose; the throttle has its own tests below.
    ({ server, base } = await listen(createDashboardApp(config, { data, queues: [], throttle: loginThrottle({ maxFailures: 1_000 }), log: (l) => logged.push(l) })));
  });
  afterAll(() => stop(server));

  const get = (path: string, headers: Record<string, string> = {}) => fetch(base + path, { headers, redirect: 'manual' });

  const routes = ['/', `/runs/${RUN}`, `/runs/${RUN}/hosts/host5`, '/hosts/host5', `/api/runs/${RUN}`, '/drift', '/queues', '/queues/api/queues', '/assets/dashboard.css', '/assets/live.js', '/nothing'];

  it.each(routes)('refuses %s without credentials, showing no data', async (path) => {
    const api = await get(path);
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toMatch(/^Basic /);
    const text = await api.text();
    expect(text).not.toMatch(/host5|e1270960|nonexistent|--ok/);

    const page = await get(path, { accept: 'text/html' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/login?${new URLSearchParams({ next: path })}`);

    const wrong = await get(path, { authorization: `Basic ${Buffer.from('ops:not-the-password').toString('base64')}` });
    expect(wrong.status).toBe(401);
  });

  it('does not challenge a browser script with Basic (no dialog), still 401', async () => {
    const res = await get(`/api/runs/${RUN}`, { 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('logs in with the form, sets a session cookie, and the cookie opens the pages', async () => {
    const login = await get('/login?next=%2Fhosts%2Fhost5');
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toMatch(/style-src 'sha256-/);
    const wrong = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username: 'ops', password: 'nope', next: '/' }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toMatch(/Wrong user name or password/);

    const ok = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username: 'ops', password: credentials.password, next: '/hosts/host5' }), redirect: 'manual' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/hosts/host5');
    const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^simplecm_session=/);
    const page = await get('/hosts/host5', { cookie });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/e1270960/);

    const refused = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(refused.status).toBe(403);
    const { csrfToken } = (await (await get('/api/session', { cookie })).json()) as { csrfToken: string };
    const out = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie }, body: new URLSearchParams({ _csrf: csrfToken }), redirect: 'manual' });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });

  it('refuses a cross-site POST (CSRF)', async () => {
    const res = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams({ username: 'ops', password: credentials.password }),
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('serves every page with Basic credentials, with a strict CSP', async () => {
    for (const path of ['/', `/runs/${RUN}`, `/runs/${RUN}?status=failed`, `/runs/${RUN}/hosts/host5`, '/hosts/host5', '/assets/dashboard.css', '/queues']) {
      const res = await get(path, { authorization: basic, accept: 'text/html' });
      expect([path, res.status]).toEqual([path, 200]);
    }
    const page = await get(`/runs/${RUN}`, { authorization: basic });
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('escapes untrusted output and marks truncation', async () => {
    const text = await (await get(`/runs/${RUN}/hosts/host5`, { authorization: basic })).text();
    expect(text).not.toContain(evil);
    expect(text).toContain('no such directory /nonexistent &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).toMatch(/truncated/);
    expect(text).toContain('converged by worker <span class="mono">w-7</span>');
    expect(text).toContain('module-failed: motd exited 1');
    const runText = await (await get(`/runs/${RUN}`, { authorization: basic })).text();
    expect(runText).not.toContain(evil);
  });

  it('shows the state revision a run converged, or none', async () => {
    expect(await (await get(`/runs/${RUN}`, { authorization: basic })).text()).toMatch(new RegExp(`<dt>State revision</dt><dd class="mono" data-state-revision>${REVISION}<br><span class="muted">applied .* by alice`));
    expect(await (await get(`/runs/${RUNNING}`, { authorization: basic })).text()).toMatch(/<dt>State revision<\/dt><dd class="mono" data-state-revision><span class="muted">none<\/span><\/dd>/);
    expect(await (await get('/', { authorization: basic })).text()).toContain(`<span title="${REVISION}">5d1c7e40</span>`);
    expect(await (await get(`/api/runs/${RUN}`, { authorization: basic })).json()).toMatchObject({ stateRevision: REVISION });
  });

  it('pages hosts with the token and keeps the filter in the links', async () => {
    const text = await (await get(`/runs/${RUN}?status=failed`, { authorization: basic })).text();
    expect(text).toContain(`href="/runs/${RUN}?status=failed&amp;page=abcd&amp;n=2"`);
    expect(text).toContain('host5');
    expect(text).not.toContain('>host1<');
  });

  it.each([
    ['/runs/not-a-run', /run id: expected a time-based UUID/],
    ['/runs/6ba7b810-9dad-41d1-80b4-00c04fd430c8', /run id: expected a time-based UUID/],
    [`/runs/${RUN}?status=skipped`, /\?status=: expected ok, changed, failed, unreachable or rejected/],
    [`/runs/${RUN}?page=xyz`, /\?page=: must be a page token/],
    [`/runs/${RUN}?page=ff`, /\?page=: not a valid page token/],
    [`/runs/${RUN}?size=0`, /\?size=/],
    [`/runs/${RUN}/hosts/bad%20host`, /hostname: must be a host name/],
    ['/hosts/-x', /hostname/],
    ['/api/runs/x', /run id/],
  ])('%s → 400 with a clear message', async (path, message) => {
    const res = await get(path, { authorization: basic });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
    if (path.startsWith('/api/')) return;
    const page = await get(path, { authorization: basic, accept: 'text/html' });
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/400 · Bad request/);
  });

  it('answers 404 for an unknown run or host', async () => {
    expect((await get('/runs/00000000-0000-1000-8000-000000000000', { authorization: basic })).status).toBe(404);
    expect((await get(`/runs/${RUN}/hosts/host9`, { authorization: basic })).status).toBe(404);
    expect((await get('/api/runs/00000000-0000-1000-8000-000000000000', { authorization: basic })).status).toBe(404);
  });

  it('reports live progress from Redis while a run is going', async () => {
    const json = await (await get(`/api/runs/${RUNNING}`, { authorization: basic })).json();
    expect(json).toMatchObject({ runId: RUNNING, status: 'running', hostCount: 3, hostsDone: 2, counts: { ok: 7, failed: 1 } });
    const page = await (await get(`/runs/${RUNNING}`, { authorization: basic })).text();
    expect(page).toContain(`data-run-live="${RUNNING}"`);
    expect(page).toMatch(/<script src="\/assets\/live\.js\?v=[0-9a-f]+" defer>/);
    const finished = await (await get(`/api/runs/${RUN}`, { authorization: basic })).json();
    expect(finished).toMatchObject({ status: 'finished', hostsDone: 3 });
  });

  it('serves a running run\'s live output, by host, and shows a host still running with its live panel', async () => {
    const all = (await (await get(`/api/runs/${RUNNING}/live`, { authorization: basic })).json()) as { entries: Array<{ id: string; hostname: string; stdout: string }>; last: string; runStatus: string };
    expect(all).toMatchObject({ runStatus: 'running', last: '2-0', more: false });
    expect(all.entries.map((e) => [e.id, e.hostname])).toEqual([['1-0', 'host2'], ['2-0', 'host3']]);
    expect(all.entries[0]?.stdout).toBe(`live ${evil}`); // JSON, escaped by the page's textContent
    const later = await (await get(`/api/runs/${RUNNING}/live?after=1-0&host=host3`, { authorization: basic })).json();
    expect(later).toMatchObject({ last: '2-0', hostRecorded: false, entries: [{ hostname: 'host3', seq: 1, status: 'failed' }] });
    expect((await get(`/api/runs/${RUNNING}/live?after=bogus`, { authorization: basic })).status).toBe(400);
    expect((await get(`/api/runs/00000000-0000-1000-8000-000000000000/live`, { authorization: basic })).status).toBe(404);
    const page = await (await get(`/runs/${RUNNING}`, { authorization: basic })).text();
    expect(page).toContain(`data-live-ops="${RUNNING}"`);
    const hostPage = await get(`/runs/${RUNNING}/hosts/host3`, { authorization: basic });
    expect(hostPage.status).toBe(200);
    const text = await hostPage.text();
    expect(text).toContain('data-host-running');
    expect(text).toContain(`data-live-ops="${RUNNING}" data-live-host="host3"`);
    expect(text).toMatch(/<script src="\/assets\/live\.js\?v=[0-9a-f]+" defer>/);
    // A finished run has no live panel, and a host without results there is still a 404.
    expect(await (await get(`/runs/${RUN}`, { authorization: basic })).text()).not.toContain('data-live-ops');
  });

  it('redirects the host search box to the host page', async () => {
    const res = await get('/hosts?hostname=%20host5%20', { authorization: basic });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/hosts/host5');
  });

  it('logged no server error', () => {
    expect(logged).toEqual([]);
  });
});

describe('dashboard app: Basic throttling and the queue board guard', () => {
  const servers: Server[] = [];
  const start = async (queueActions: boolean, trustProxy?: string): Promise<string> => {
    const config = resolveDashboardOptions({ ...credentials, port: 0, queueActions, trustProxy, loginMaxFailures: 3 });
    const server = createDashboardApp(config, { data, queues: [] }).listen(0, '0.0.0.0');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    return String((server.address() as AddressInfo).port);
  };
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  /** One request from a chosen loopback address, so the throttle sees two different clients. */
  const request = (port: string, from: string, method: string, path: string, authorization = basic, forwardedFor?: string, csrf?: string) =>
    new Promise<number>((resolve, reject) => {
      const headers = { authorization, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}), ...(csrf ? { 'x-xsrf-token': csrf } : {}) };
      const req = http.request({ host: '127.0.0.1', port, method, path, localAddress: from, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once('error', reject);
      req.end();
    });
  const wrong = `Basic ${Buffer.from('ops:not-the-password').toString('base64')}`;

  it('locks out Basic guessing per user and address, never the right password from elsewhere', async () => {
    const port = await start(false);
    for (let i = 0; i < 3; i += 1) expect(await request(port, '127.0.0.1', 'GET', '/api/runs', wrong)).toBe(401);
    // Locked: even the right password from that address waits; from another address it works.
    expect(await request(port, '127.0.0.1', 'GET', `/api/runs/${RUN}`)).toBe(429);
    expect(await request(port, '127.0.0.2', 'GET', `/api/runs/${RUN}`)).toBe(200);
  });

  it('behind a trusted proxy, keys the lock-out on the forwarded client; otherwise ignores the header', async () => {
    const proxied = await start(false, 'loopback');
    for (let i = 0; i < 3; i += 1) expect(await request(proxied, '127.0.0.1', 'GET', '/api/runs', wrong, '203.0.113.7')).toBe(401);
    expect(await request(proxied, '127.0.0.1', 'GET', `/api/runs/${RUN}`, basic, '203.0.113.7')).toBe(429);
    expect(await request(proxied, '127.0.0.1', 'GET', `/api/runs/${RUN}`, basic, '203.0.113.8')).toBe(200);

    const direct = await start(false);
    for (let i = 0; i < 3; i += 1) expect(await request(direct, '127.0.0.3', 'GET', '/api/runs', wrong, `198.51.100.${i}`)).toBe(401);
    expect(await request(direct, '127.0.0.3', 'GET', `/api/runs/${RUN}`, basic, '198.51.100.99')).toBe(429);
  });

  it('refuses every Bull Board write but retry, clean, pause and resume, for every queue', async () => {
    const port = await start(true);
    const refused = [
      ['POST', '/queues/api/queues/hosts/add'],
      ['PATCH', '/queues/api/queues/hosts/run.x.host.h/update-data'],
      ['PATCH', '/queues/api/queues/results/j1/delay'],
      ['PATCH', '/queues/api/queues/hosts/j1/priority'],
      ['PUT', '/queues/api/queues/hosts/empty'],
      ['PUT', '/queues/api/queues/hosts/obliterate'],
      ['PUT', '/queues/api/queues/hosts/promote'],
      ['PUT', '/queues/api/queues/hosts/j1/promote'],
      ['PUT', '/queues/api/queues/hosts/concurrency'],
      ['PUT', '/queues/api/queues/hosts/job-schedulers/s/run'],
      ['DELETE', '/queues/api/queues/hosts'],
    ];
    for (const [method, path] of refused) expect([method, path, await request(port, '127.0.0.1', method!, path!)]).toEqual([method, path, 403]);
    // Allowed through the guard: Bull Board itself answers (404 here: the test board has no queues).
    const allowed = [
      ['PUT', '/queues/api/queues/pause'],
      ['PUT', '/queues/api/queues/hosts/resume'],
      ['PUT', '/queues/api/queues/hosts/retry/failed'],
      ['PUT', '/queues/api/queues/hosts/clean/completed'],
      ['PUT', '/queues/api/queues/results/j1/retry'],
    ];
    const token = async (p: string) => ((await (await fetch(`http://127.0.0.1:${p}/api/session`, { headers: { authorization: basic } })).json()) as { csrfToken: string }).csrfToken;
    const csrf = await token(port);
    for (const [method, path] of allowed) expect(await request(port, '127.0.0.1', method!, path!, basic, undefined, csrf)).not.toBe(403);
    // Without the CSRF token even an allowed action is refused.
    for (const [method, path] of allowed) expect(await request(port, '127.0.0.1', method!, path!)).toBe(403);

    const readOnly = await start(false);
    const readOnlyCsrf = await token(readOnly);
    for (const [method, path] of allowed) expect(await request(readOnly, '127.0.0.1', method!, path!, basic, undefined, readOnlyCsrf)).toBe(403);
  });
});

describe('dashboard app: roles, CSRF, launch, audit, base path, filters (fake store)', () => {
  let server: Server;
  let base: string;
  const calls: string[] = [];
  const LAUNCHED = '0a270960-e90b-11f1-b0af-80eed155dd86';
  // A RunControl that records what it was asked (the real one submits to the resident master).
  const control: RunControl = {
    launch: async (request, by) => {
      calls.push(`launch ${request.target} check=${request.check} tags=${request.tags.join(',')} by ${by.user}`);
      if (request.target === 'nothing*') throw new Error('no host matches nothing*');
      return { runId: LAUNCHED, hostCount: 5 };
    },
    relaunchFailed: async (runId, by) => {
      calls.push(`relaunch ${runId} by ${by.user}`);
      return { runId: LAUNCHED, hostCount: 1 };
    },
    cancel: async (runId, by) => {
      calls.push(`cancel ${runId} by ${by.user}`);
    },
  };
  const users: DashboardUser[] = [
    { name: 'vera', role: 'viewer', credential: { kind: 'password', password: 'viewer-password-1' } },
    { name: 'otto', role: 'operator', credential: { kind: 'password', password: 'operator-password-1' } },
  ];

  beforeAll(async () => {
    // Behind a proxy on this machine: under /cm, the client address from X-Forwarded-For.
    const config = { ...resolveDashboardOptions({ ...credentials, port: 0, basePath: '/cm', trustProxy: 'loopback' }), users };
    ({ server, base } = await listen(createDashboardApp(config, { data, queues: [], control, throttle: loginThrottle({ maxFailures: 1_000 }) })));
  });
  afterAll(() => stop(server));

  const login = async (user: string, password: string) => {
    const res = await fetch(`${base}/cm/login`, { method: 'POST', body: new URLSearchParams({ username: user, password, next: '/cm/' }), redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/cm/');
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const session = (await (await fetch(`${base}/cm/api/session`, { headers: { cookie } })).json()) as { csrfToken: string; role: string };
    return { cookie, csrf: session.csrfToken, role: session.role };
  };
  const post = (path: string, cookie: string, form: Record<string, string>) => fetch(base + path, { method: 'POST', headers: { cookie }, body: new URLSearchParams(form), redirect: 'manual' });

  it('serves everything under the base path: links, assets, redirects, cookie path', async () => {
    const anon = await fetch(`${base}/cm/runs/${RUN}`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(anon.headers.get('location')).toBe(`/cm/login?${new URLSearchParams({ next: `/cm/runs/${RUN}` })}`);
    expect(await (await fetch(`${base}/cm/login`)).text()).toContain('action="/cm/login"');
    expect((await fetch(`${base}/runs/${RUN}`, { redirect: 'manual' })).status).toBe(404);
    const { cookie } = await login('vera', 'viewer-password-1');
    const ok = await fetch(`${base}/cm/login`, { method: 'POST', body: new URLSearchParams({ username: 'vera', password: 'viewer-password-1' }), redirect: 'manual' });
    expect(ok.headers.get('set-cookie')).toMatch(/Path=\/cm;/);
    const page = await (await fetch(`${base}/cm/runs/${RUN}`, { headers: { cookie } })).text();
    const hrefs = [...page.matchAll(/(?:href|action|src)="([^"#]*)/g)].map((m) => m[1]!).filter((h) => h.startsWith('/'));
    expect(hrefs.length).toBeGreaterThan(10);
    expect(hrefs.filter((h) => !h.startsWith('/cm/'))).toEqual([]);
    expect(page).toContain('data-base="/cm"');
    const css = /href="(\/cm\/assets\/dashboard\.css\?v=[0-9a-f]+)"/.exec(page)?.[1];
    expect((await fetch(base + css!, { headers: { cookie } })).status).toBe(200);
    const search = await fetch(`${base}/cm/hosts?hostname=host5`, { headers: { cookie }, redirect: 'manual' });
    expect(search.headers.get('location')).toBe('/cm/hosts/host5');
  });

  it('a viewer reads but has no launch, relaunch or cancel control, and is refused 403 even with the token', async () => {
    const { cookie, csrf, role } = await login('vera', 'viewer-password-1');
    expect(role).toBe('viewer');
    const runs = await (await fetch(`${base}/cm/`, { headers: { cookie } })).text();
    expect(runs).not.toContain('/cm/launch');
    expect(runs).not.toContain('/cm/audit');
    const run = await (await fetch(`${base}/cm/runs/${RUN}`, { headers: { cookie } })).text();
    expect(run).not.toMatch(/data-action="(relaunch|cancel)"/);
    const before = calls.length;
    expect((await post('/cm/launch', cookie, { _csrf: csrf, target: 'all' })).status).toBe(403);
    expect((await post(`/cm/runs/${RUN}/relaunch`, cookie, { _csrf: csrf })).status).toBe(403);
    expect((await post(`/cm/runs/${RUNNING}/cancel`, cookie, { _csrf: csrf })).status).toBe(403);
    expect((await fetch(`${base}/cm/audit`, { headers: { cookie } })).status).toBe(403);
    expect(calls.length).toBe(before);
    expect(audited.at(-1)).toMatchObject({ actor: 'vera', action: 'refused', subject: `POST /cm/runs/${RUNNING}/cancel`, detail: 'role viewer: needs operator' });
  });

  it('refuses a POST without the CSRF token, with a wrong one or with another session\'s, and audits the refusal', async () => {
    const a = await login('otto', 'operator-password-1');
    const b = await login('otto', 'operator-password-1');
    const before = calls.length;
    expect((await post('/cm/launch', a.cookie, { target: 'all' })).status).toBe(403);
    expect((await post('/cm/launch', a.cookie, { target: 'all', _csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await post('/cm/launch', a.cookie, { target: 'all', _csrf: b.csrf })).status).toBe(403);
    const cross = await fetch(`${base}/cm/launch`, { method: 'POST', headers: { cookie: a.cookie, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, body: new URLSearchParams({ target: 'all', _csrf: a.csrf }), redirect: 'manual' });
    expect(cross.status).toBe(403);
    expect(calls.length).toBe(before);
    expect(audited.some((r) => r.action === 'refused' && r.actor === 'otto' && /CSRF/.test(r.detail))).toBe(true);
  });

  it('an operator launches, relaunches and cancels; each is recorded with who and shown', async () => {
    const { cookie, csrf } = await login('otto', 'operator-password-1');
    const form = await (await fetch(`${base}/cm/launch`, { headers: { cookie } })).text();
    expect(form).toContain(`name="_csrf" value="${csrf}"`);
    const launched = await post('/cm/launch', cookie, { _csrf: csrf, target: 'web*', tags: 'motd, ssh', check: '1' });
    expect(launched.status).toBe(303);
    expect(launched.headers.get('location')).toBe(`/cm/runs/${LAUNCHED}`);
    expect(calls.at(-1)).toBe('launch web* check=true tags=motd,ssh by otto');
    expect(launches.get(LAUNCHED)).toMatchObject({ launchedBy: 'otto', relaunchOf: null, address: expect.stringMatching(/127\.0\.0\.1/) });

    const refused = await post('/cm/launch', cookie, { _csrf: csrf, target: 'nothing*' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('no host matches nothing*');

    const run = await (await fetch(`${base}/cm/runs/${RUN}`, { headers: { cookie } })).text();
    expect(run).toContain('data-action="relaunch"');
    expect((await post(`/cm/runs/${RUN}/relaunch`, cookie, { _csrf: csrf })).status).toBe(303);
    expect(calls.at(-1)).toBe(`relaunch ${RUN} by otto`);
    expect(launches.get(LAUNCHED)).toMatchObject({ relaunchOf: RUN });
    const running = await (await fetch(`${base}/cm/runs/${RUNNING}`, { headers: { cookie } })).text();
    expect(running).toContain('data-action="cancel"');
    expect((await post(`/cm/runs/${RUNNING}/cancel`, cookie, { _csrf: csrf })).status).toBe(303);
    expect(calls.at(-1)).toBe(`cancel ${RUNNING} by otto`);

    const audit = await (await fetch(`${base}/cm/audit`, { headers: { cookie } })).text();
    for (const action of ['login', 'launch', 'relaunch', 'cancel', 'refused']) expect(audit).toContain(`data-audit-action="${action}"`);
    expect(audited.filter((r) => r.action === 'launch').map((r) => r.outcome)).toEqual(['ok', 'failed']);
  });

  it('records failed log-ins and log-outs in the audit log', async () => {
    await fetch(`${base}/cm/login`, { method: 'POST', headers: { 'x-forwarded-for': '203.0.113.9' }, body: new URLSearchParams({ username: 'mallory', password: 'guess-guess-guess' }), redirect: 'manual' });
    expect(audited.at(-1)).toMatchObject({ actor: 'mallory', action: 'login-failed', outcome: 'refused', address: '203.0.113.9' });
    const { cookie, csrf } = await login('vera', 'viewer-password-1');
    expect((await post('/cm/logout', cookie, { _csrf: csrf })).headers.get('location')).toBe('/cm/login');
    expect(audited.at(-1)).toMatchObject({ actor: 'vera', action: 'logout', outcome: 'ok' });
  });

  it('filters runs by status, mode, target, who and date, and hosts by name', async () => {
    const { cookie } = await login('vera', 'viewer-password-1');
    const runs = async (q: string) => (await (await fetch(`${base}/cm/?${q}`, { headers: { cookie } })).text()).match(/href="\/cm\/runs\/([0-9a-f-]+)"/g)?.length ?? 0;
    expect(await runs('')).toBe(2);
    expect(await runs('status=running')).toBe(1);
    expect(await runs('status=finished&mode=apply')).toBe(1);
    expect(await runs('mode=check')).toBe(0);
    expect(await runs('target=al')).toBe(2);
    expect(await runs('who=cli')).toBe(2);
    expect(await runs('who=otto')).toBe(0);
    expect(await runs('from=2026-11-25&to=2026-11-25')).toBe(2);
    expect(await runs('from=2026-11-26')).toBe(0);
    expect((await fetch(`${base}/cm/?from=yesterday`, { headers: { cookie } })).status).toBe(400);
    const hosts = await (await fetch(`${base}/cm/runs/${RUN}?name=st5`, { headers: { cookie } })).text();
    expect(hosts).toContain('>host5<');
    expect(hosts).not.toContain('>host1<');
  });

  it('shows a host\'s desired state (inventory record, vars escaped, operations, latest revision)', async () => {
    const { cookie } = await login('vera', 'viewer-password-1');
    const page = await (await fetch(`${base}/cm/hosts/host5`, { headers: { cookie } })).text();
    expect(page).toContain('127.10.0.5:22');
    expect(page).toContain('file_contains');
    expect(page).toContain(REVISION);
    expect(page).not.toContain(evil);
    expect(await (await fetch(`${base}/cm/hosts/host9`, { headers: { cookie } })).text()).toContain('host9 is not in the inventory');
  });

  it('a viewer reads the drift page: every drifted host with its check, operations (escaped), run and revision, under the base path', async () => {
    const { cookie } = await login('vera', 'viewer-password-1');
    const runs = await (await fetch(`${base}/cm/`, { headers: { cookie } })).text();
    expect(runs).toContain('href="/cm/drift"');
    const res = await fetch(`${base}/cm/drift`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const page = await res.text();
    expect([...page.matchAll(/data-drifted-host="([^"]+)"/g)].map((m) => m[1])).toEqual(['host5', 'web-01']);
    const row = page.slice(page.indexOf('data-drifted-host="host5"'), page.indexOf('data-drifted-host="web-01"'));
    expect(row).toContain('href="/cm/hosts/host5"');
    expect(row).toContain(`href="/cm/runs/${RUN}/hosts/host5"`);
    expect(row).toContain('2026-11-25 08:00:00 UTC');
    expect(row).toContain('2026-11-26 08:00:00 UTC');
    expect(row).toMatch(/<td class="num">2<\/td>/);
    expect(row).toContain('motd, &lt;script&gt;');
    expect(row).toContain(`title="${REVISION}"`);
    expect(page.slice(page.indexOf('data-drifted-host="web-01"'))).toMatch(/<span class="muted">none<\/span>/);
    expect(page).not.toContain(evil);
    expect(page).toMatch(/<a href="\/cm\/drift" class="current">Drift<\/a>/);
  });

  it('filters the drift page by host name, says when nothing matches or nothing drifted, and refuses a bad filter', async () => {
    const { cookie } = await login('vera', 'viewer-password-1');
    const hosts = async (q: string) => [...(await (await fetch(`${base}/cm/drift${q}`, { headers: { cookie } })).text()).matchAll(/data-drifted-host="([^"]+)"/g)].map((m) => m[1]);
    expect(await hosts('?name=WEB')).toEqual(['web-01']);
    expect(await hosts('?name=')).toEqual(['host5', 'web-01']);
    const none = await (await fetch(`${base}/cm/drift?name=db`, { headers: { cookie } })).text();
    expect(none).toContain('No drifted host matches <code>db</code>');
    expect(none).toContain('value="db"');
    expect((await fetch(`${base}/cm/drift?name=${'x'.repeat(300)}`, { headers: { cookie } })).status).toBe(400);
    const saved = drifted.splice(0);
    try {
      const empty = await (await fetch(`${base}/cm/drift`, { headers: { cookie } })).text();
      expect(empty).toContain('data-drift-empty');
      expect(empty).toContain('No drifted host: every host');
    } finally {
      drifted.push(...saved);
    }
  });

  it('shows a host\'s latest drift result on its page: drifted with its operations, in sync, or never checked', async () => {
    const { cookie } = await login('vera', 'viewer-password-1');
    const page = async (hostname: string) => (await (await fetch(`${base}/cm/hosts/${hostname}`, { headers: { cookie } })).text());
    const host5 = await page('host5');
    expect(host5).toContain('data-host-drift="drifted"');
    expect(host5).toContain('Drifted since <time datetime="2026-11-25T08:00:00.000Z">');
    expect(host5).toContain('2 pending changes');
    expect(host5).toContain('<li>motd</li>');
    expect(host5).toContain(`href="/cm/runs/${RUN}/hosts/host5"`);
    expect(host5).not.toContain(evil);
    const host1 = await page('host1');
    expect(host1).toContain('data-host-drift="in-sync"');
    expect(host1).toContain('In sync as of <time datetime="2026-11-26T09:00:00.000Z">');
    expect(await page('host9')).toContain('data-host-drift="unknown"');
  });
});
