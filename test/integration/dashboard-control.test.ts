import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { connectionConfigFromEnv } from '@simplecm/config';
import { hashPassword, resolveDashboardOptions, startDashboard, type Dashboard, type RunProgressJson } from '@simplecm/dashboard';
import { auditLogStore } from '@simplecm/store';
import { launchChromium, screenshot } from '../support/browser';
import { enqueueRunControl } from '../support/enqueue-run-control';
import { createTestSystem, onHost, type TestSystem } from '../support/system';

// The dashboard as a control plane on the real stack (own keyspace and queue prefix): users from
// a file with scrypt hashes, a viewer and an operator, under the base path /cm. Launch and
// relaunch go through a RunControl that plans with the real enqueue command; results come from
// real workers and the results consumer. Over HTTP first, then in headless Chromium (screenshots
// in artifacts/screenshots/control-*.png).
describe('dashboard control plane on the stack', () => {
  let system: TestSystem;
  let dashboard: Dashboard;
  let dir: string;
  let firstRun = '';
  const users = { viewer: { user: 'vera', password: 'vera-viewer-password-7' }, operator: { user: 'otto', password: 'otto-operator-password-7' } };

  beforeAll(async () => {
    system = await createTestSystem('dashctl');
    await system.seed();
    await onHost(5, 'rm -rf /nonexistent'); // the seed's failing operation needs it missing
    system.startWorkers(2);
    system.startResults();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashctl-'));
    const file = path.join(dir, 'users.yaml');
    fs.writeFileSync(
      file,
      `users:\n  - name: ${users.viewer.user}\n    role: viewer\n    passwordHash: "${await hashPassword(users.viewer.password)}"\n  - name: ${users.operator.user}\n    role: operator\n    passwordHash: "${await hashPassword(users.operator.password)}"\n`,
    );
    const config = resolveDashboardOptions({ usersFile: file, basePath: '/cm', port: 0, loginMaxFailures: 1_000 });
    dashboard = await startDashboard(config, connectionConfigFromEnv(system.env), { log: () => undefined, control: enqueueRunControl(system) });
  }, 120_000);
  afterAll(async () => {
    await dashboard?.close();
    await system?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const url = (p: string) => new URL(p, dashboard.url).toString();
  const login = async ({ user, password }: { user: string; password: string }) => {
    const res = await fetch(url('/cm/login'), { method: 'POST', body: new URLSearchParams({ username: user, password, next: '/cm/' }), redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).toEqual([303, '/cm/']);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const session = (await (await fetch(url('/cm/api/session'), { headers: { cookie } })).json()) as { csrfToken: string; role: string };
    return { cookie, csrf: session.csrfToken, role: session.role };
  };
  const post = (p: string, cookie: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url(p), { method: 'POST', headers: { cookie, ...headers }, body: new URLSearchParams(form), redirect: 'manual' });
  const page = async (p: string, cookie: string) => {
    const res = await fetch(url(p), { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
    return { status: res.status, text: await res.text() };
  };
  /** Until the results consumer has recorded every host of the run (bounded by the test timeout). */
  const finished = async (runId: string, cookie: string): Promise<RunProgressJson> => {
    for (;;) {
      const run = (await (await fetch(url(`/cm/api/runs/${runId}`), { headers: { cookie } })).json()) as RunProgressJson;
      if (run.status === 'finished') return run;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  it('a viewer sees no launch control and is refused 403 when posting anyway', async () => {
    const { cookie, csrf, role } = await login(users.viewer);
    expect(role).toBe('viewer');
    const runs = await page('/cm/', cookie);
    expect(runs.status).toBe(200);
    expect(runs.text).not.toContain('href="/cm/launch"');
    expect((await post('/cm/launch', cookie, { _csrf: csrf, target: 'all' })).status).toBe(403);
    expect((await page('/cm/audit', cookie)).status).toBe(403);
  });

  it('refuses a POST without the CSRF token and a cross-site POST, launching nothing', async () => {
    const { cookie, csrf } = await login(users.operator);
    expect((await post('/cm/launch', cookie, { target: 'all' })).status).toBe(403);
    expect((await post('/cm/launch', cookie, { target: 'all', _csrf: csrf }, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await page('/cm/', cookie)).text).not.toMatch(/href="\/cm\/runs\/[0-9a-f-]{36}"/);
  });

  it('an operator launches a run; it converges and shows who launched it', async () => {
    const { cookie, csrf } = await login(users.operator);
    expect((await page('/cm/', cookie)).text).toContain('href="/cm/launch"');
    const res = await post('/cm/launch', cookie, { _csrf: csrf, target: 'all', keepGoing: '1' });
    expect(res.status).toBe(303);
    firstRun = /^\/cm\/runs\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')?.[1] ?? '';
    expect(firstRun).not.toBe('');
    const run = await finished(firstRun, cookie);
    expect(run.hostCount).toBe(5);
    expect(run.counts.failed).toBeGreaterThanOrEqual(1); // host5's operation fails on purpose
    const runPage = await page(`/cm/runs/${firstRun}`, cookie);
    expect(runPage.text).toMatch(/data-launched-by>otto <span class="muted">from /);
    expect(runPage.text).toContain('data-action="relaunch"');
    const mine = await page('/cm/?who=otto', cookie);
    expect(mine.text).toContain(`href="/cm/runs/${firstRun}"`);
    expect((await page('/cm/?who=vera', cookie)).text).not.toContain(`href="/cm/runs/${firstRun}"`);
  }, 120_000);

  it('relaunches the failed hosts of that run as a new run, recorded as a relaunch', async () => {
    const { cookie, csrf } = await login(users.operator);
    const res = await post(`/cm/runs/${firstRun}/relaunch`, cookie, { _csrf: csrf });
    expect(res.status).toBe(303);
    const again = /^\/cm\/runs\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')?.[1] ?? '';
    expect(again).not.toBe(firstRun);
    const run = await finished(again, cookie);
    expect(run.hostCount).toBeLessThan(5);
    expect((await page(`/cm/runs/${again}`, cookie)).text).toContain(`relaunch of <a class="mono" href="/cm/runs/${firstRun}">`);
    const failedHosts = await page(`/cm/runs/${firstRun}?status=failed&name=host5`, cookie);
    expect(failedHosts.text).toContain('>host5<');
  }, 120_000);

  it('shows host5\'s desired state and the state revision a run converged', async () => {
    const { cookie } = await login(users.viewer);
    const host = await page('/cm/hosts/host5', cookie);
    expect(host.status).toBe(200);
    expect(host.text).toContain('data-desired-operations');
    expect(host.text).toMatch(/127\.10\.0\.5/);
    expect((await page(`/cm/runs/${firstRun}`, cookie)).text).toContain('data-state-revision');
  });

  it('lists every action in the audit log, in Cassandra and on the page', async () => {
    await fetch(url('/cm/login'), { method: 'POST', body: new URLSearchParams({ username: 'otto', password: 'not-his-password' }), redirect: 'manual' });
    const { cookie, csrf } = await login(users.operator);
    await post('/cm/logout', cookie, { _csrf: csrf });
    const rows = await auditLogStore(system.cassandra, system.keyspace).list({ limit: 200 });
    const seen = new Set(rows.map((r) => `${r.actor} ${r.action} ${r.outcome}`));
    for (const line of ['vera login ok', 'vera refused refused', 'otto login ok', 'otto login-failed refused', 'otto launch ok', 'otto relaunch ok', 'otto refused refused', 'otto logout ok']) expect(seen).toContain(line);
    expect(rows.every((r) => r.address.length > 0)).toBe(true);
    const audit = await page('/cm/audit', (await login(users.operator)).cookie);
    for (const action of ['login', 'login-failed', 'logout', 'launch', 'relaunch', 'refused']) expect(audit.text).toContain(`data-audit-action="${action}"`);
  });

  it('every link on the pages stays under the base path and answers', async () => {
    const { cookie } = await login(users.operator);
    const links = new Set<string>();
    for (const p of ['/cm/', `/cm/runs/${firstRun}`, `/cm/runs/${firstRun}/hosts/host5`, '/cm/hosts/host5', '/cm/audit', '/cm/launch']) {
      const { status, text } = await page(p, cookie);
      expect([p, status]).toEqual([p, 200]);
      for (const m of text.matchAll(/(?:href|src)="(\/[^"#]*)"/g)) links.add(m[1]!.replace(/&amp;/g, '&'));
    }
    expect([...links].filter((l) => !l.startsWith('/cm/'))).toEqual([]);
    for (const link of links) expect([link, (await fetch(url(link), { headers: { cookie }, redirect: 'manual' })).status]).toEqual([link, 200]);
    expect((await fetch(url('/cm/queues/'), { headers: { cookie } })).status).toBe(200);
  }, 60_000);

  describe('in a browser', () => {
    let browser: Browser;
    let tab: Page;
    const errors: string[] = [];
    beforeAll(async () => {
      browser = await launchChromium();
      tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      tab.on('pageerror', (error) => errors.push(error.message));
    });
    afterAll(async () => {
      await browser?.close();
    });
    const signIn = async ({ user, password }: { user: string; password: string }) => {
      await tab.context().clearCookies();
      await tab.goto(url('/cm/'));
      expect(new URL(tab.url()).pathname).toBe('/cm/login');
      await tab.fill('#username', user);
      await tab.fill('#password', password);
      await Promise.all([tab.waitForURL(url('/cm/')), tab.click('button[type=submit]')]);
    };

    it('a viewer has no launch link and no relaunch button', async () => {
      await signIn(users.viewer);
      await expect(tab.locator('a[href="/cm/launch"]').count()).resolves.toBe(0);
      await tab.goto(url(`/cm/runs/${firstRun}`));
      await expect(tab.locator('[data-action]').count()).resolves.toBe(0);
    });

    it('an operator launches from the form, watches the run finish, and reads the audit log', async () => {
      await signIn(users.operator);
      await screenshot(tab, 'control-01-runs');
      await Promise.all([tab.waitForURL(url('/cm/launch')), tab.click('a[href="/cm/launch"]')]);
      await tab.fill('#target', 'host1,host2');
      await tab.check('input[name=check]');
      await screenshot(tab, 'control-02-launch-form');
      await Promise.all([tab.waitForURL(/\/cm\/runs\/[0-9a-f-]{36}$/), tab.click('button[data-action=launch]')]);
      const runId = /runs\/([0-9a-f-]{36})$/.exec(tab.url())![1]!;
      await expect(tab.locator('[data-launched-by]').textContent()).resolves.toMatch(/otto/);
      // live.js reloads the page once the run has ended.
      await tab.locator('[data-run-live]').waitFor({ state: 'detached', timeout: 90_000 });
      await expect(tab.locator('table.hosts tbody tr').count()).resolves.toBe(2);
      await screenshot(tab, 'control-03-run');
      await tab.goto(url(`/cm/?who=otto&mode=check`));
      await expect(tab.locator(`a[href="/cm/runs/${runId}"]`).count()).resolves.toBe(1);
      await screenshot(tab, 'control-04-runs-filtered');
      // Bull Board's client (axios) sends this cookie back as X-XSRF-Token on its writes.
      await tab.goto(url('/cm/queues/'));
      const cookie = await tab.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie);
      expect(cookie).toMatch(/XSRF-TOKEN=[A-Za-z0-9_-]{43}/);
      await tab.goto(url('/cm/hosts/host5'));
      await screenshot(tab, 'control-05-host-desired-state');
      await Promise.all([tab.waitForURL(url('/cm/audit')), tab.click('a[href="/cm/audit"]')]);
      await expect(tab.locator('tr[data-audit-action="launch"]').count()).resolves.toBeGreaterThanOrEqual(2);
      await screenshot(tab, 'control-06-audit');
      await Promise.all([tab.waitForURL(/\/cm\/login/), tab.click('form.logout button')]);
      expect(errors).toEqual([]);
    }, 180_000);
  });
});
