import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { inventoryStore } from '@simplecm/store';
import { masterRunJsonSchema, printedRunId, simplecm } from '../support/simplecm';
import { createTestSystem, onHost, type TestSystem } from '../support/system';

// What `simplecm` prints for people and programs, on the shared stack with a worker and a results
// consumer of its own: check-mode diffs computed on the real hosts, --json, colour. Non-destructive:
// the files it diffs are made under /tmp on host4 and removed afterwards.
describe('simplecm output', () => {
  let system: TestSystem;
  const base = `/tmp/simplecm-diff-${randomUUID().slice(0, 8)}`;
  const files = `${base}-content ${base}-contains ${base}-absent`;
  const hostState = async () => (await onHost(4, `for f in ${files}; do stat -c '%n %s %Y %a' "$f"; cat "$f"; done`)).stdout;

  beforeAll(async () => {
    system = await createTestSystem('output');
    await system.seed();
    await onHost(4, `printf 'one\\ntwo\\nthree\\n' > ${base}-content; printf 'a=1' > ${base}-contains; printf 'keep\\ndrop\\nkeep too\\n' > ${base}-absent`);
    await inventoryStore(system.cassandra, system.keyspace).putOperations('host4', [
      { seq: 0, name: 'content', module: 'file_content', attributes: { path: `${base}-content`, content: 'one\n2\nthree\n' } },
      { seq: 1, name: 'contains', module: 'file_contains', attributes: { path: `${base}-contains`, text: 'b=2' } },
      { seq: 2, name: 'absent', module: 'line_absent', attributes: { path: `${base}-absent`, line: 'drop' } },
    ]);
    system.startWorkers(1);
    system.startResults();
  });
  afterAll(async () => {
    await onHost(4, `rm -f ${files}`).catch(() => undefined);
    await system?.close();
  });

  const expectedDiffs = [
    `host4 | #0 "content" (file_content) | changed | rc=0\n  ~ update content of ${base}-content (12 bytes)\n--- before: ${base}-content\n+++ after: ${base}-content\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three`,
    `host4 | #1 "contains" (file_contains) | changed | rc=0\n  ~ append line to ${base}-contains: b=2\n--- before: ${base}-contains\n+++ after: ${base}-contains\n@@ -1 +1,2 @@\n-a=1\n\\ No newline at end of file\n+a=1\n+b=2`,
    `host4 | #2 "absent" (line_absent) | changed | rc=0\n  ~ remove 1 line(s) from ${base}-absent: drop\n--- before: ${base}-absent\n+++ after: ${base}-absent\n@@ -1,3 +1,2 @@\n keep\n-drop\n keep too`,
  ];
  let checkRunId: string;

  it('run --check --diff shows per host and operation the diff computed on the host, and changes nothing there', async () => {
    const before = await hostState();
    const { code, stdout } = await simplecm(['run', '--limit', 'host4', '--check', '--diff'], system.env);
    expect(code).toBe(0);
    for (const diff of expectedDiffs) expect(stdout).toContain(diff);
    expect(stdout).toMatch(/\(check, limit:host4\).*operations ok=0 changed=3/);
    expect(await hostState()).toBe(before);
    checkRunId = printedRunId(stdout)!;
  });

  it('results --diff shows the diffs of a recorded run, for the run and for one host', async () => {
    const { code, stdout } = await simplecm(['results', checkRunId, '--diff'], system.env);
    expect(code).toBe(0);
    for (const diff of expectedDiffs) expect(stdout).toContain(diff);
    const host = await simplecm(['results', checkRunId, '--host', 'host4', '--diff'], system.env);
    for (const diff of expectedDiffs) expect(host.stdout).toContain(diff);
  });

  it('run --json prints one object of the documented shape, and nothing else on stdout; with --diff the operations', async () => {
    const plain = await simplecm(['run', '--limit', 'host4', '--check', '--json'], system.env);
    expect(plain.code).toBe(0);
    expect(masterRunJsonSchema.parse(JSON.parse(plain.stdout))).toMatchObject({ mode: 'check', hostCount: 1, waited: false, run: null, hosts: [], operations: [] });
    expect(plain.stderr).toMatch(/host job\(s\) enqueued/);
    const waited = await simplecm(['run', '--limit', 'host4', '--check', '--diff', '--json'], system.env);
    expect(waited.code).toBe(0);
    const parsed = masterRunJsonSchema.parse(JSON.parse(waited.stdout));
    expect(parsed).toMatchObject({ mode: 'check', waited: true, run: { status: 'finished', counts: { changed: 3 } }, hosts: [{ hostname: 'host4', status: 'changed' }], moreHosts: false });
    expect(parsed.operations[0]!.operations.map((o) => o.stdout.split('\n')[0])).toEqual([`--- before: ${base}-content`, `--- before: ${base}-contains`, `--- before: ${base}-absent`]);
  });

  it('colours on a terminal, not with NO_COLOR, not when piped', () => {
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    const { NO_COLOR: _unset, ...parentEnv } = process.env;
    const onTerminal = (extra: Record<string, string>) =>
      spawnSync('script', ['-qec', `node bin/simplecm.cjs results ${checkRunId} --diff`, '/dev/null'], {
        cwd: path.resolve(__dirname, '..', '..'),
        env: { ...parentEnv, ...system.env, ...extra },
        encoding: 'utf8',
      }).stdout;
    const coloured = onTerminal({});
    expect(coloured).toContain('\x1b[33mchanged\x1b[0m');
    expect(coloured).toContain('\x1b[31m-two\x1b[0m');
    expect(coloured).toContain('\x1b[32m+2\x1b[0m');
    expect(onTerminal({ NO_COLOR: '1' })).not.toContain('\x1b[3');
  });

  it('piped output has no escape sequences', async () => {
    const { stdout } = await simplecm(['results', checkRunId, '--diff'], { NO_COLOR: '', ...system.env });
    expect(stdout).toContain('-two');
    expect(stdout).not.toContain('\x1b[');
  });
});
