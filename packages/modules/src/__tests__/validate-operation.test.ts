import type { Operation } from '@simplecm/domain';
import { BUNDLED_MODULES_DIR, InvalidOperationError, loadModules, validateOperation, type ModuleRegistry } from '../index';
import { makeTempDir, removeDir, writeModule } from '../testing/fixtures';

function op(module: string, attributes: Operation['attributes'], seq = 2, name = 'motd'): Operation {
  return { seq, name, module, attributes };
}

function validationError(registry: ModuleRegistry, operation: Operation, hostname = 'host3'): InvalidOperationError {
  try {
    validateOperation(registry, hostname, operation);
  } catch (err) {
    if (err instanceof InvalidOperationError) return err;
    throw err;
  }
  throw new Error('expected validation to fail');
}

describe('validateOperation with the shipped modules', () => {
  const registry = loadModules(BUNDLED_MODULES_DIR);

  it('returns the attributes with defaults applied and absent optional ones left out', () => {
    expect(validateOperation(registry, 'h', op('directory', { path: '/srv/app' }))).toEqual({ path: '/srv/app', state: 'present' });
    expect(validateOperation(registry, 'h', op('sleep', { seconds: 0 }))).toEqual({ seconds: 0 });
  });

  it('names the unknown module and lists the known ones', () => {
    const err = validationError(registry, op('nope', {}));
    expect(err.code).toBe('unknown-module');
    expect(err.field).toBe('module');
    expect(err.message).toBe('host host3, operation #2 "motd": unknown module "nope" (known: command, directory, file_contains, file_content, file_exists, line_absent, package, service, sleep)');
  });

  it('rejects a relative path', () => {
    const err = validationError(registry, op('file_exists', { path: 'etc/motd' }));
    expect(err).toMatchObject({ code: 'invalid-attribute', hostname: 'host3', seq: 2, operationName: 'motd', field: 'path' });
    expect(err.message).toBe('host host3, operation #2 "motd": attribute "path": must be an absolute path');
  });

  it.each<[string, string, Operation['attributes'], string, RegExp]>([
    ['a string for an int', 'sleep', { seconds: 'ten' }, 'seconds', /must be an integer, got the string "ten"/],
    ['a fraction for an int', 'sleep', { seconds: 1.5 }, 'seconds', /must be an integer, got 1.5/],
    ['an int out of bounds', 'sleep', { seconds: -1 }, 'seconds', /must be at least 0, got -1/],
    ['a number for a path', 'file_exists', { path: 42 }, 'path', /must be an absolute path, got 42/],
    ['a list for a string', 'file_contains', { path: '/a', text: ['x'] }, 'text', /must be a string, got a list/],
    ['a string for a bool', 'service', { name: 'cron', enabled: 'yes' }, 'enabled', /must be true or false, got the string "yes"/],
    ['a value outside an enum', 'directory', { path: '/a', state: 'gone' }, 'state', /must be one of present, absent, got the string "gone"/],
    ['a missing required attribute', 'file_contains', { path: '/etc/motd' }, 'text', /^host host3, operation #2 "motd": attribute "text": is required$/],
    ['an unknown attribute', 'file_exists', { path: '/a', colour: 'red' }, 'colour', /attribute "colour": unknown attribute \(module "file_exists" takes: follow, mode, path\)/],
    ['a NUL in a string', 'file_content', { path: '/a', content: 'a\u0000b' }, 'content', /must not contain a NUL byte/],
    ['a newline in a path', 'file_exists', { path: '/a\nb' }, 'path', /must not contain a line break/],
    ['a NUL in a path', 'file_exists', { path: '/a\u0000' }, 'path', /must not contain a NUL byte/],
    ['a lone surrogate', 'file_content', { path: '/a', content: 'x\ud800y' }, 'content', /lone surrogate/],
    ['a pattern mismatch', 'file_exists', { path: '/a', mode: 'rwxr-xr-x' }, 'mode', /must be an octal mode such as 0644/],
    ['a line break in a single-line text', 'file_contains', { path: '/a', text: 'a\nb' }, 'text', /must be a single line/],
    ['a leading dash in a package name', 'package', { name: '-y' }, 'name', /must be a package name/],
  ])('rejects %s, naming host, operation and attribute', (_label, module, attributes, field, message) => {
    const err = validationError(registry, op(module, attributes));
    expect(err.code).toBe('invalid-attribute');
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`host host3, operation #2 "motd": attribute "${field}": `)).toBe(true);
    expect(err.message).toMatch(message);
  });
});

describe('validateOperation with list attributes', () => {
  let dir: string;
  let registry: ModuleRegistry;
  beforeAll(() => {
    dir = makeTempDir();
    writeModule(
      dir,
      'lists',
      { description: 'x', attributes: { items: { type: 'list', required: true, description: 'i', pattern: '^[a-z]+$' } } },
      '{{#each items}}{{this}} {{/each}}\n',
    );
    registry = loadModules(dir);
  });
  afterAll(() => removeDir(dir));

  it('accepts a list of matching strings', () => {
    expect(validateOperation(registry, 'h', op('lists', { items: ['a', 'b'] }))).toEqual({ items: ['a', 'b'] });
  });

  it('names the bad item', () => {
    expect(validationError(registry, op('lists', { items: ['a', 'B'] })).message).toMatch(/attribute "items": item 1: must match/);
    expect(validationError(registry, op('lists', { items: ['a', 3] })).message).toMatch(/attribute "items": item 1: must be a string, got 3/);
  });
});
