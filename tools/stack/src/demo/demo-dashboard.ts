import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { appLauncher } from '../app-processes';
import { repoRoot, stateDir } from '../paths';
import { isPortOpen } from '../ports';
import { isAlive, readPid, waitFor } from '../process-control';
import { stopOnDownPidFile } from '../stop-on-down';

/** Registered with the stack, so `npm run stack -- down` stops the dashboard too. */
const pidFile = stopOnDownPidFile('dashboard');
const logFile = path.join(stateDir, 'dashboard.log');
/** The demo's dashboard login: generated once, kept 0600 in the stack's state, never printed. */
export const credentialsFile = path.join(stateDir, 'dashboard-credentials');
export const demoDashboardPort = 3000;

function credentials(): Record<string, string> {
  if (!fs.existsSync(credentialsFile)) {
    const lines = [`SIMPLECM_DASHBOARD_USER=operator`, `SIMPLECM_DASHBOARD_PASSWORD=${randomBytes(18).toString('base64url')}`, `SIMPLECM_DASHBOARD_SESSION_SECRET=${randomBytes(32).toString('hex')}`];
    fs.writeFileSync(credentialsFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  return Object.fromEntries(
    fs
      .readFileSync(credentialsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/**
 * Starts the dashboard in the background for the demo (kept running after it, like the stack;
 * `npm run stack -- down` stops it). Returns its URL.
 */
export async function ensureDemoDashboard(env: Record<string, string>): Promise<string> {
  const url = `http://127.0.0.1:${demoDashboardPort}/`;
  if (isAlive(readPid(pidFile)) && (await isPortOpen('127.0.0.1', demoDashboardPort))) return url;
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [appLauncher, 'dashboard', '--port', String(demoDashboardPort)], {
    cwd: repoRoot,
    env: { ...process.env, ...env, ...credentials() },
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  fs.writeFileSync(pidFile, String(child.pid));
  await waitFor(`the dashboard on port ${demoDashboardPort} (log: ${logFile})`, () => {
    if (child.exitCode !== null) throw new Error(`the dashboard exited (${child.exitCode}): ${fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ')}`);
    return isPortOpen('127.0.0.1', demoDashboardPort);
  }, { timeoutMs: 30_000 });
  return url;
}
