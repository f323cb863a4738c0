import type { Operation } from '@simplecm/domain';
import { attributeSpecSchema } from '../module-spec';
import type { ModuleRegistry } from '../module-registry';
import { redactSensitive, sensitivePlaces, sensitiveValuesOf } from '../sensitive-values';

const spec = (extra: object) => attributeSpecSchema.parse({ type: 'string', description: 'x', ...extra });
const registry = {
  dir: '/nowhere',
  modules: new Map([['db_user', { attributes: { name: spec({}), password: spec({ sensitive: true }), keys: spec({ type: 'list', sensitive: true }) } }]]),
} as unknown as ModuleRegistry;

describe('sensitive attributes', () => {
  it('gives the place of every sensitive value of a list of operations (what a master seals), list items one by one, none empty', () => {
    const operations: Array<Pick<Operation, 'module' | 'attributes'>> = [
      { module: 'file_content', attributes: { password: 'not sensitive here' } },
      { module: 'db_user', attributes: { name: 'alice', password: 's3cret', keys: ['k1', '', 'k3'] } },
      { module: 'db_user', attributes: { name: 'bob', password: '' } },
    ];
    expect(sensitivePlaces(registry, operations)).toEqual([
      { op: 1, attribute: 'password', value: 's3cret' },
      { op: 1, attribute: 'keys', item: 0, value: 'k1' },
      { op: 1, attribute: 'keys', item: 2, value: 'k3' },
    ]);
  });

  it('gives the values of sensitive attributes only, list items one by one, longest first, none empty', () => {
    expect(sensitiveValuesOf(registry, { module: 'db_user', attributes: { name: 'alice', password: 's3cret', keys: ['k1', 'a-longer-key', ''] } })).toEqual(['a-longer-key', 's3cret', 'k1']);
    expect(sensitiveValuesOf(registry, { module: 'unknown', attributes: { password: 'x' } })).toEqual([]);
  });

  it('redacts every occurrence', () => {
    expect(redactSensitive('s3cret and s3cret again', ['s3cret'])).toBe('*** and *** again');
  });

  it('can be declared only on text attributes', () => {
    expect(() => spec({ type: 'int', sensitive: true })).toThrow(/only string, path and list attributes can be sensitive/);
  });
});
