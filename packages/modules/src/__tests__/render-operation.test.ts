import Handlebars from 'handlebars';
import { shellQuote } from '@simplecm/kernel';
import { InvalidOperationError, loadModules, MODULE_PRELUDE, renderOperation, type ModuleRegistry } from '../index';
import { makeTempDir, removeDir, writeModule } from '../testing/fixtures';
import { runRenderedLocally } from '../testing/run-rendered-locally';

describe('renderOperation', () => {
  let dir: string;
  let registry: ModuleRegistry;
  beforeAll(() => {
    dir = makeTempDir();
    writeModule(
      dir,
      'kinds',
      {
        description: 'every kind of attribute',
        attributes: {
          s: { type: 'string', description: 's' },
          n: { type: 'int', description: 'n' },
          b: { type: 'bool', description: 'b' },
          e: { type: 'enum', values: ['x', 'y'], default: 'x', description: 'e' },
          l: { type: 'list', description: 'l' },
          r: { type: 'string', raw: true, description: 'r' },
        },
      },
      [
        's={{#if s}}set:{{s}}{{else}}absent{{/if}}',
        'n={{#if n}}set:{{n}}{{else}}absent{{/if}}',
        'b={{b}} {{#unless b}}not-b{{/unless}}',
        'e={{e}} {{#if (eq e "y")}}is-y{{else}}not-y{{/if}}',
        'l={{#each l}}[{{@index}}:{{this}}{{#if ../b}}+b{{/if}}]{{else}}empty{{/each}}',
        '{{#if r}}{{{r}}}{{/if}}',
        'q={{quote r}}',
        '',
      ].join('\n'),
    );
    registry = loadModules(dir);
  });
  afterAll(() => removeDir(dir));

  const render = (attributes: Record<string, string | number | boolean | string[]>): string =>
    renderOperation(registry, { seq: 1, name: 'kinds', module: 'kinds', attributes }, 'h1');

  it('fills absent optional attributes with null, so conditions work under strict mode', () => {
    expect(render({})).toBe(['s=absent', 'n=absent', 'b= not-b', "e='x' not-y", 'l=empty', '', 'q=', ''].join('\n'));
  });

  it('quotes text, renders ints and bools plain, and treats 0 as present but "" and [] as absent', () => {
    const out = render({ s: "it's", n: 0, b: true, e: 'y', l: ['a b', "c'd"] });
    expect(out).toContain("s=set:'it'\\''s'");
    expect(out).toContain('n=set:0');
    expect(out).toContain('b=true \n');
    expect(out).toContain("e='y' is-y");
    expect(out).toContain("l=[0:'a b'+b][1:'c'\\''d'+b]");
    expect(render({ s: '', l: [] })).toContain('s=absent\n');
    expect(render({ s: '', l: [] })).toContain('l=empty');
    expect(render({ n: -12 })).toContain('n=set:-12');
  });

  it('renders raw attributes verbatim and {{quote}} as one word', () => {
    const out = render({ r: 'echo "$HOME" | wc -c' });
    expect(out).toContain('\necho "$HOME" | wc -c\n');
    expect(out).toContain(`q=${shellQuote('echo "$HOME" | wc -c')}`);
  });

  it('validates again before rendering', () => {
    expect(() => render({ n: 'ten' })).toThrow(InvalidOperationError);
    expect(() => render({ n: 'ten' })).toThrow('host h1, operation #1 "kinds": attribute "n": must be an integer');
    expect(() => renderOperation(registry, { seq: 1, name: 'x', module: 'nope', attributes: {} })).toThrow(/unknown module "nope" \(known: kinds\)/);
  });

  it('leaves the shared Handlebars instance alone', () => {
    expect(Handlebars.helpers['eq']).toBeUndefined();
    expect(Handlebars.helpers['quote']).toBeUndefined();
    expect(Handlebars.compile('{{#if x}}yes{{else}}no{{/if}}')({ x: 0 })).toBe('no');
    expect(Handlebars.compile('{{x}}')({ x: "<'>" })).toBe('&lt;&#x27;&gt;');
  });
});

describe('MODULE_PRELUDE', () => {
  it('ends with a line break so a body can follow', () => {
    expect(MODULE_PRELUDE.endsWith('\n')).toBe(true);
  });

  it('makes simplecm_change record the change and say whether to make it', () => {
    const body = 'if simplecm_change "create /x"; then echo made; else echo reported; fi\nif simplecm_change "two\nlines"; then :; fi\n';
    const apply = runRenderedLocally(body, 'apply');
    expect(apply).toMatchObject({ exitCode: 0, stdout: 'made\n', changes: ['create /x', 'two\\nlines'] });
    const check = runRenderedLocally(body, 'check');
    expect(check).toMatchObject({ exitCode: 0, stdout: 'reported\n', changes: ['create /x', 'two\\nlines'] });
  });

  it('runs bodies under set -euo pipefail', () => {
    expect(runRenderedLocally('false\necho after\n', 'apply')).toMatchObject({ exitCode: 1, stdout: '' });
    expect(runRenderedLocally('echo "$undefined_variable"\n', 'apply').exitCode).not.toBe(0);
    expect(runRenderedLocally('false | true\necho after\n', 'apply')).toMatchObject({ exitCode: 1, stdout: '' });
  });

  it('fails with a message through simplecm_fail', () => {
    expect(runRenderedLocally('simplecm_fail "it broke"\n', 'apply')).toMatchObject({ exitCode: 1, stderr: 'it broke\n' });
  });

  it('refuses to run without the contract environment', () => {
    const run = runRenderedLocally('echo never\n', 'apply', undefined, { env: { SIMPLECM_CHECK: 'yes' } });
    expect(run).toMatchObject({ exitCode: 96, stdout: '' });
    expect(run.stderr).toMatch(/SIMPLECM_CHECK must be 0 or 1/);
  });
});
