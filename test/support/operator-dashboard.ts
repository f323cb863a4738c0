import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectionConfigFromEnv } from '@simplecm/config';
import { hashPassword, resolveDashboardOptions, startDashboard, type Dashboard, type DashboardOptions } from '@simplecm/dashboard';
import type { TestSystem } from './system';

export interface OperatorDashboard {
  readonly dashboard: Dashboard;
  /** Closes the dashboard and removes its users file. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The dashboard of a test system in-process, on a free port, with one operator from a users
 * file (scrypt hash) and `options` (e.g. `runControl: true`).
 */
export async function startOperatorDashboard(system: TestSystem, operator: { user: string; password: string }, options: DashboardOptions = {}): Promise<OperatorDashboard> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-users-'));
  const usersFile = path.join(dir, 'users.yaml');
  fs.writeFileSync(usersFile, `users:\n  - name: ${operator.user}\n    role: operator\n    passwordHash: "${await hashPassword(operator.password)}"\n`);
  const dashboard = await startDashboard(resolveDashboardOptions({ usersFile, port: 0, loginMaxFailures: 1_000, ...options }), connectionConfigFromEnv(system.env), { log: () => undefined });
  let closing: Promise<void> | undefined;
  return {
    dashboard,
    close() {
      closing ??= dashboard.close().finally(() => fs.rmSync(dir, { recursive: true, force: true }));
      return closing;
    },
  };
}
