import { launchChromium, screenshot } from './test/support/browser';
(async () => {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const base = 'http://127.0.0.1:3999';
  await page.goto(base + '/');
  await screenshot(page, 'dev-login');
  await page.fill('#username', 'admin'); await page.fill('#password', 'correct-horse-battery');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await screenshot(page, 'dev-runs');
  for (const [name, url] of process.argv.slice(2).map((a) => a.split('=') as [string, string])) {
    await page.goto(base + url); await page.waitForTimeout(1500); await screenshot(page, name);
  }
  await browser.close();
})();
