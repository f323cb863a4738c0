import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { Operation } from '@simplecm/domain';
import type { RunProgressJson } from '@simplecm/dashboard';
import { stopStarted } from '@simplecm/stack';
import { auditLogStore, runStore } from '@simplecm/store';
import { launchChromium, screenshot } from '../support/browser';
import { sleepOp } from '../support/faults';
import { startMaster } from '../support/master';
import { startOperatorDashboard, type OperatorDashboard } from '../support/operator-dashboard';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';

const HOSTS = [1, 2, 3, 4, 5];

// An operator's day in headless Chromium on the real stack, through a real resident master,
// worker and results consumer (own keyspace and queue prefix): a run is launched from the form
// and watched live (host5's failure and host1's first operation, with their output, appear on
// the run page and on host1's page while host1 still sleeps), its failed hosts relaunched from
// the page, a long run of sleeps cancelled from the page, and the audit log read. Screenshots in
// artifacts/screenshots/live-*.png.
describe('dashboard: live output, relaunch and cancel in a browser', () => {
  let system: TestSystem;
  let served: OperatorDashboard;
  let browser: Browser;
  let tab: Page;
  const errors: string[] = [];
  const operator = { user: 'olive', password: 'olive-operator-password-5' };
  const file = `/tmp/simplecm-dashlive-${randomUUID().slice(0, 8)}`;
  const hello = (n: number): Operation => ({ seq: 0, name: 'say hello', module: 'command', attributes: { command: `echo "hello from host${n}" && echo ran >> ${file}` } });
  const boom: Operation = { seq: 1, name: 'fail on purpose', module: 'command', attributes: { command: 'echo "boom on host5" >&2; exit 3' } };

  beforeAll(async () => {
    system = await createTestSystem('dashlive');
    // host5 fails at once; the others say hello, then sleep long enough to be watched.
    await putDesiredState(system, HOSTS.map((n) => ({ host: stackHost(n), operations: n === 5 ? [hello(n), boom] : [hello(n), sleepOp(1, 20)] })));
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`)));
    system.startResults();
    await startMaster(system, 'm-live');
    served = await startOperatorDashboard(system, operator, { runControl: true });
    browser = await launchChromium();
    tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(url('/'));
    await tab.fill('#username', operator.user);
    await tab.fill('#password', operator.password);
    await Promise.all([tab.waitForURL(url('/')), tab.click('button[type=submit]')]);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`).catch(() => undefined)));
    await system?.close();
  });

  const url = (p: string) => new URL(p, served.dashboard.url).toString();
  const runIdOf = () => /runs\/([0-9a-f-]{36})$/.exec(tab.url())?.[1] ?? '';
  const progress = async (runId: string): Promise<RunProgressJson> => (await tab.request.get(url(`/api/runs/${runId}`))).json() as Promise<RunProgressJson>;
  async function launchFromForm(target: string): Promise<string> {
    await Promise.all([tab.waitForURL(url('/launch')), tab.click('a[href="/launch"]')]);
    await tab.fill('#target', target);
    await Promise.all([tab.waitForURL(/\/runs\/[0-9a-f-]{36}$/, { timeout: 60_000 }), tab.click('button[data-action=launch]')]);
    return runIdOf();
  }
  let firstRun = '';
  let workers: ReturnType<TestSystem['startWorkers']> = [];

  it('host5\'s failure and host1\'s first operation appear, with their output, while the run is still running', async () => {
    // Five hosts at once: host5 fails while the other four sleep.
    workers = system.startWorkers(1, ['--concurrency', '5']);
    firstRun = await launchFromForm('all');
    const failure = tab.locator('[data-live-op="host5#1"][data-status="failed"]');
    await failure.waitFor({ timeout: 60_000 });
    await tab.locator('[data-live-op="host1#0"]').waitFor({ timeout: 60_000 });
    expect(await tab.locator('[data-live-op="host1#0"]').getAttribute('data-status')).toMatch(/^(ok|changed)$/);
    // Seen before the run finished: the run (and host1, sleeping 20 s) is still going.
    expect((await progress(firstRun)).status).toBe('running');
    expect(await tab.locator('[data-run-live]').count()).toBe(1);
    await expect(failure.locator('pre[data-stream="stderr"]').textContent()).resolves.toContain('boom on host5');
    await tab.locator('[data-live-op="host1#0"] summary').click();
    await expect(tab.locator('[data-live-op="host1#0"] pre[data-stream="stdout"]').textContent()).resolves.toContain('hello from host1');
    // The hosts table redraws as hosts finish, and the "Page 1: N hosts" line above it with it.
    await tab.locator('[data-live-hosts] table.hosts tbody', { hasText: 'host5' }).waitFor({ timeout: 60_000 });
    await tab.locator('[data-live-hosts-count]', { hasText: /: 1 host\b/ }).waitFor({ timeout: 15_000 });
    await screenshot(tab, 'live-01-run-live');

    // host1's own page: still running, its first operation's output shown live.
    await tab.goto(url(`/runs/${firstRun}/hosts/host1`));
    await tab.locator('[data-host-running]').waitFor();
    const op = tab.locator('[data-live-op="host1#0"]');
    await op.waitFor({ timeout: 30_000 });
    await op.locator('summary').click();
    await expect(op.locator('pre[data-stream="stdout"]').textContent()).resolves.toContain('hello from host1');
    expect((await progress(firstRun)).status).toBe('running');
    await screenshot(tab, 'live-02-host-live');
    // Once host1's result is recorded the page reloads into its recorded operations.
    await tab.locator('[data-host-running]').waitFor({ state: 'detached', timeout: 90_000 });
    await expect(tab.locator('table.op-index tbody tr').count()).resolves.toBe(2);
  }, 180_000);

  it('relaunches the failed hosts from the run page: a new run of host5 only', async () => {
    await tab.goto(url(`/runs/${firstRun}`));
    // live.js reloads the run page once the run has ended; then the relaunch button shows.
    await tab.locator('[data-run-live]').waitFor({ state: 'detached', timeout: 90_000 });
    const run = await progress(firstRun);
    expect(run).toMatchObject({ status: 'finished', hostsDone: 5 });
    expect(run.counts.failed).toBe(1);
    await Promise.all([tab.waitForURL((u) => /\/runs\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(firstRun), { timeout: 60_000 }), tab.click('button[data-action=relaunch]')]);
    const again = runIdOf();
    await expect(tab.locator('[data-launched-by]').textContent()).resolves.toMatch(/olive.*relaunch of/s);
    await tab.locator('[data-run-live]').waitFor({ state: 'detached', timeout: 90_000 });
    expect(await progress(again)).toMatchObject({ hostCount: 1, hostsDone: 1 });
    await expect(tab.locator('table.hosts tbody tr').count()).resolves.toBe(1);
    await expect(tab.locator('table.hosts tbody').textContent()).resolves.toContain('host5');
  }, 180_000);

  it('cancels a long run of sleeps from the page: cancelled, hosts done + cancelled = 5', async () => {
    // One host at a time now, so the cancel finds host jobs still waiting.
    await Promise.all(workers.map((w) => stopStarted(w)));
    system.startWorkers(1, ['--concurrency', '1']);
    await putDesiredState(system, HOSTS.map((n) => ({ host: stackHost(n), operations: [hello(n), sleepOp(1, 15)] })));
    const runId = await launchFromForm('all');
    await tab.locator('[data-live-op$="#0"]').first().waitFor({ timeout: 60_000 });
    await Promise.all([tab.waitForURL(url(`/runs/${runId}`), { timeout: 90_000 }), tab.click('button[data-action=cancel]')]);
    await tab.waitForLoadState();
    await expect(tab.locator('.summary-line .badge').first().textContent()).resolves.toBe('cancelled');
    const run = await runStore(system.cassandra, system.keyspace).getRun(runId);
    expect(run?.status).toBe('cancelled');
    expect((run?.hostsDone ?? 0) + (run?.hostsCancelled ?? 0)).toBe(5);
    expect(run?.hostsCancelled).toBeGreaterThanOrEqual(1);
    // The page says the same: done / hosts, and how many the cancel took out.
    await expect(tab.locator('[data-live="hosts-done"]').textContent()).resolves.toBe(String(run?.hostsDone));
    await expect(tab.locator('[data-hosts-cancelled]').textContent()).resolves.toBe(`${run?.hostsCancelled} cancelled`);
    await screenshot(tab, 'live-03-cancelled');
  }, 180_000);

  it('the audit log lists each action: two launches, the relaunch and the cancel', async () => {
    await Promise.all([tab.waitForURL(url('/audit')), tab.click('a[href="/audit"]')]);
    await expect(tab.locator('tr[data-audit-action="launch"]').count()).resolves.toBe(2);
    await expect(tab.locator('tr[data-audit-action="relaunch"]').count()).resolves.toBe(1);
    await expect(tab.locator('tr[data-audit-action="cancel"]').count()).resolves.toBe(1);
    await screenshot(tab, 'live-04-audit');
    const rows = await auditLogStore(system.cassandra, system.keyspace).list({ limit: 50 });
    expect(rows.filter((r) => r.actor === operator.user && r.outcome === 'ok').map((r) => r.action).sort()).toEqual(['cancel', 'launch', 'launch', 'login', 'relaunch']);
    expect(errors).toEqual([]);
  }, 60_000);
});
