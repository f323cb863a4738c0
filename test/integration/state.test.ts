import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { desiredStateStore, latestStateRevision } from '@simplecm/store';
import { appLauncher, repoRoot } from '@simplecm/stack';
import { createTestSystem, type TestSystem } from '../support/system';

// `state validate/diff/apply/export` as an operator runs them (the launcher, real processes)
// against the stack's Cassandra, on a keyspace of their own.
const demo = path.join(repoRoot, 'examples', 'demo-state');

describe('desired state as code (state validate/diff/apply/export)', () => {
  let system: TestSystem;
  let tmp: string;

  /** Runs `state <args>` with extra environment; resolves with the exit code and the output. */
  function stateWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [appLauncher, 'state', ...args], { cwd: repoRoot, env: { ...process.env, ...system.env, ...env } }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 99) : 0, stdout, stderr });
      });
    });
  }

  /** Runs `state <args>` as the user "tester". */
  const state = (...args: string[]) => stateWith({ SIMPLECM_USER: 'tester' }, ...args);

  /** A copy of the demo state directory, to change. */
  function demoCopy(name: string): string {
    const dir = path.join(tmp, name);
    fs.cpSync(demo, dir, { recursive: true });
    return dir;
  }

  const stored = () => desiredStateStore(system.cassandra, system.keyspace).readAll();
  const count = async (cql: string, params: unknown[] = []) => (await system.cassandra.execute(cql, params, { prepare: true })).rows.length;

  beforeAll(async () => {
    system = await createTestSystem('state');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-state-it-'));
  });
  afterAll(async () => {
    await system?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('validate and apply refuse a state directory with problems, and apply writes nothing', async () => {
    const bad = demoCopy('bad');
    fs.appendFileSync(path.join(bad, 'roles', 'web.yaml'), '\n- name: oops\n  module: no_such_module\n');
    fs.writeFileSync(path.join(bad, 'templates', 'web.conf'), 'listen {{ vars.http_port }};\n');
    const validate = await state('validate', bad);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toMatch(/^roles\/web\.yaml:\d+:\d+: unknown module "no_such_module"/m);
    expect(validate.stderr).toMatch(/^templates\/web\.conf:1:8: undefined variable "http_port" \(hosts host1, host2, host3 and 1 more\)$/m);
    const apply = await state('apply', bad);
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain('nothing written');
    // apply stops before it connects: not even the schema's new tables were touched.
    expect(await count(`SELECT hostname FROM ${system.keyspace}.hosts`)).toBe(0);
    expect(await count(`SELECT revision_id FROM ${system.keyspace}.state_revisions WHERE scope = 'fleet'`)).toBe(0);
  });

  it('apply writes the demo fleet and records a revision; diff then finds nothing', async () => {
    expect((await state('validate', demo)).code).toBe(0);
    const before = await state('diff', demo);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('+ host host1 (root@127.10.0.1:22, groups all,odd,web, 7 operation(s))');

    const apply = await state('apply', demo);
    expect(apply.code).toBe(0);
    const hosts = await stored();
    expect(hosts.map((h) => h.host.hostname).sort()).toEqual(['host1', 'host2', 'host3', 'host4', 'host5']);
    const host1 = hosts.find((h) => h.host.hostname === 'host1')!;
    expect(host1.operations.map((o) => o.name)).toEqual([
      'demo directory',
      'managed marker exists',
      'marker says who manages it',
      'hostname file exists',
      'web config',
      'web index page',
      'reload web service',
    ]);
    expect(host1.operations[2]!.attributes.text).toBe('managed by SimpleCM on host1');
    expect(host1.operations[6]).toMatchObject({ whenChanged: ['web config', 'web index page'], tags: ['web'] });
    expect(await count(`SELECT hostname FROM ${system.keyspace}.hosts_by_group WHERE group_name = 'web'`)).toBe(4);

    const revision = await latestStateRevision(system.cassandra, system.keyspace);
    expect(revision).toMatchObject({ appliedBy: 'tester', summary: 'hosts: 5 added, 0 removed, 0 changed, 0 unchanged' });
    expect(revision!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(revision!.gitCommit).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    expect(apply.stdout).toContain(`state revision ${revision!.revisionId}`);
    const listed = await state('revisions');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${revision!.revisionId} .* tester .* hosts: 5 added`, 'm'));

    const after = await state('diff', demo);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('no changes (5 host(s) unchanged)');
  });

  it('diff shows changes; apply keeps hosts absent from the directory unless --prune', async () => {
    const changed = demoCopy('changed');
    const inventory = path.join(changed, 'inventory.yaml');
    fs.writeFileSync(
      inventory,
      fs
        .readFileSync(inventory, 'utf8')
        .replace(/^  host5: .*\n/m, '')
        .replace('host4: { address: 127.10.0.4, groups: [even, web] }', 'host4: { address: 127.10.0.4, groups: [even] }'),
    );
    fs.writeFileSync(path.join(changed, 'templates', 'web.conf'), fs.readFileSync(path.join(changed, 'templates', 'web.conf'), 'utf8').replace('listen 80;', 'listen 8080;'));
    const webRole = path.join(changed, 'roles', 'web.yaml');
    fs.writeFileSync(webRole, fs.readFileSync(webRole, 'utf8').replace(/- name: reload web service[^]*$/, ''));

    const diff = await state('diff', changed);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^- host host5 /m);
    expect(diff.stdout).toContain('~ host host4\n    groups: ["all","even","web"] → ["all","even"]');
    expect(diff.stdout).toContain('    - operation #4 "web config" (file_content)');
    expect(diff.stdout).toContain('~ host host1\n    - operation #6 "reload web service" (command)\n    ~ operation #4 "web config" (file_content)\n');
    expect(diff.stdout).toContain('        -         listen 80;\n        +         listen 8080;\n');

    const keep = await state('apply', changed);
    expect(keep.code).toBe(0);
    expect(keep.stdout).toContain('kept 1 host(s) not in');
    expect((await stored()).map((h) => h.host.hostname).sort()).toEqual(['host1', 'host2', 'host3', 'host4', 'host5']);
    // host4 left web: its membership row is gone, and with it every role, so all its operation rows.
    expect(await count(`SELECT hostname FROM ${system.keyspace}.hosts_by_group WHERE group_name = 'web' AND hostname = 'host4'`)).toBe(0);
    expect(await count(`SELECT seq FROM ${system.keyspace}.operations WHERE hostname = 'host4'`)).toBe(0);
    // host1 lost its last operation: the row at seq 6 is deleted.
    expect(await count(`SELECT seq FROM ${system.keyspace}.operations WHERE hostname = 'host1'`)).toBe(6);
    const kept = await latestStateRevision(system.cassandra, system.keyspace);
    expect(kept!.summary).toMatch(/1 not in the directory kept \(no --prune\)$/);
    expect(kept!.gitCommit).toBeNull();

    const prune = await state('apply', changed, '--prune');
    expect(prune.code).toBe(0);
    expect((await stored()).map((h) => h.host.hostname).sort()).toEqual(['host1', 'host2', 'host3', 'host4']);
    expect(await count(`SELECT hostname FROM ${system.keyspace}.hosts_by_group WHERE group_name = 'db'`)).toBe(0);
    expect((await state('diff', changed)).code).toBe(0);
  });

  it('export gives a directory that applies to no change (apply → export → apply → diff exit 0)', async () => {
    expect((await state('apply', demo, '--prune')).code).toBe(0);
    const exported = path.join(tmp, 'exported');
    const exp = await state('export', exported);
    expect(exp.code).toBe(0);
    expect(fs.existsSync(path.join(exported, 'inventory.yaml'))).toBe(true);
    expect((await state('validate', exported)).code).toBe(0);
    const before = await stored();
    const apply = await state('apply', exported, '--prune');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('no changes (5 host(s) unchanged)');
    expect(await stored()).toEqual(before);
    expect((await state('diff', demo)).code).toBe(0);
    expect((await state('export', exported)).code).toBe(2); // not empty: refused
  });

  it('diff against a keyspace nobody applied to shows every host as added', async () => {
    const fresh = await stateWith({ SIMPLECM_KEYSPACE: `${system.keyspace}_none` }, 'diff', demo);
    expect(fresh.code).toBe(1);
    expect(fresh.stdout).toContain('hosts: 5 added, 0 removed, 0 changed, 0 unchanged');
  });

  it('an unreachable Cassandra is exit 3, in one line', async () => {
    const down = await stateWith({ SIMPLECM_CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' }, 'diff', demo);
    expect(down.code).toBe(3);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
  });
});
