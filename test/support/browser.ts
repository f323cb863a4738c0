import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot, type Started, startProcess } from '@simplecm/stack';

/**
 * Debian's chromium package (`apt-get install -y chromium`); playwright-core drives it, no
 * browser download. SIMPLECM_CHROMIUM points elsewhere. A missing browser fails the test:
 * CI installs it, so skipping would hide a broken CI image.
 */
export const chromiumPath = process.env.SIMPLECM_CHROMIUM ?? '/usr/bin/chromium';

export const screenshotsDir = path.join(repoRoot, 'artifacts', 'screenshots');

/** Credentials the tests start the dashboard with. */
export const dashboardCredentials = { user: 'operator', password: 'test-only-password-4f9c2e' } as const;

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: install Debian's package (apt-get install -y chromium) or set SIMPLECM_CHROMIUM`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Saves a screenshot (the whole page unless `fullPage: false`) as artifacts/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string, { fullPage = true } = {}): Promise<string> {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const file = path.join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

export interface StartedDashboard {
  readonly url: string;
  readonly process: Started;
}

/**
 * `npm run dashboard` as a process on a free port, with the test credentials; resolves once it
 * prints `dashboard: http://…/`, fails with its output if it exits or stays silent.
 */
export async function startDashboardProcess(env: Record<string, string>, { timeoutMs = 30_000 } = {}): Promise<StartedDashboard> {
  const started = startProcess('dashboard', ['--port', '0'], {
    ...env,
    SIMPLECM_DASHBOARD_USER: dashboardCredentials.user,
    SIMPLECM_DASHBOARD_PASSWORD: dashboardCredentials.password,
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = /dashboard: (http:\/\/[^\s"]+)/.exec(started.output())?.[1];
    if (url) return { url, process: started };
    if (started.child.exitCode !== null || Date.now() > deadline) {
      started.child.kill('SIGKILL');
      throw new Error(`dashboard did not start:\n${started.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
