import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUNDLED_MODULES_DIR, loadModules, ModuleLoadError, moduleNames, resolveModulesDir } from '../index';
import { makeTempDir, removeDir, writeModule } from '../testing/fixtures';

const SHIPPED = ['command', 'directory', 'file_contains', 'file_content', 'file_exists', 'line_absent', 'package', 'service', 'sleep'];

const okSpec = {
  description: 'test module',
  attributes: {
    path: { type: 'path', required: true, description: 'a path' },
    names: { type: 'list', description: 'some names' },
    code: { type: 'string', raw: true, description: 'shell code' },
  },
};

describe('loadModules', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  function loadError(): ModuleLoadError {
    try {
      loadModules(dir);
    } catch (err) {
      if (err instanceof ModuleLoadError) return err;
      throw err;
    }
    throw new Error('expected loadModules to fail');
  }

  it('loads every module shipped in modules/', () => {
    const registry = loadModules(BUNDLED_MODULES_DIR);
    expect(moduleNames(registry)).toEqual(SHIPPED);
    for (const mod of registry.modules.values()) expect(mod.description.length).toBeGreaterThan(10);
  });

  it('loads a valid module and ignores plain files such as a README', () => {
    writeModule(dir, 'ok', okSpec, 'ls -- {{path}} {{#each names}}{{this}} {{/each}}\n{{#if code}}{{{code}}}{{/if}}\n');
    fs.writeFileSync(path.join(dir, 'README.md'), '# modules\n');
    expect(moduleNames(loadModules(dir))).toEqual(['ok']);
  });

  it('rejects module.json that is not JSON, naming the file', () => {
    writeModule(dir, 'broken', '{ "description": ', 'true\n');
    const err = loadError();
    expect(err.code).toBe('invalid-module');
    expect(err.message).toContain(path.join(dir, 'broken', 'module.json'));
    expect(err.message).toMatch(/not valid JSON/);
  });

  it.each([
    ['an unknown attribute type', { description: 'x', attributes: { a: { type: 'float', description: 'a' } } }, 'attributes.a.type'],
    ['a missing description', { attributes: {} }, 'description'],
    ['an unknown field', { description: 'x', attributes: { a: { type: 'string', description: 'a', colour: 'red' } } }, 'attributes.a'],
    ['an enum without values', { description: 'x', attributes: { a: { type: 'enum', description: 'a' } } }, 'attributes.a.values'],
    ['raw on a non-string', { description: 'x', attributes: { a: { type: 'path', raw: true, description: 'a' } } }, 'attributes.a.raw'],
    ['a bad attribute name', { description: 'x', attributes: { 'Bad-Name': { type: 'string', description: 'a' } } }, 'attributes.Bad-Name'],
    ['a default breaking its own rules', { description: 'x', attributes: { p: { type: 'path', default: 'relative', description: 'p' } } }, 'attributes.p.default'],
    ['required with a default', { description: 'x', attributes: { p: { type: 'int', required: true, default: 1, description: 'p' } } }, 'attributes.p.default'],
    ['an invalid pattern', { description: 'x', attributes: { p: { type: 'string', pattern: '([', description: 'p' } } }, 'attributes.p.pattern'],
  ])('rejects module.json with %s, naming file and field', (_label, spec, field) => {
    writeModule(dir, 'bad', spec, 'true\n');
    const err = loadError();
    expect(err.code).toBe('invalid-module');
    expect(err.field).toBe(field);
    expect(err.message).toContain(`${path.join(dir, 'bad', 'module.json')}: ${field}: `);
  });

  it.each([
    ['an undeclared variable', 'echo {{nope}}\n', /"nope" is not a declared attribute \(declared: code, names, path\)/],
    ['an undeclared variable in a condition', '{{#if nope}}x{{/if}}\n', /"nope" is not a declared attribute/],
    ['an unknown helper', 'echo {{shout path}}\n', /unknown helper "shout"/],
    ['an unknown block helper', '{{#repeat path}}x{{/repeat}}\n', /unknown block helper "repeat"/],
    ['an unknown subexpression helper', '{{#if (ne path "x")}}x{{/if}}\n', /unknown helper "ne"/],
    ['triple-stash on a non-raw attribute', 'cat -- {{{path}}}\n', /\{\{\{path\}\}\} interpolates unquoted, which only attributes declared "raw": true may/],
    ['a raw attribute without triple-stash', 'echo {{code}}\n', /raw attribute "code" must be written \{\{\{code\}\}\}/],
    ['a list interpolated whole', 'echo {{names}}\n', /list attribute "names" expands with \{\{#each names\}\}/],
    ['each over a non-list', '{{#each path}}{{this}}{{/each}}\n', /\{\{#each\}\} iterates over list attributes only/],
    ['an attribute name inside each', '{{#each names}}{{path}}{{/each}}\n', /inside \{\{#each\}\} the context is the item/],
    ['@index outside each', 'echo {{@index}}\n', /@index is not available here/],
    ['a partial', '{{> other}}\n', /partials/],
    ['block parameters', '{{#each names as |n|}}{{n}}{{/each}}\n', /block parameters/],
    ['a dotted path', 'echo {{path.length}}\n', /attributes are plain values without fields/],
    ['this at the top level', 'echo {{this}}\n', /means all attributes at once/],
    ['a Handlebars syntax error', 'echo {{#if path}}\n', /Parse error|doesn't match|Expecting/],
  ])('rejects a template with %s', (_label, template, message) => {
    writeModule(dir, 'bad', okSpec, template);
    const err = loadError();
    expect(err.code).toBe('invalid-template');
    expect(err.file).toBe(path.join(dir, 'bad', 'script.sh.hbs'));
    expect(err.message).toMatch(message);
  });

  it('reports the line of a template problem', () => {
    writeModule(dir, 'bad', okSpec, 'true\ntrue\necho {{nope}}\n');
    expect(loadError().message).toMatch(/line 3, column 8: "nope"/);
  });

  it('accepts each/with/if/unless/eq used as intended, including ../ and @index', () => {
    const spec = {
      description: 'x',
      attributes: {
        names: { type: 'list', description: 'n' },
        state: { type: 'enum', values: ['a', 'b'], default: 'a', description: 's' },
        p: { type: 'path', description: 'p' },
        unless: { type: 'string', raw: true, description: 'shares a helper name' },
      },
    };
    const template = [
      '{{#each names}}{{@index}}={{this}} {{../state}}{{#if @first}} first{{/if}}{{else}}none{{/each}}',
      '{{#with p}}{{this}}{{/with}}',
      '{{#if (eq state "b")}}b{{else if p}}p{{else}}neither{{/if}}',
      '{{#unless p}}no p{{/unless}} {{quote this.unless}}',
      '{{#if this.unless}}{{{this.unless}}}{{/if}}',
      '',
    ].join('\n');
    writeModule(dir, 'ok', spec, template);
    expect(moduleNames(loadModules(dir))).toEqual(['ok']);
  });

  it('says how to reach an attribute that shares a helper name', () => {
    writeModule(dir, 'bad', { description: 'x', attributes: { unless: { type: 'string', raw: true, description: 'u' } } }, '{{#if unless}}{{{this.unless}}}{{/if}}\n');
    expect(loadError().message).toMatch(/for the attribute "unless" write this.unless/);
  });

  it('rejects a module directory without a template, naming the file', () => {
    fs.mkdirSync(path.join(dir, 'half'));
    fs.writeFileSync(path.join(dir, 'half', 'module.json'), JSON.stringify({ description: 'x', attributes: {} }));
    const err = loadError();
    expect(err.message).toContain(path.join(dir, 'half', 'script.sh.hbs'));
  });

  it('rejects a module directory whose name is not a module name', () => {
    writeModule(dir, 'Bad-Name', okSpec, 'true\n');
    expect(loadError().message).toMatch(/Bad-Name: module directory name must be a module name/);
  });

  it('fails clearly on a missing modules directory', () => {
    expect(() => loadModules(path.join(dir, 'nope'))).toThrow(/cannot read modules directory/);
  });
});

describe('resolveModulesDir', () => {
  it('prefers the configured directory, resolved to an absolute path', () => {
    expect(resolveModulesDir('/srv/mods')).toBe('/srv/mods');
    expect(resolveModulesDir('rel/mods')).toBe(path.resolve('rel/mods'));
  });

  it('falls back to the system directory when it exists, else to the bundled modules', () => {
    const dir = makeTempDir();
    try {
      expect(resolveModulesDir(undefined, dir)).toBe(dir);
      expect(resolveModulesDir(undefined, path.join(dir, 'missing'))).toBe(BUNDLED_MODULES_DIR);
      expect(fs.existsSync(path.join(BUNDLED_MODULES_DIR, 'file_exists', 'module.json'))).toBe(true);
    } finally {
      removeDir(dir);
    }
  });
});
