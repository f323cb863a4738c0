import type { Browser, Page } from 'playwright-core';
import { Queue } from 'bullmq';
import { connectionConfigFromEnv } from '@simplecm/config';
import { resolveDashboardOptions, startDashboard, type Dashboard } from '@simplecm/dashboard';
import { HOSTS_QUEUE, redisConnection } from '@simplecm/queue';
import { dashboardCredentials, launchChromium, screenshot } from '../support/browser';
import { auditLogStore } from '@simplecm/store';
import { createTestSystem, type TestSystem } from '../support/system';

// Bull Board's own client under the CSRF rule: with --queue-actions, an operator pauses and
// resumes the hosts queue from Bull Board's page in Chromium (its axios sends the XSRF-TOKEN
// cookie back as X-XSRF-Token); the pause reaches Redis, and the audit log records it.
describe('Bull Board actions in a browser, with the CSRF token', () => {
  let system: TestSystem;
  let dashboard: Dashboard;
  let browser: Browser;
  let tab: Page;

  beforeAll(async () => {
    system = await createTestSystem('dashqueue');
    await system.seed(); // the schema (audit_log)
    const config = resolveDashboardOptions({ ...dashboardCredentials, port: 0, queueActions: true, basePath: '/cm' });
    dashboard = await startDashboard(config, connectionConfigFromEnv(system.env), { log: () => undefined });
    browser = await launchChromium();
    tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await system?.close();
  });

  it('pauses the hosts queue from Bull Board and records it in the audit log', async () => {
    const url = (p: string) => new URL(p, dashboard.url).toString();
    await tab.goto(url('/cm/'));
    await tab.fill('#username', dashboardCredentials.user);
    await tab.fill('#password', dashboardCredentials.password);
    await Promise.all([tab.waitForURL(url('/cm/')), tab.click('button[type=submit]')]);
    await tab.goto(url('/cm/queues/queue/hosts'));
    await tab.getByText('hosts', { exact: true }).first().waitFor({ timeout: 20_000 });
    await tab.getByText('No latest jobs in this queue.').waitFor({ timeout: 20_000 });
    const redis = redisConnection(connectionConfigFromEnv(system.env).redis);
    const queue = new Queue(HOSTS_QUEUE, { connection: redis, prefix: system.prefix });
    try {
      expect(await queue.isPaused()).toBe(false);
      // The queue's actions menu (⋮, the last button of the page) → Pause: Bull Board's client
      // sends PUT …/hosts/pause with X-XSRF-Token; without the token the dashboard answers 403.
      await tab.locator('button').last().click();
      await tab.getByText('Pause', { exact: true }).click();
      const confirm = tab.getByRole('button', { name: /^(Confirm|Pause|Yes)$/ });
      if (await confirm.count()) await confirm.first().click();
      for (let i = 0; i < 100 && !(await queue.isPaused()); i += 1) await new Promise((r) => setTimeout(r, 100));
      expect(await queue.isPaused()).toBe(true);
      await screenshot(tab, 'queue-ui-paused');
      const rows = await auditLogStore(system.cassandra, system.keyspace).list({ limit: 20 });
      expect(rows.map((r) => `${r.actor} ${r.action} ${r.subject} ${r.outcome}`)).toContain(`${dashboardCredentials.user} queue-action PUT /api/queues/hosts/pause ok`);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  }, 60_000);
});
