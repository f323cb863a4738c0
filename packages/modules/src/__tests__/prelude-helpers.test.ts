import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { makeTempDir, removeDir } from '../testing/fixtures';
import { runRenderedLocally } from '../testing/run-rendered-locally';

/**
 * The prelude's helpers that stand in for programs (dirname, cmp, grep) must answer exactly as
 * those programs do, since modules now ask the helpers instead. Each test runs the helper and
 * the real program side by side in bash, over hand-picked edge cases and seeded random ones.
 */
let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeDir(dir));

/** Runs a body after the prelude; fails the test on a non-zero exit or any stderr. */
function bash(body: string): string {
  const run = runRenderedLocally(body, 'apply', dir);
  expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 0, stderr: '' });
  return run.stdout;
}

const NUL = '\u0000';

describe('simplecm_dirname', () => {
  it('prints what dirname prints', () => {
    const paths = [
      '/', '//', '///', '/x', '/x/', '/x//', '//x', '///x', '//x//', '/x/y', '/x//y//', '/x/y/', '/a b/c d', '/x/.', '/x/..',
      '/*/[a]/?', "/it's/$(touch PWNED)/`x`", '/-n/-e', '/\t/x', '/é/ü/🙂', '/x/\\', 'a', 'a/', 'a/b', 'a//b/', '', '.', '..', './x',
    ];
    fs.writeFileSync(path.join(dir, 'paths'), paths.map((p) => p + NUL).join(''));
    const out = bash(
      [
        "while IFS= read -r -d '' p; do",
        '  simplecm_dirname d "$p"',
        "  printf '%s\\0%s\\0' \"$(dirname -- \"$p\")\" \"$d\"",
        'done < paths',
        '',
      ].join('\n'),
    );
    const fields = out.split(NUL);
    fields.pop();
    const pairs = paths.map((p, i) => ({ path: p, dirname: fields[2 * i], helper: fields[2 * i + 1] }));
    expect(pairs.filter((p) => p.dirname !== p.helper)).toEqual([]);
    expect(pairs).toHaveLength(paths.length);
    expect(fs.existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });
});

/** Bytes that make reading and matching interesting: bash's internal quoting bytes, NUL, CR, LF. */
const tricky = fc.constantFrom('a', 'b', '\n', '\r', ' ', '\\', '*', '\u0001', '\u007f', '\u00ff', NUL);

describe('simplecm_same_content', () => {
  it('agrees with cmp, around the 4 KiB limit too', () => {
    const cases: Array<{ content: Buffer; file: Buffer }> = [];
    const add = (content: string | Buffer, file: string | Buffer): void => {
      cases.push({ content: Buffer.from(content as string, 'latin1'), file: Buffer.from(file as string, 'latin1') });
    };
    for (const c of ['', 'a', 'a\n', 'line\nno final newline', '\u0001\u007f\\*?[x]\r\n']) {
      add(c, c);
      add(c, `${c}\n`);
      add(c, c.slice(0, -1));
      add(c, `${c}${NUL}`);
      add(c, `${NUL}${c}`);
      add(c, `${c}x`);
    }
    add('ab', `a${NUL}b`);
    add('a\n', 'a');
    add('a', 'a\n');
    for (const size of [4094, 4095, 4096, 4097, 10_000]) {
      const c = 'x'.repeat(size - 1) + '\n';
      add(c, c);
      add(c, c.slice(0, -1));
      add(c, `${c}y`);
      add(c, `${c.slice(0, 100)}${NUL}${c.slice(101)}`);
    }
    const bytes = fc.array(tricky, { maxLength: 12 }).map((a) => a.join(''));
    for (const [c, f] of fc.sample(fc.tuple(bytes, bytes), { numRuns: 300, seed: 7 })) {
      const content = c.replace(/\u0000/g, '');
      add(content, f);
      add(content, content + f.slice(0, 1));
    }
    cases.forEach(({ content, file }, i) => {
      fs.writeFileSync(path.join(dir, `c${i}`), content);
      fs.writeFileSync(path.join(dir, `f${i}`), file);
    });
    const out = bash(
      [
        `for (( i = 0; i < ${cases.length}; i++ )); do`,
        "  IFS= read -r -d '' c < c$i || true",
        '  if simplecm_same_content "f$i" "$c"; then same=1; else same=0; fi',
        "  if printf '%s' \"$c\" | cmp -s -- - \"f$i\"; then ref=1; else ref=0; fi",
        '  echo "$same $ref"',
        'done',
        '',
      ].join('\n'),
    );
    const results = out.trimEnd().split('\n');
    expect(results).toHaveLength(cases.length);
    const wrong = results.map((r, i) => ({ r, i, expected: cases[i]!.content.equals(cases[i]!.file) })).filter(({ r, expected }) => r !== (expected ? '1 1' : '0 0'));
    expect(wrong).toEqual([]);
  });
});

describe('simplecm_read_file and simplecm_has_line', () => {
  it('read a small NUL-free file whole, and find lines as grep -qxF does, CRLF lines included', () => {
    const files: Buffer[] = [];
    const lines: string[] = [];
    const add = (file: string, line: string): void => {
      files.push(Buffer.from(file, 'latin1'));
      lines.push(line);
    };
    for (const line of ['', 'a', 'a b', '*', '\\']) {
      for (const file of ['', '\n', '\n\n', 'a', 'a\n', '\na', 'b\na', 'b\na\n', 'ab\n', 'a\r\n', ' a\n', 'x\n\ny', '*\n', '\\\n', 'a b\n']) add(file, line);
    }
    const text = fc.array(tricky, { maxLength: 16 }).map((a) => a.join(''));
    const line = fc.array(fc.constantFrom('a', 'b', ' ', '\\', '*', '\u0001', '\u007f'), { maxLength: 3 }).map((a) => a.join(''));
    for (const [f, l] of fc.sample(fc.tuple(text, line), { numRuns: 400, seed: 11 })) add(f, l);
    add(`${'x\n'.repeat(2_100)}a\n`, 'a'); // 4,202 bytes: over the limit
    add(`${'x'.repeat(4_095)}`, 'a'); // 4,095 bytes: the largest file read whole
    add(`${'x'.repeat(4_096)}`, 'a');
    files.forEach((f, i) => {
      fs.writeFileSync(path.join(dir, `f${i}`), f);
      fs.writeFileSync(path.join(dir, `l${i}`), lines[i]!);
    });
    const out = bash(
      [
        `for (( i = 0; i < ${files.length}; i++ )); do`,
        "  IFS= read -r -d '' l < l$i || true",
        '  if simplecm_read_file d "f$i"; then',
        "    read=1; if printf '%s' \"$d\" | cmp -s -- - \"f$i\"; then whole=1; else whole=0; fi",
        '    if simplecm_has_line "$d" "$l"; then has=1; else has=0; fi',
        '  else',
        '    read=0 whole=- has=-',
        '  fi',
        // The reference: grep's whole-line match, a line ending in \r\n being the same line.
        "  if grep -qxF -e \"$l\" -e \"$l\"$'\\r' -- \"f$i\"; then ref=1; else ref=0; fi",
        '  echo "$read $whole $has $ref"',
        'done',
        '',
      ].join('\n'),
    );
    const results = out.trimEnd().split('\n');
    expect(results).toHaveLength(files.length);
    const wrong = results
      .map((r, i) => {
        const [read, whole, has, grep] = r.split(' ');
        const readable = !files[i]!.includes(0) && files[i]!.length < 4096;
        const expected = readable ? `1 1 ${grep} ${grep}` : `0 - - ${grep}`;
        return { i, file: files[i]!.toString('latin1'), line: lines[i], got: [read, whole, has, grep].join(' '), expected };
      })
      .filter((x) => x.got !== x.expected);
    expect(wrong).toEqual([]);
  });

  it('counts bytes, not characters, whatever the locale the runner passes', () => {
    // Plain bash under C.UTF-8 counts 2 characters here; the prelude's LC_ALL=C makes it 6 bytes.
    const run = runRenderedLocally("x='ü🙂'\necho \"${#x}\"\n", 'apply', dir, { env: { LC_ALL: 'C.UTF-8' } });
    expect(run).toMatchObject({ exitCode: 0, stdout: '6\n' });
  });
});

describe('simplecm_atomic_write and simplecm_atomic_write_text', () => {
  // Without $SRANDOM (unset: as on bash < 5.1) the temporary file comes from mktemp instead.
  it.each([['bash makes the temporary file', ''], ['mktemp makes it', 'unset SRANDOM\n']])('%s: writes, keeps the shell umask and noclobber as they were, leaves nothing behind', (_, prefix) => {
    const out = bash(
      [
        prefix,
        'umask 0027',
        "simplecm_atomic_write_text new 'text, no final newline'",
        'printf "from\\nstdin\\n" | simplecm_atomic_write piped 0600',
        'echo "umask $(umask) ${-//[!C]/}"',
        'set -C',
        "simplecm_atomic_write_text new 'again' 0640",
        'echo "umask $(umask) ${-//[!C]/}"',
        '',
      ].join('\n'),
    );
    expect(out).toBe('umask 0027 \numask 0027 C\n');
    expect(fs.readFileSync(path.join(dir, 'new'), 'utf8')).toBe('again');
    expect(fs.readFileSync(path.join(dir, 'piped'), 'utf8')).toBe('from\nstdin\n');
    expect((fs.statSync(path.join(dir, 'new')).mode & 0o7777).toString(8)).toBe('640');
    expect((fs.statSync(path.join(dir, 'piped')).mode & 0o7777).toString(8)).toBe('600');
    expect(fs.readdirSync(dir).sort()).toEqual(['new', 'piped']);
  });
});
