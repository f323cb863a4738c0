import { connectionConfigFromEnv } from '@simplecm/config';
import { resolveDashboardOptions, startDashboard, writeSyntheticRun, type Dashboard } from '@simplecm/dashboard';
import type { OperationResult } from '@simplecm/domain';
import { newRunId, resultStore, runStore } from '@simplecm/store';
import { dashboardCredentials } from '../support/browser';
import { createTestSystem, type TestSystem } from '../support/system';

// The drift page and the host page's drift panel on the real stack (own keyspace): drift is
// written by the store's own result writes (a check run, then an apply of one host), read back
// through the dashboard's Cassandra queries.
describe('dashboard drift page on the stack', () => {
  let system: TestSystem;
  let dashboard: Dashboard;
  let checkRun: string;
  let applyRun: string;
  const revision = newRunId();
  const name = (i: number) => `drift-${i}.dash.example.internal`;
  const basic = `Basic ${Buffer.from(`${dashboardCredentials.user}:${dashboardCredentials.password}`).toString('base64')}`;

  beforeAll(async () => {
    system = await createTestSystem('dashdrift');
    const runs = runStore(system.cassandra, system.keyspace);
    const stores = { ...runs, ...resultStore(system.cassandra, system.keyspace) };
    // A check run of four hosts against a state revision: the third fails (inconclusive: no drift), the others would change something.
    ({ runId: checkRun } = await writeSyntheticRun({ ...stores, createRun: (r) => runs.createRun({ ...r, stateRevision: revision }) }, { hosts: 4, failEvery: 3, unreachableEvery: 100, mode: 'check', hostname: name }));
    // Then an apply run converges the fourth host: it is in sync again. Its result ends a minute
    // after the check's (the newest write wins by the host's end time, not by write order).
    applyRun = newRunId();
    await runs.createRun({ runId: applyRun, mode: 'apply', target: name(4), hostCount: 1 });
    const at = Date.now() + 60_000;
    const op: OperationResult = { seq: 0, name: 'managed marker exists', module: 'file_exists', status: 'ok', exitCode: 0, stdout: '', stdoutTruncated: false, stderr: '', stderrTruncated: false, changes: [], startedAt: at, durationMs: 5 };
    await stores.recordHostResult({ runId: applyRun, hostname: name(4), status: 'ok', worker: 'w1', startedAt: at, endedAt: at + 5, cause: null, operations: [op] }, 'apply');
    const config = resolveDashboardOptions({ ...dashboardCredentials, port: 0, loginMaxFailures: 1_000 });
    dashboard = await startDashboard(config, connectionConfigFromEnv(system.env), { log: () => undefined });
  });
  afterAll(async () => {
    await dashboard?.close();
    await system?.close();
  });

  const page = async (path: string) => {
    const res = await fetch(new URL(path, dashboard.url), { headers: { authorization: basic } });
    expect([path, res.status]).toEqual([path, 200]);
    return res.text();
  };
  const rows = (html: string) => [...html.matchAll(/<tr data-drifted-host="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({ host: m[1], cells: m[2]! }));

  it('lists the hosts the check run found drifted, with their operations, run and revision; the failed and the re-applied host are not listed', async () => {
    const found = rows(await page('/drift'));
    expect(found.map((r) => r.host)).toEqual([name(1), name(2)]);
    const [first, second] = found;
    expect(first!.cells).toContain(`href="/hosts/${name(1)}"`);
    expect(first!.cells).toContain(`href="/runs/${checkRun}/hosts/${name(1)}"`);
    expect(first!.cells).toContain('managed marker exists, nginx running');
    expect(first!.cells).toMatch(/<td class="num">2<\/td>/);
    expect(first!.cells).toContain(`title="${revision}"`);
    expect(second!.cells).toContain('nginx config');
    expect(second!.cells).toMatch(/<td class="num">1<\/td>/);
    // Drifted since = the first check that found it: this one, so the two times are the same.
    const times = [...first!.cells.matchAll(/<time datetime="([^"]+)"/g)].map((m) => m[1]);
    expect(times).toHaveLength(2);
    expect(times[0]).toBe(times[1]);
  });

  it('filters by host name and says when nothing matches', async () => {
    expect(rows(await page('/drift?name=DRIFT-2')).map((r) => r.host)).toEqual([name(2)]);
    const none = await page('/drift?name=nothing-like-this');
    expect(rows(none)).toEqual([]);
    expect(none).toContain('No drifted host matches');
  });

  it('shows each host’s latest drift result on its page', async () => {
    const drifted = await page(`/hosts/${name(1)}`);
    expect(drifted).toContain('data-host-drift="drifted"');
    const row = rows(await page('/drift')).find((r) => r.host === name(1));
    const since = /<time datetime="([^"]+)"/.exec(row!.cells)?.[1];
    expect(drifted).toContain(`Drifted since <time datetime="${since}">`);
    expect(drifted).toContain('<li>managed marker exists</li><li>nginx running</li>');
    expect(drifted).toContain(`href="/runs/${checkRun}/hosts/${name(1)}"`);
    const inSync = await page(`/hosts/${name(4)}`);
    expect(inSync).toContain('data-host-drift="in-sync"');
    expect(inSync).toContain(`href="/runs/${applyRun}/hosts/${name(4)}"`);
    expect(await page(`/hosts/${name(3)}`)).toContain('data-host-drift="unknown"');
  });
});
