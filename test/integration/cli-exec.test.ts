import { randomUUID } from 'node:crypto';
import { inventoryStore, resultStore, runStore } from '@simplecm/store';
import { masterRunJsonSchema, printedRunId, simplecm } from '../support/simplecm';
import { createTestSystem, onHost, type TestSystem } from '../support/system';

// `simplecm exec` (ad-hoc) on the shared stack with a worker and a results consumer of its own
// keyspace and queue prefix, the example fleet seeded (examples/demo-state). Non-destructive:
// files are written under /tmp on the hosts and removed afterwards.
describe('simplecm exec', () => {
  let system: TestSystem;
  const marker = `exec-${randomUUID().slice(0, 8)}`;
  const file = `/tmp/simplecm-${marker}`;
  const runCount = async () => (await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length;
  const desiredOperations = async () => {
    const inventory = inventoryStore(system.cassandra, system.keyspace);
    return Promise.all(['host1', 'host2', 'host3'].map((h) => inventory.getOperations(h)));
  };

  beforeAll(async () => {
    system = await createTestSystem('exec');
    await system.seed();
    system.startWorkers(1);
    system.startResults();
  });
  afterAll(async () => {
    await Promise.all([1, 2, 3].map((n) => onHost(n, `rm -f ${file}`).catch(() => undefined)));
    await system?.close();
  });

  it('runs one module on the hosts of the pattern, prints each host\'s output, records a run of mode adhoc; the desired state is untouched', async () => {
    const before = await desiredOperations();
    const { code, stdout, stderr } = await simplecm(['exec', '--limit', 'web:&odd', '-m', 'command', '-a', `echo ${marker}; echo to-stderr >&2`], system.env);
    expect({ code, stderr: stderr.includes('exec:') ? stderr : '' }).toEqual({ code: 0, stderr: '' });
    for (const host of ['host1', 'host3']) {
      expect(stdout).toContain(`${host} | #0 "exec command" (command) | changed | rc=0`);
    }
    expect(stdout).not.toContain('host2 |');
    expect(stdout.split(`    ${marker}\n`).length - 1).toBe(2);
    expect(stdout).toContain('  stderr:\n    to-stderr');

    const runId = printedRunId(stdout)!;
    const run = await runStore(system.cassandra, system.keyspace).getRun(runId);
    expect(run).toMatchObject({ mode: 'adhoc', target: 'limit:web:&odd', hostCount: 2, status: 'finished', stateRevision: null });
    const results = resultStore(system.cassandra, system.keyspace);
    const ops = await results.getOperationResults(runId, 'host3');
    expect(ops).toMatchObject([{ module: 'command', status: 'changed', stdout: `${marker}\n`, stderr: 'to-stderr\n' }]);
    // The history commands show it as any run.
    const runs = await simplecm(['runs'], system.env);
    expect(runs.stdout).toMatch(new RegExp(`${runId} .* adhoc +limit:web:&odd`));
    const output = await simplecm(['results', runId, '--host', 'host1', '--output'], system.env);
    expect(output.stdout).toContain(`    ${marker}`);
    expect(await desiredOperations()).toEqual(before);
  });

  it('changes the hosts as the module says: file_contains with k=v attributes, then a second exec finds nothing to do', async () => {
    const first = await simplecm(['exec', '--limit', 'host2', '-m', 'file_contains', '-a', `path=${file} text='hello ${marker}'`], system.env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`host2 | #0 "exec file_contains" (file_contains) | changed`);
    expect((await onHost(2, `cat ${file}`)).stdout).toBe(`hello ${marker}\n`);
    const again = await simplecm(['exec', '--limit', 'host2', '-m', 'file_contains', '-a', JSON.stringify({ path: file, text: `hello ${marker}` })], system.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`host2 | #0 "exec file_contains" (file_contains) | ok`);
  });

  it('a failing command is exit 1; --json prints one object of the documented shape', async () => {
    const { code, stdout } = await simplecm(['exec', '--limit', 'host1', '-m', 'command', '-a', `echo ${marker}; exit 7`, '--json'], system.env);
    expect(code).toBe(1);
    const parsed = masterRunJsonSchema.parse(JSON.parse(stdout));
    expect(parsed).toMatchObject({ mode: 'adhoc', hostCount: 1, waited: true, run: { status: 'finished', counts: { failed: 1 } }, hosts: [{ hostname: 'host1', status: 'failed' }] });
    expect(parsed.operations).toMatchObject([{ hostname: 'host1', operations: [{ exitCode: 7, stdout: `${marker}\n` }] }]);
  });

  it('a bad module, a bad or unknown attribute, or no matching host is exit 2 naming it, and records nothing', async () => {
    const before = await runCount();
    const cases: Array<[string[], RegExp]> = [
      [['-m', 'nosuch'], /-m \/ --module: unknown module "nosuch" \(known: .*command/],
      [['-m', 'file_contains', '-a', 'path=relative text=x'], /attribute "path": must be an absolute path/],
      [['-m', 'file_contains', '-a', 'path=/tmp/x text=x colour=red'], /attribute "colour": unknown attribute/],
      [['-m', 'file_contains', '-a', '{"path": '], /-a: not valid JSON/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await simplecm(['exec', '--limit', 'web', ...args], system.env);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toMatch(message);
    }
    const empty = await simplecm(['exec', '--limit', 'nosuch*', '-m', 'command', '-a', 'true'], system.env);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no hosts match/);
    expect(await runCount()).toBe(before);
  });
});
