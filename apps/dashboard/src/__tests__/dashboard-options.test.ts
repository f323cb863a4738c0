import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@simplecm/config';
import { compileDashboardOptions } from '../dashboard-options';

const good = { SIMPLECM_DASHBOARD_USER: 'ops', SIMPLECM_DASHBOARD_PASSWORD: 'a-long-enough-password' };

describe('compileDashboardOptions', () => {
  it('refuses to start without a password, naming the variable', () => {
    expect(() => compileDashboardOptions([], { SIMPLECM_DASHBOARD_USER: 'ops' })).toThrow(ConfigError);
    expect(() => compileDashboardOptions([], { SIMPLECM_DASHBOARD_USER: 'ops' })).toThrow(/SIMPLECM_DASHBOARD_PASSWORD: required/);
  });

  it('refuses a missing user', () => {
    expect(() => compileDashboardOptions([], { SIMPLECM_DASHBOARD_PASSWORD: good.SIMPLECM_DASHBOARD_PASSWORD })).toThrow(/SIMPLECM_DASHBOARD_USER: required/);
  });

  it('takes an empty password for a missing one', () => {
    expect(() => compileDashboardOptions([], { ...good, SIMPLECM_DASHBOARD_PASSWORD: '' })).toThrow(/SIMPLECM_DASHBOARD_PASSWORD: required/);
  });

  it.each(['short-pass1', 'aaaaaaaaaaaaaaaa', '            '])('refuses the weak password %j', (password) => {
    expect(() => compileDashboardOptions([], { ...good, SIMPLECM_DASHBOARD_PASSWORD: password })).toThrow(/SIMPLECM_DASHBOARD_PASSWORD: too weak/);
  });

  it('binds to 127.0.0.1:3000 by default, read-only queues, random session secret', () => {
    const a = compileDashboardOptions([], good);
    const b = compileDashboardOptions([], good);
    expect(a.users).toEqual([{ name: 'ops', role: 'operator', credential: { kind: 'password', password: good.SIMPLECM_DASHBOARD_PASSWORD } }]);
    expect(a).toMatchObject({ basePath: '', host: '127.0.0.1', port: 3000, queueActions: false, secureCookie: false, sessionTtlMs: 12 * 3_600_000 });
    expect(a.sessionSecret).not.toBe(b.sessionSecret);
  });

  it('takes the environment, and flags over the environment', () => {
    const env = { ...good, SIMPLECM_DASHBOARD_HOST: '0.0.0.0', SIMPLECM_DASHBOARD_PORT: '8080', SIMPLECM_DASHBOARD_QUEUE_ACTIONS: '1' };
    expect(compileDashboardOptions([], env)).toMatchObject({ host: '0.0.0.0', port: 8080, queueActions: true });
    expect(compileDashboardOptions(['--port', '9000', '--host', '::1'], env)).toMatchObject({ host: '::1', port: 9000 });
  });

  it('rejects a bad port with the flag or variable name', () => {
    expect(() => compileDashboardOptions(['--port', 'http'], good)).toThrow(/--port/);
    expect(() => compileDashboardOptions([], { ...good, SIMPLECM_DASHBOARD_PORT: '70000' })).toThrow(/SIMPLECM_DASHBOARD_PORT/);
  });

  it('reads users from a users file (and refuses it together with the single login), and a base path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-users-'));
    const file = path.join(dir, 'users.yaml');
    const hash = `scrypt$16384$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`;
    fs.writeFileSync(file, `users:\n  - name: vera\n    role: viewer\n    passwordHash: "${hash}"\n  - name: otto\n    role: operator\n    passwordHash: "${hash}"\n`);
    const config = compileDashboardOptions(['--users-file', file, '--base-path', '/simplecm/'], {});
    expect(config.users.map((u) => [u.name, u.role])).toEqual([['vera', 'viewer'], ['otto', 'operator']]);
    expect(config.basePath).toBe('/simplecm');
    expect(() => compileDashboardOptions(['--users-file', file], good)).toThrow(/one or the other/);
    expect(() => compileDashboardOptions(['--users-file', path.join(dir, 'missing.yaml')], {})).toThrow(ConfigError);
    expect(() => compileDashboardOptions(['--base-path', 'no-slash'], good)).toThrow(/--base-path/);
    expect(() => compileDashboardOptions([], {})).toThrow(/users file/);
  });

  it('rejects a short session secret', () => {
    expect(() => compileDashboardOptions([], { ...good, SIMPLECM_DASHBOARD_SESSION_SECRET: 'short' })).toThrow(/SIMPLECM_DASHBOARD_SESSION_SECRET/);
  });
});
