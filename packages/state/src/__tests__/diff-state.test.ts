import type { Operation } from '@simplecm/domain';
import { desiredState, diffLines, diffStates, formatDiff, isEmptyDiff, summarizeDiff, type DesiredHost } from '..';

function host(hostname: string, operations: Array<Omit<Operation, 'seq'>>, extra: Partial<DesiredHost['host']> = {}): DesiredHost {
  return {
    host: { hostname, address: '10.0.0.1', port: 22, user: 'root', keyName: 'k', groups: ['all'], vars: {}, hostKeys: [], become: null, ...extra },
    operations: operations.map((op, seq) => ({ ...op, seq })),
  };
}
const op = (name: string, attributes: Record<string, string> = { path: `/${name}` }) => ({ name, module: 'file_exists', attributes, become: null });

describe('diffStates', () => {
  it('finds nothing between equal states, whatever the attribute key order', () => {
    const a = desiredState([host('h1', [op('a', { path: '/a', mode: '0644' })])]);
    const b = desiredState([host('h1', [op('a', { mode: '0644', path: '/a' })])]);
    const diff = diffStates(a, b);
    expect(isEmptyDiff(diff)).toBe(true);
    expect(summarizeDiff(diff)).toBe('no changes (1 host(s) unchanged)');
  });

  it('reports hosts added, removed and changed, and per host operations added, removed, reordered, changed', () => {
    const current = desiredState([host('gone', []), host('h1', [op('a'), op('b'), op('c'), op('old')], { port: 22, vars: { x: '1' } })]);
    const desired = desiredState([host('new', [op('a')]), host('h1', [op('b'), op('a'), op('c', { path: '/c2' }), op('fresh')], { port: 2222, vars: { y: '2' } })]);
    const diff = diffStates(current, desired);
    expect(diff.added.map((h) => h.host.hostname)).toEqual(['new']);
    expect(diff.removed.map((h) => h.host.hostname)).toEqual(['gone']);
    expect(diff.changed).toHaveLength(1);
    const [h1] = diff.changed;
    expect(h1!.fields).toEqual([
      { field: 'port', from: '22', to: '2222' },
      { field: 'vars.x', from: '1', to: undefined },
      { field: 'vars.y', from: undefined, to: '2' },
    ]);
    expect(h1!.operations.map((o) => `${o.kind} ${'operation' in o ? o.operation.name : 'name' in o ? o.name : o.after.name}`)).toEqual([
      'removed old',
      'added fresh',
      'moved b',
      'moved a',
      'changed c',
    ]);
    expect(summarizeDiff(diff)).toBe('hosts: 1 added, 1 removed, 1 changed (operations: 1 added, 1 removed, 2 reordered, 1 changed), 0 unchanged');
    const text = formatDiff(diff);
    expect(text).toContain('+ host new (root@10.0.0.1:22, groups all, 1 operation(s))');
    expect(text).toContain('- host gone');
    expect(text).toContain('    port: 22 → 2222');
    expect(text).toContain('    ~ operation #2 "c" (file_exists)');
    expect(text).toContain('        - path: "/c"\n        + path: "/c2"');
  });

  it('sees handlers and tags as operation changes', () => {
    const current = desiredState([host('h', [op('a'), { ...op('b'), whenChanged: ['a'] }])]);
    const desired = desiredState([host('h', [op('a'), { ...op('b'), tags: ['t'] }])]);
    const diff = diffStates(current, desired);
    expect(diff.changed[0]!.operations.map((o) => o.kind)).toEqual(['changed']);
    expect(formatDiff(diff)).toContain('- when_changed: a\n        + tags: t');
  });
});

describe('diffLines', () => {
  it('is a shortest edit script, removals before additions', () => {
    expect(diffLines(['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd', 'e'])).toEqual([
      { kind: ' ', text: 'a' },
      { kind: '-', text: 'b' },
      { kind: '+', text: 'x' },
      { kind: ' ', text: 'c' },
      { kind: ' ', text: 'd' },
      { kind: '+', text: 'e' },
    ]);
  });
});
