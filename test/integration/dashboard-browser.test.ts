import type { Browser, Page } from 'playwright-core';
import { emptyCounts } from '@simplecm/domain';
import { writeSyntheticRun, type SyntheticRun } from '@simplecm/dashboard';
import { newRunId, resultStore, runStore } from '@simplecm/store';
import { stopStarted } from '@simplecm/stack';
import { dashboardCredentials, launchChromium, screenshot, startDashboardProcess, type StartedDashboard } from '../support/browser';
import { createTestSystem, onHost, type TestSystem } from '../support/system';

// End to end in headless Chromium (Debian's package, driven by playwright-core): the seed run
// through workers and the results consumer, then the dashboard as an operator uses it. Also a
// synthetic run of 300 hosts with long output, to look at volume. Screenshots go to
// artifacts/screenshots/. No Chromium → this fails (launchChromium throws), it does not skip.
describe('dashboard in a browser', () => {
  let system: TestSystem;
  let dashboard: StartedDashboard;
  let browser: Browser;
  let page: Page;
  let big: SyntheticRun;
  let runId: string;
  const pageErrors: string[] = [];
  const elsewhere = new Set<string>();

  beforeAll(async () => {
    browser = await launchChromium();
    system = await createTestSystem('dashbrowser');
    const stores = { ...runStore(system.cassandra, system.keyspace), ...resultStore(system.cassandra, system.keyspace) };
    big = await writeSyntheticRun(stores, { hosts: 300, longOutput: true });
    await system.seed();
    await onHost(5, 'rm -rf /nonexistent'); // the seed's failing operation needs it missing
    system.startWorkers(2);
    system.startResults();
    const enqueued = await system.enqueue(['--wait']);
    expect(enqueued.code).toBe(1); // host5 fails on purpose
    runId = enqueued.runId!;
    dashboard = await startDashboardProcess(system.env);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() !== 'error' || page.url().includes('/queues')) return; // Bull Board's page is not ours
      if (/status of 401/.test(message.text()) && page.url().includes('/login')) return; // the wrong password, on purpose
      pageErrors.push(`${message.text()} (on ${page.url()})`);
    });
    // Bull Board's page links Google Fonts; the dashboard's CSP blocks that before it leaves the
    // browser (failure "csp"). Anything that got an answer, or failed on the network, went out.
    const external = (u: string) => u.startsWith('http') && new URL(u).hostname !== '127.0.0.1';
    page.on('response', (response) => {
      if (external(response.url())) elsewhere.add(response.url());
    });
    page.on('requestfailed', (request) => {
      if (external(request.url()) && request.failure()?.errorText !== 'csp') elsewhere.add(`${request.url()} (${request.failure()?.errorText})`);
    });
    page.on('dialog', (dialog) => {
      pageErrors.push(`dialog opened: ${dialog.message()}`); // e.g. a <script> from host output ran
      void dialog.dismiss();
    });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    if (dashboard) await stopStarted(dashboard.process);
    await system?.close();
  });

  const url = (path: string) => new URL(path, dashboard.url).toString();

  it('sends a visitor to the login form and logs in', async () => {
    await page.goto(url('/'));
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, '01-login');
    await page.fill('#username', dashboardCredentials.user);
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await expect(page.locator('.error').textContent()).resolves.toMatch(/Wrong user name or password/);
    await page.fill('#username', dashboardCredentials.user);
    await page.fill('#password', dashboardCredentials.password);
    await Promise.all([page.waitForURL(url('/')), page.click('button[type=submit]')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Runs');
    await screenshot(page, '02-runs');
  });

  it('opens the latest run and sees host5 failed', async () => {
    const latest = page.locator('table.runs tbody tr').first().locator('a').first();
    await expect(latest.getAttribute('title')).resolves.toBe(runId);
    await Promise.all([page.waitForURL(`**/runs/${runId}`), latest.click()]);
    const host5 = page.locator('table.hosts tbody tr', { hasText: 'host5' });
    await expect(host5.locator('.badge').textContent()).resolves.toBe('failed');
    await expect(page.locator('table.hosts tbody tr', { hasText: 'host1' }).locator('.badge').textContent()).resolves.toMatch(/changed|ok/);
    await screenshot(page, '03-run');
    await Promise.all([page.waitForURL(/status=failed/), page.click('.filters a.s-failed')]);
    await expect(page.locator('table.hosts tbody tr').allTextContents()).resolves.toEqual([expect.stringContaining('host5')]);
    await screenshot(page, '04-run-failed-hosts');
  });

  it('opens host5’s failed operation and reads its stderr', async () => {
    await Promise.all([page.waitForURL(`**/runs/${runId}/hosts/host5`), page.click('table.hosts a:text-is("host5")')]);
    await page.click('a.button:has-text("Go to the failed operation")');
    await page.waitForURL(/#op-\d+$/);
    const failed = page.locator(`${new URL(page.url()).hash}`);
    await expect(failed.locator('.badge').textContent()).resolves.toBe('failed');
    await expect(failed.locator('pre[data-stream="stderr"]').textContent()).resolves.toMatch(/\/nonexistent/);
    await screenshot(page, '05-host5-operations');
    await Promise.all([page.waitForURL('**/hosts/host5'), page.click('a:has-text("history of host5")')]);
    await expect(page.locator('table.history tbody tr').count()).resolves.toBeGreaterThanOrEqual(1);
    await screenshot(page, '06-host5-history');
  });

  it('pages through a run of 300 hosts and keeps long output inside its box', async () => {
    await page.goto(url(`/runs/${big.runId}`));
    await expect(page.locator('table.hosts tbody tr').count()).resolves.toBe(100);
    await screenshot(page, '07-run-300-hosts', { fullPage: false });
    await page.locator('.pager').scrollIntoViewIfNeeded();
    await screenshot(page, '07b-run-300-hosts-pager', { fullPage: false });
    await Promise.all([page.waitForURL(/page=/), page.click('a[rel=next]')]);
    await expect(page.locator('.toolbar .muted').textContent()).resolves.toMatch(/Page 2: 100 hosts/);
    await page.goto(url(`/runs/${big.runId}?status=unreachable`));
    await expect(page.locator('table.hosts tbody tr').count()).resolves.toBe(big.unreachable.length);

    const noisy = big.truncated[0]!;
    await page.goto(url(`/runs/${big.runId}/hosts/${noisy}`));
    const stderr = page.locator('#op-1 pre[data-stream="stderr"]');
    await expect(stderr.textContent()).resolves.toContain('<script>alert("stderr is untrusted")</script>');
    const box = await stderr.evaluate((el) => ({ scrolls: el.scrollHeight > el.clientHeight, wide: el.scrollWidth > el.clientWidth }));
    expect(box).toEqual({ scrolls: true, wide: false });
    const pageWidth = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(pageWidth).toBeLessThanOrEqual(0);
    await expect(page.locator('#op-1 .truncated').count()).resolves.toBe(1);
    await screenshot(page, '08-long-stderr');
  });

  it('follows a running run live and reloads when it ends', async () => {
    const runs = runStore(system.cassandra, system.keyspace);
    const results = resultStore(system.cassandra, system.keyspace);
    const live = newRunId();
    await runs.createRun({ runId: live, mode: 'check', target: 'hosts:host1,host2', hostCount: 2 });
    await page.goto(url(`/runs/${live}`));
    await expect(page.locator('.badge.r-running').count()).resolves.toBe(1);
    const now = Date.now();
    const finish = async (hostname: string) =>
      results.recordHostResult(
        { runId: live, hostname, status: 'ok', worker: 'w1', startedAt: now, endedAt: now + 50, cause: null, operations: [{ seq: 0, name: 'noop', module: 'command', status: 'ok', exitCode: 0, stdout: '', stdoutTruncated: false, stderr: '', stderrTruncated: false, changes: [], startedAt: now, durationMs: 50 }] },
        'check',
      );
    // One host done: the page updates in place (no reload), its row appears in the hosts table.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await finish('host1');
    await runs.recordRunProgress(live, { hostsDone: 1, counts: { ...emptyCounts(), ok: 1 }, finished: false });
    await page.locator('[data-live="hosts-done"]:text-is("1")').waitFor({ timeout: 15_000 });
    await page.locator('table.hosts tbody tr', { hasText: 'host1' }).waitFor({ timeout: 15_000 });
    await expect(page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).resolves.toBe(true);
    await expect(page.locator('[data-live="count-ok"]').textContent()).resolves.toBe('1');
    await screenshot(page, '09-run-live');
    // Both done: the page reloads itself and shows the finished run.
    await finish('host2');
    await runs.recordRunProgress(live, { hostsDone: 2, counts: { ...emptyCounts(), ok: 2 }, finished: true });
    await page.waitForSelector('.summary-line .badge.s-ok', { timeout: 15_000 });
    await expect(page.locator('table.hosts tbody tr').count()).resolves.toBe(2);
  });

  it('opens Bull Board and sees the hosts queue', async () => {
    await page.goto(url('/queues'));
    await page.getByText('hosts', { exact: true }).first().waitFor({ timeout: 20_000 });
    await screenshot(page, '10-queues');
    await page.getByText('hosts', { exact: true }).first().click();
    await page.waitForURL(/\/queues\/queue\/hosts/);
    await page.waitForTimeout(1_000);
    await screenshot(page, '11-queue-hosts');
  });

  it('logs out, after which the pages are refused', async () => {
    await page.goto(url('/'));
    await Promise.all([page.waitForURL(/\/login/), page.click('form.logout button')]);
    await page.goto(url(`/runs/${runId}`));
    expect(new URL(page.url()).pathname).toBe('/login');
    const api = await page.request.get(url(`/api/runs/${runId}`));
    expect(api.status()).toBe(401);
  });

  it('raised no script error, CSP violation or dialog on the dashboard’s pages', () => {
    expect(pageErrors).toEqual([]);
  });

  it('never made the browser contact another host (no CDN, no web fonts, Bull Board included)', () => {
    expect([...elsewhere]).toEqual([]);
  });
});
