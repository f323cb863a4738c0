import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { loadModules, renderOperation, type ModuleRegistry } from '../index';
import { makeTempDir, removeDir, writeModule } from '../testing/fixtures';
import { runRenderedLocally } from '../testing/run-rendered-locally';

/**
 * The security core: whatever an attribute holds (NUL aside, which validation refuses), `{{x}}`
 * reaches bash as exactly one word with exactly those bytes, and nothing in it runs.
 */
describe('shell-safe rendering', () => {
  let modulesDir: string;
  let work: string;
  let registry: ModuleRegistry;

  beforeAll(() => {
    modulesDir = makeTempDir();
    writeModule(
      modulesDir,
      'echo_value',
      { description: 'writes its value to ./out', attributes: { value: { type: 'string', required: true, description: 'v' } } },
      "printf '%s' {{value}} > out\n",
    );
    writeModule(
      modulesDir,
      'echo_items',
      { description: 'writes its items to ./out, NUL-separated', attributes: { items: { type: 'list', required: true, description: 'i' } } },
      "for item in {{#each items}}{{this}} {{/each}}; do printf '%s\\0' \"$item\"; done > out\n",
    );
    registry = loadModules(modulesDir);
    work = makeTempDir();
  });
  afterAll(() => {
    removeDir(modulesDir);
    removeDir(work);
  });

  const marker = (): string => path.join(work, 'PWNED');

  /** Renders and runs the value through bash; returns the bytes bash wrote. */
  function roundTrip(value: string, locale = 'C'): Buffer {
    for (const entry of fs.readdirSync(work)) fs.rmSync(path.join(work, entry), { recursive: true, force: true });
    const script = renderOperation(registry, { seq: 0, name: 'echo', module: 'echo_value', attributes: { value } });
    const run = runRenderedLocally(script, 'apply', work, { env: { LC_ALL: locale } });
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 0, stderr: '' });
    // Only the intended output file: no marker, no stray files from word splitting or redirection.
    expect(fs.readdirSync(work)).toEqual(['out']);
    return fs.readFileSync(path.join(work, 'out'));
  }

  const hostile = (): string[] => {
    const m = marker();
    return [
      "'",
      '"',
      "''",
      "'\\''",
      `$(touch ${m})`,
      `\`touch ${m}\``,
      `'; touch ${m}; '`,
      `"; touch ${m}; "`,
      `; touch ${m}`,
      `; rm -rf /`,
      `| touch ${m}`,
      `&& touch ${m}`,
      `\ntouch ${m}\n`,
      `a\r\ntouch ${m}`,
      `$(touch ${m})'$(touch ${m})'"$(touch ${m})"`,
      `\${IFS}touch\${IFS}${m}`,
      `> ${m}`,
      `< /etc/passwd`,
      '-rf',
      '--',
      '-',
      '*',
      '/*',
      '?',
      '[a-z]*',
      '{a,b}',
      '~',
      '~root',
      '\\',
      '\\\\',
      "\\'",
      '$HOME',
      '${HOME}',
      '$1 $@ $* $# $? $$ $!',
      '!!',
      '!-1',
      '%s %d %n %%',
      '\\x41\\n\\0',
      '',
      ' ',
      '  leading and trailing  ',
      '\t',
      '\n',
      '\n\n\n',
      '#comment',
      'a#b',
      'EOF\nEOF',
      '\u0001\u0002\u001b[31mred\u001b[0m\u007f',
      'ünïcødé ✓ 日本語 🙂 \u202e\u200b',
      '\uffff\u{10ffff}',
      "'".repeat(10_000),
      `${"'$(touch PWNED)`x`\n".repeat(20_000)}end`,
    ];
  };

  it('passes a hand list of hostile values through byte for byte', () => {
    for (const value of hostile()) {
      expect(roundTrip(value).equals(Buffer.from(value, 'utf8'))).toBe(true);
    }
  });

  it('passes the hostile values through under a UTF-8 locale too', () => {
    for (const value of hostile().slice(0, 30)) {
      expect(roundTrip(value, 'C.UTF-8').equals(Buffer.from(value, 'utf8'))).toBe(true);
    }
  });

  it('passes 2,000 random strings (full Unicode, control characters, shell metacharacters) through byte for byte', () => {
    const noNul = (s: string): boolean => !s.includes('\u0000');
    const shellish = fc.constantFrom("'", '"', '\\', '$', '`', '(', ')', ';', '|', '&', '<', '>', '*', '?', '[', ']', '{', '}', '~', '!', '#', '%', ' ', '\t', '\n', '\r', '-', '=');
    const control = fc.integer({ min: 1, max: 0x1f }).map((c) => String.fromCharCode(c));
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: fc.oneof(shellish, control, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
    );
    fc.assert(
      fc.property(value.filter(noNul), (v) => {
        expect(roundTrip(v).equals(Buffer.from(v, 'utf8'))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  }, 300_000);

  it('turns each list item into exactly one word', () => {
    const item = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\u0000'));
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (items) => {
        for (const entry of fs.readdirSync(work)) fs.rmSync(path.join(work, entry), { recursive: true, force: true });
        const script = renderOperation(registry, { seq: 0, name: 'items', module: 'echo_items', attributes: { items } });
        const run = runRenderedLocally(script, 'apply', work);
        expect(run.exitCode).toBe(0);
        expect(fs.readdirSync(work)).toEqual(['out']);
        const expected = Buffer.concat(items.map((i) => Buffer.from(`${i}\u0000`, 'utf8')));
        expect(fs.readFileSync(path.join(work, 'out')).equals(expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});
