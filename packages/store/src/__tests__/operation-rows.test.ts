import { types } from 'cassandra-driver';
import { operationRowParser, toOperationParams } from '../rows';

/** A row as the driver hands it: columns by name, absent ones null. */
const row = (columns: Record<string, unknown>): types.Row => ({ get: (name: string) => columns[name] ?? null }) as unknown as types.Row;
const base = { seq: 2, name: 'reload', module: 'command', attributes: '{"command":"true"}', become: null };

describe('operation rows', () => {
  it('reads tags and when_changed, an empty (null) collection as absent', () => {
    const parse = operationRowParser();
    expect(parse('h1', row({ ...base, tags: ['a', 'web'], when_changed: ['write config'] }))).toEqual({
      seq: 2,
      name: 'reload',
      module: 'command',
      attributes: { command: 'true' },
      become: null,
      tags: ['a', 'web'],
      whenChanged: ['write config'],
    });
    const plain = parse('h1', row(base));
    expect(plain.tags).toBeUndefined();
    expect(plain.whenChanged).toBeUndefined();
  });

  it('hands back the same remembered operation only when tags and triggers are the same too', () => {
    const parse = operationRowParser();
    const first = parse('h1', row({ ...base, tags: ['web'], when_changed: ['a'] }));
    expect(parse('h2', row({ ...base, tags: ['web'], when_changed: ['a'] }))).toBe(first);
    expect(parse('h3', row({ ...base, tags: ['db'], when_changed: ['a'] })).tags).toEqual(['db']);
    expect(parse('h4', row({ ...base, tags: ['web'], when_changed: ['a', 'b'] })).whenChanged).toEqual(['a', 'b']);
    expect(parse('h5', row({ ...base, tags: ['web'] })).whenChanged).toBeUndefined();
    expect(Object.isFrozen(first.tags)).toBe(true);
  });

  it('refuses a tag that is not a name', () => {
    expect(() => operationRowParser()('h1', row({ ...base, tags: ['no spaces'] }))).toThrow(/host h1, operation #2 "reload": field "tags.0"/);
  });

  it('writes absent tags and triggers as unset, never null (no tombstones)', () => {
    const op = { seq: 1, name: 'x', module: 'command', attributes: { command: 'true' } };
    expect(toOperationParams(op)).toEqual([1, 'x', 'command', '{"command":"true"}', null, types.unset, types.unset]);
    expect(toOperationParams({ ...op, tags: ['web'], whenChanged: ['y'] }).slice(5)).toEqual([['web'], ['y']]);
    expect(toOperationParams({ ...op, tags: [] }).slice(5)).toEqual([types.unset, types.unset]);
  });
});
