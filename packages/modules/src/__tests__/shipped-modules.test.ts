import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Attributes } from '@simplecm/domain';
import { BUNDLED_MODULES_DIR, loadModules, renderOperation } from '../index';
import { makeTempDir, removeDir, snapshotTree } from '../testing/fixtures';
import { runRenderedLocally, type LocalRunOptions, type LocalRunResult } from '../testing/run-rendered-locally';

const registry = loadModules(BUNDLED_MODULES_DIR);
const isRoot = process.getuid?.() === 0;

function run(module: string, attributes: Attributes, mode: 'apply' | 'check', options?: LocalRunOptions): LocalRunResult {
  const script = renderOperation(registry, { seq: 0, name: `test ${module}`, module, attributes }, 'localhost');
  return runRenderedLocally(script, mode, undefined, options);
}

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeDir(dir));

const at = (...parts: string[]): string => path.join(dir, ...parts);
const NUL = '\u0000';

/** Runs `fn` with the process umask (inherited by the scripts) set to `mask`. */
function withUmask<T>(mask: number, fn: () => T): T {
  const old = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}

/** A path directly under `/` (only root may write there), removed afterwards. */
function underRoot(kind: string, fn: (p: string) => void): void {
  const p = `/simplecm-test-${kind}-${process.pid}`;
  try {
    fn(p);
  } finally {
    fs.rmSync(p, { recursive: true, force: true });
  }
}
const modeOf = (p: string): string => (fs.statSync(p).mode & 0o7777).toString(8);

/**
 * The contract every module keeps, from the state `setup` leaves in the temp dir:
 * check mode reports changes and touches nothing; apply makes exactly the changes check
 * reported; a second apply (and a check after it) finds nothing to do.
 */
function expectConverges(module: string, attributes: Attributes, options?: LocalRunOptions): string[] {
  const before = snapshotTree(dir);
  const check = run(module, attributes, 'check', options);
  expect({ exitCode: check.exitCode, stderr: check.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(check.changes.length).toBeGreaterThan(0);
  expect(snapshotTree(dir)).toEqual(before);

  const apply = run(module, attributes, 'apply', options);
  expect({ exitCode: apply.exitCode, stderr: apply.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(apply.changes).toEqual(check.changes);

  const again = run(module, attributes, 'apply', options);
  expect(again).toMatchObject({ exitCode: 0, changes: [] });
  expect(run(module, attributes, 'check', options)).toMatchObject({ exitCode: 0, changes: [] });
  return apply.changes;
}

describe('file_exists', () => {
  it('creates a missing file with its mode, then is ok', () => {
    const file = at('a file');
    expect(expectConverges('file_exists', { path: file, mode: '0600' })).toEqual([`create file ${file} with mode 0600`]);
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    expect(modeOf(file)).toBe('600');
  });

  it('fixes the mode of an existing file without touching its content', () => {
    const file = at('f');
    fs.writeFileSync(file, 'keep\n', { mode: 0o644 });
    expect(expectConverges('file_exists', { path: file, mode: '0640' })).toEqual([`set mode of ${file} to 0640 (was 644)`]);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep\n');
    expect(run('file_exists', { path: file }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
  });

  it('fails clearly when the directory is missing or the path is a directory', () => {
    const missing = run('file_exists', { path: at('no', 'f') }, 'apply');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe(`file_exists: create file ${at('no', 'f')}: directory ${at('no')} does not exist\n`);
    fs.mkdirSync(at('d'));
    expect(run('file_exists', { path: at('d') }, 'check').stderr).toMatch(/exists but is not a regular file/);
  });

  it('creates a file with the umask mode when no mode is given', () => {
    withUmask(0o027, () => expectConverges('file_exists', { path: at('f') }));
    expect(modeOf(at('f'))).toBe('640');
  });

  (isRoot ? it : it.skip)('creates a file directly under / (as root)', () => {
    underRoot('file', (p) => {
      expect(expectConverges('file_exists', { path: p, mode: '0600' })).toEqual([`create file ${p} with mode 0600`]);
      expect(modeOf(p)).toBe('600');
    });
  });
});

describe('file_contains', () => {
  it('creates the file with the line, then is ok', () => {
    const hostile = `PATH=$(touch ${at('PWNED')}) 'x' "y" \`z\` * \\ $HOME`;
    const file = at('conf');
    expect(expectConverges('file_contains', { path: file, text: hostile })).toEqual([`append line to ${file}: ${hostile}`]);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${hostile}\n`);
    expect(fs.readdirSync(dir)).toEqual(['conf']);
  });

  it('appends after a last line without its line break, and only whole lines count', () => {
    const file = at('conf');
    fs.writeFileSync(file, 'a=1\nkey=value plus');
    expectConverges('file_contains', { path: file, text: 'key=value' });
    expect(fs.readFileSync(file, 'utf8')).toBe('a=1\nkey=value plus\nkey=value\n');
  });

  it('is ok when the line is there', () => {
    fs.writeFileSync(at('conf'), 'x\n-e\ny\n');
    expect(run('file_contains', { path: at('conf'), text: '-e' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
  });

  it('appends an empty line only when the file has none', () => {
    const file = at('conf');
    fs.writeFileSync(file, 'a\n');
    expect(expectConverges('file_contains', { path: file, text: '' })).toEqual([`append line to ${file}: `]);
    expect(fs.readFileSync(file, 'utf8')).toBe('a\n\n');
    fs.writeFileSync(file, 'a\n\nb');
    expect(run('file_contains', { path: file, text: '' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
  });

  it('finds lines in files with NUL bytes as grep does, and never glues onto their last line', () => {
    const file = at('bin');
    fs.writeFileSync(file, `x${NUL}y\nkey=value\n`);
    expect(run('file_contains', { path: file, text: 'key=value' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
    fs.writeFileSync(file, `a${NUL}b`);
    expectConverges('file_contains', { path: file, text: 'c' });
    expect(fs.readFileSync(file, 'latin1')).toBe(`a${NUL}b\nc\n`);
  });

  it('searches files over 4 KiB with grep', () => {
    const file = at('big');
    const big = 'filler line\n'.repeat(500);
    fs.writeFileSync(file, `${big}wanted`);
    expect(run('file_contains', { path: file, text: 'wanted' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
    expectConverges('file_contains', { path: file, text: 'more' });
    expect(fs.readFileSync(file, 'utf8')).toBe(`${big}wanted\nmore\n`);
  });

  it('fails clearly when the directory does not exist', () => {
    const res = run('file_contains', { path: at('nope', 'conf'), text: 'x' }, 'apply');
    expect(res).toMatchObject({ exitCode: 1, stderr: `file_contains: append line to ${at('nope', 'conf')}: directory ${at('nope')} does not exist\n` });
  });

  it('in check mode, reports the change when an earlier operation may create the directory', () => {
    const res = run('file_contains', { path: at('nope', 'conf'), text: 'x' }, 'check');
    expect(res).toMatchObject({ exitCode: 0, stderr: '' });
    expect(res.changes).toEqual([`file_contains: append line to ${at('nope', 'conf')} (assuming directory ${at('nope')}, missing now, is created first)`]);
    expect(fs.existsSync(at('nope'))).toBe(false);
  });
});

describe('sleep', () => {
  it('waits and never reports a change', () => {
    expect(run('sleep', { seconds: 0 }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
    expect(run('sleep', { seconds: 0 }, 'check')).toMatchObject({ exitCode: 0, changes: [] });
  });
});

describe('directory', () => {
  it('creates a directory with its parents and mode, then is ok', () => {
    const target = at('a', 'b c');
    expect(expectConverges('directory', { path: target, mode: '0750' })).toEqual([`create directory ${target} mode 0750`]);
    expect(fs.statSync(target).isDirectory()).toBe(true);
    expect(modeOf(target)).toBe('750');
  });

  it('fixes the mode of an existing directory, clearing setgid', () => {
    fs.mkdirSync(at('d'));
    fs.chmodSync(at('d'), 0o2775);
    expect(expectConverges('directory', { path: at('d'), mode: '0755' })).toEqual([`set mode of ${at('d')} to 0755 (was 2775)`]);
    expect(modeOf(at('d'))).toBe('755');
  });

  (isRoot ? it : it.skip)('sets owner and group (as root)', () => {
    fs.mkdirSync(at('d'));
    const changes = expectConverges('directory', { path: at('d'), owner: 'nobody', group: 'nogroup' });
    expect(changes).toEqual([`set owner of ${at('d')} to nobody (was root)`, `set group of ${at('d')} to nogroup (was root)`]);
  });

  it('removes a directory and its content when absent, then is ok', () => {
    fs.mkdirSync(at('gone', 'sub'), { recursive: true });
    fs.writeFileSync(at('gone', 'sub', 'f'), 'x');
    expect(expectConverges('directory', { path: at('gone'), state: 'absent' })).toEqual([`remove directory ${at('gone')}`]);
    expect(fs.existsSync(at('gone'))).toBe(false);
  });

  it('refuses to remove through a symbolic link, and to replace a file', () => {
    fs.mkdirSync(at('real'));
    fs.symlinkSync(at('real'), at('link'));
    expect(run('directory', { path: at('link'), state: 'absent' }, 'apply')).toMatchObject({ exitCode: 1, changes: [] });
    expect(fs.existsSync(at('real'))).toBe(true);
    fs.writeFileSync(at('file'), '');
    expect(run('directory', { path: at('file') }, 'apply').stderr).toBe(`directory: ${at('file')} exists but is not a directory\n`);
  });

  (isRoot ? it : it.skip)('creates a directory directly under / (as root)', () => {
    underRoot('dir', (p) => {
      expect(expectConverges('directory', { path: p, mode: '0700' })).toEqual([`create directory ${p} mode 0700`]);
      expect(modeOf(p)).toBe('700');
    });
  });

  it('refuses to remove /', () => {
    const res = run('directory', { path: '/', state: 'absent' }, 'check');
    expect(res).toMatchObject({ exitCode: 1, changes: [], stderr: 'directory: refusing to remove /\n' });
  });
});

describe('file_content', () => {
  const content = "line 1\n'quoted' \"double\" $(touch PWNED) `tick` \\ ünïcødé 🙂\n\tno final newline";

  it('creates the file with the exact bytes and its mode, then is ok', () => {
    const file = at('etc', 'app.conf');
    fs.mkdirSync(at('etc'));
    const changes = expectConverges('file_content', { path: file, content, mode: '0600' });
    expect(changes).toEqual([`create file ${file} (${Buffer.byteLength(content)} bytes) mode 0600`]);
    expect(fs.readFileSync(file).equals(Buffer.from(content, 'utf8'))).toBe(true);
    expect(modeOf(file)).toBe('600');
    expect(fs.readdirSync(at('etc'))).toEqual(['app.conf']);
  });

  it('replaces different content, keeping the old mode, with mode changes reported on their own', () => {
    const file = at('f');
    fs.writeFileSync(file, 'old\n', { mode: 0o640 });
    expect(expectConverges('file_content', { path: file, content: 'new\n' })).toEqual([`update content of ${file} (4 bytes)`]);
    expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
    expect(modeOf(file)).toBe('640');
    expect(expectConverges('file_content', { path: file, content: 'newer\n', mode: '0600' })).toEqual([
      `set mode of ${file} to 0600 (was 640)`,
      `update content of ${file} (6 bytes)`,
    ]);
    expect(modeOf(file)).toBe('600');
  });

  it('handles empty content, and writes through a symbolic link only with follow: true', () => {
    fs.writeFileSync(at('target'), 'x');
    fs.symlinkSync(at('target'), at('link'));
    expect(run('file_content', { path: at('link'), content: '' }, 'apply')).toMatchObject({ exitCode: 1, changes: [] });
    expect(fs.readFileSync(at('target'), 'utf8')).toBe('x');
    expectConverges('file_content', { path: at('link'), content: '', follow: true });
    expect(fs.lstatSync(at('link')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(at('target'), 'utf8')).toBe('');
  });

  it('sees a NUL byte, a missing or extra final newline, or more bytes as different content', () => {
    const file = at('f');
    const want = 'a\nb\n';
    for (const have of [`a\nb${NUL}\n`, `a\nb\n${NUL}`, `${NUL}a\nb\n`, 'a\nb', 'a\nb\n\n', 'a\nb\nc', 'A\nb\n', '']) {
      fs.writeFileSync(file, have, 'latin1');
      expect(expectConverges('file_content', { path: file, content: want })).toEqual([`update content of ${file} (4 bytes)`]);
      expect(fs.readFileSync(file, 'latin1')).toBe(want);
    }
    fs.writeFileSync(file, 'no final newline\n');
    expectConverges('file_content', { path: file, content: 'no final newline' });
    expect(fs.readFileSync(file, 'utf8')).toBe('no final newline');
  });

  it('compares content of 4 KiB and more with cmp', () => {
    const file = at('big');
    for (const size of [4095, 4096, 10_000]) {
      const want = `${'x'.repeat(size - 1)}\n`;
      fs.writeFileSync(file, want);
      expect(run('file_content', { path: file, content: want }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
      fs.writeFileSync(file, `${want.slice(0, -1)}y`);
      expect(expectConverges('file_content', { path: file, content: want })).toEqual([`update content of ${file} (${size} bytes)`]);
      expect(fs.readFileSync(file, 'utf8')).toBe(want);
    }
  });

  it('creates a file with the umask mode when no mode is given, or read-only when asked', () => {
    withUmask(0o027, () => expectConverges('file_content', { path: at('u'), content: 'x\n' }));
    expect(modeOf(at('u'))).toBe('640');
    withUmask(0o000, () => expectConverges('file_content', { path: at('r'), content: 'secret\n', mode: '0400' }));
    expect(modeOf(at('r'))).toBe('400');
    expect(fs.readFileSync(at('r'), 'utf8')).toBe('secret\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['r', 'u']);
  });

  (isRoot ? it : it.skip)('writes a file directly under / (as root)', () => {
    underRoot('content', (p) => {
      expect(expectConverges('file_content', { path: p, content: 'top\n', mode: '0644' })).toEqual([`create file ${p} (4 bytes) mode 0644`]);
      expect(expectConverges('file_content', { path: p, content: 'top level\n' })).toEqual([`update content of ${p} (10 bytes)`]);
      expect(fs.readFileSync(p, 'utf8')).toBe('top level\n');
      expect(fs.readdirSync('/').filter((n) => n.startsWith('.simplecm.'))).toEqual([]);
    });
  });

  (isRoot ? it : it.skip)('creates and fixes owner and group (as root)', () => {
    const file = at('owned');
    expect(expectConverges('file_content', { path: file, content: 'x', owner: 'nobody', group: 'nogroup' })).toEqual([
      `create file ${file} (1 bytes) owner nobody group nogroup`,
    ]);
    fs.chownSync(file, 0, 0);
    expect(expectConverges('file_content', { path: file, content: 'x', owner: 'nobody', group: 'nogroup' })).toEqual([
      `set owner of ${file} to nobody (was root)`,
      `set group of ${file} to nogroup (was root)`,
    ]);
  });

  it('fails clearly on a missing directory, a directory at the path, or an unknown user', () => {
    expect(run('file_content', { path: at('no', 'f'), content: 'x' }, 'apply')).toMatchObject({ exitCode: 1, stderr: `file_content: write ${at('no', 'f')}: directory ${at('no')} does not exist\n` });
    fs.mkdirSync(at('d'));
    expect(run('file_content', { path: at('d'), content: 'x' }, 'apply').stderr).toMatch(/exists but is not a regular file/);
    fs.writeFileSync(at('f'), 'x');
    expect(run('file_content', { path: at('f'), content: 'x', owner: 'simplecm-no-such-user' }, 'check')).toMatchObject({ exitCode: 1, stderr: 'no such user: simplecm-no-such-user\n' });
  });
});

describe('line_absent', () => {
  it('removes every matching whole line, keeping the mode, then is ok', () => {
    const file = at('hosts');
    fs.writeFileSync(file, 'keep\nremove me\nremove me too\nremove me\n', { mode: 0o640 });
    expect(expectConverges('line_absent', { path: file, line: 'remove me' })).toEqual([`remove 2 line(s) from ${file}: remove me`]);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep\nremove me too\n');
    expect(modeOf(file)).toBe('640');
  });

  it('leaves an empty file when every line goes', () => {
    fs.writeFileSync(at('f'), '-x\n-x\n');
    expectConverges('line_absent', { path: at('f'), line: '-x' });
    expect(fs.readFileSync(at('f'), 'utf8')).toBe('');
  });

  it('removes a last line without its line break, and empty lines', () => {
    fs.writeFileSync(at('f'), 'keep\nremove');
    expect(expectConverges('line_absent', { path: at('f'), line: 'remove' })).toEqual([`remove 1 line(s) from ${at('f')}: remove`]);
    expect(fs.readFileSync(at('f'), 'utf8')).toBe('keep\n');
    fs.writeFileSync(at('f'), 'a\n\nb\n\n');
    expect(expectConverges('line_absent', { path: at('f'), line: '' })).toEqual([`remove 2 line(s) from ${at('f')}: `]);
    expect(fs.readFileSync(at('f'), 'utf8')).toBe('a\nb\n');
    expect(run('line_absent', { path: at('f'), line: 'a b' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
  });

  it('leaves files with NUL bytes and files over 4 KiB to grep', () => {
    fs.writeFileSync(at('bin'), `x${NUL}\nkeep\n`);
    expect(run('line_absent', { path: at('bin'), line: 'gone' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
    const big = 'filler line\n'.repeat(500);
    fs.writeFileSync(at('big'), `${big}gone\n`);
    expect(run('line_absent', { path: at('big'), line: 'absent' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
    expect(expectConverges('line_absent', { path: at('big'), line: 'gone' })).toEqual([`remove 1 line(s) from ${at('big')}: gone`]);
    expect(fs.readFileSync(at('big'), 'utf8')).toBe(big);
  });

  it('is ok when the file is missing', () => {
    expect(run('line_absent', { path: at('missing'), line: 'x' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
  });
});

describe('command', () => {
  it('runs until `creates` exists', () => {
    const marker = at('made');
    const command = `touch -- '${marker}'\necho ran`;
    expect(expectConverges('command', { command, creates: marker })).toEqual([`run command: touch -- '${marker}'\\necho ran`]);
    expect(fs.existsSync(marker)).toBe(true);
  });

  it('runs until `unless` succeeds, and runs `unless` in check mode too', () => {
    const log = at('log');
    expectConverges('command', { command: `echo x >> '${log}'`, unless: `grep -qx x '${log}' 2>/dev/null` });
    expect(fs.readFileSync(log, 'utf8')).toBe('x\n');
  });

  it('always runs without a guard, and shows its output', () => {
    const res = run('command', { command: 'echo hello; echo to-stderr >&2' }, 'apply');
    expect(res).toMatchObject({ exitCode: 0, stdout: 'hello\n', stderr: 'to-stderr\n', changes: ['run command: echo hello; echo to-stderr >&2'] });
    expect(run('command', { command: 'echo hello' }, 'check')).toMatchObject({ exitCode: 0, stdout: '', changes: ['run command: echo hello'] });
  });

  it('fails with the command exit code, under set -e', () => {
    expect(run('command', { command: 'echo oops >&2; exit 3' }, 'apply')).toMatchObject({ exitCode: 3, stderr: 'oops\n' });
    expect(run('command', { command: 'false\necho after' }, 'apply')).toMatchObject({ exitCode: 1, stdout: '' });
  });
});

const hasDpkg = fs.existsSync('/usr/bin/dpkg-query') && fs.existsSync('/usr/bin/apt-get');
(hasDpkg ? describe : describe.skip)('package (apt host; no network, so nothing is installed or removed)', () => {
  it('is ok when an installed package should be present, or a missing one absent', () => {
    expect(run('package', { name: 'bash' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
    expect(run('package', { name: 'simplecm-no-such-package', state: 'absent' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
  });

  it('reports in check mode what it would install or remove', () => {
    const before = snapshotTree(dir);
    expect(run('package', { name: 'simplecm-no-such-package' }, 'check')).toMatchObject({ exitCode: 0, changes: ['install package simplecm-no-such-package (apt)'] });
    expect(run('package', { name: 'bash', state: 'absent' }, 'check')).toMatchObject({ exitCode: 0, changes: ['remove package bash (apt)'] });
    expect(snapshotTree(dir)).toEqual(before);
  });
});

const hasSystemd = fs.existsSync('/run/systemd/system');
(hasSystemd ? describe.skip : describe)('service (no systemd: driven through a fake `service` command)', () => {
  const name = 'simplecm-fake-svc';
  let options: LocalRunOptions;
  let bin: string;
  beforeEach(() => {
    // The fake lives outside `dir` (which the tests snapshot); its state lives inside.
    bin = makeTempDir('simplecm-bin-');
    fs.writeFileSync(
      path.join(bin, 'service'),
      [
        '#!/bin/bash',
        'f="$FAKE_SERVICE_STATE/$1.running"',
        'case $2 in',
        '  status) [ -e "$f" ] ;;',
        '  start) touch "$f" ;;',
        '  stop) rm -f "$f" ;;',
        '  restart) touch "$f"; echo restarted >> "$FAKE_SERVICE_STATE/$1.log" ;;',
        '  *) exit 2 ;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    options = { env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, FAKE_SERVICE_STATE: dir } };
  });
  afterEach(() => removeDir(bin));

  it('starts a stopped service, then is ok', () => {
    expect(fs.existsSync(`/etc/init.d/${name}`)).toBe(false);
    expect(expectConverges('service', { name, state: 'started' }, options)).toEqual([`start service ${name}`]);
    expect(fs.existsSync(at(`${name}.running`))).toBe(true);
  });

  it('stops a running service, then is ok', () => {
    fs.writeFileSync(at(`${name}.running`), '');
    expect(expectConverges('service', { name, state: 'stopped' }, options)).toEqual([`stop service ${name}`]);
  });

  it('always restarts when asked to', () => {
    const before = snapshotTree(dir);
    expect(run('service', { name, state: 'restarted' }, 'check', options)).toMatchObject({ exitCode: 0, changes: [`restart service ${name}`] });
    expect(snapshotTree(dir)).toEqual(before);
    expect(run('service', { name, state: 'restarted' }, 'apply', options)).toMatchObject({ exitCode: 0, changes: [`restart service ${name}`] });
    expect(fs.readFileSync(at(`${name}.log`), 'utf8')).toBe('restarted\n');
  });

  it('says that enabling needs systemd', () => {
    const res = run('service', { name, enabled: true }, 'check', options);
    expect(res).toMatchObject({ exitCode: 1, changes: [] });
    expect(res.stderr).toMatch(/enabled=true needs systemd/);
  });
});

/**
 * Issue 15: a local user who can plant a symbolic link where a module writes (a world-writable
 * directory, a user's home) must not get root to write, chmod or chown the file it points to.
 */
describe('symbolic links at path', () => {
  const secret = (): string => {
    const file = at('secret');
    fs.writeFileSync(file, 'root only\n', { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    fs.symlinkSync(file, at('planted'));
    return file;
  };
  const untouched = (file: string, stat: fs.Stats): void => {
    const now = fs.statSync(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('root only\n');
    expect({ mode: now.mode, uid: now.uid, gid: now.gid, mtimeMs: now.mtimeMs }).toEqual({ mode: stat.mode, uid: stat.uid, gid: stat.gid, mtimeMs: stat.mtimeMs });
    expect(fs.lstatSync(at('planted')).isSymbolicLink()).toBe(true);
  };
  const cases: Array<[string, Attributes]> = [
    ['file_content', { content: 'owned\n', mode: '0644', owner: '0', group: '0' }],
    ['file_exists', { mode: '0666' }],
    ['file_contains', { text: 'ALL: ALL' }],
    ['line_absent', { line: 'root only' }],
    ['directory', { mode: '0777' }],
  ];
  it.each(cases)('%s refuses a symbolic link to a 0600 file and leaves that file untouched', (module, attributes) => {
    const file = secret();
    const stat = fs.statSync(file);
    for (const mode of ['check', 'apply'] as const) {
      const result = run(module, { path: at('planted'), ...attributes }, mode);
      expect(result).toMatchObject({ exitCode: 1, changes: [] });
      expect(result.stderr).toBe(`${module}: ${at('planted')} is a symbolic link; refusing to follow it (set follow: true to manage its target)\n`);
    }
    untouched(file, stat);
  });

  it('follow: true acts on the target, and ownership changes never touch a link itself', () => {
    const file = secret();
    expectConverges('file_exists', { path: at('planted'), mode: '0640', follow: true });
    expect(modeOf(file)).toBe('640');
    expect(fs.lstatSync(at('planted')).isSymbolicLink()).toBe(true);
    expectConverges('line_absent', { path: at('planted'), line: 'root only', follow: true });
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    expect(fs.lstatSync(at('planted')).isSymbolicLink()).toBe(true);
  });
});

/**
 * Issue 15: a line ending in \r\n is the same line (as Ansible's lineinfile reads it), so a
 * hosts.allow edited on Windows loses its open-access line and no line is appended twice.
 */
describe('line modules and CRLF line endings', () => {
  const small = (text: string): string => text;
  const big = (text: string): string => `${'# padding\r\n'.repeat(500)}${text}`; // over 4 KiB: grep's path
  for (const [size, wrap] of [['small', small], ['over 4 KiB', big]] as const) {
    it(`line_absent removes a CRLF line, in CRLF, mixed and unterminated files (${size})`, () => {
      const file = at('hosts.allow');
      const cases: Array<[string, string]> = [
        ['ALL: ALL\r\n', ''],
        ['sshd: 10.0.0.1\r\nALL: ALL\r\nsshd: LOCAL\r\n', 'sshd: 10.0.0.1\r\nsshd: LOCAL\r\n'],
        ['sshd: LOCAL\nALL: ALL\r\nALL: ALL\n', 'sshd: LOCAL\n'],
        ['sshd: LOCAL\r\nALL: ALL\r', 'sshd: LOCAL\r\n'],
        ['sshd: LOCAL\nALL: ALL', 'sshd: LOCAL\n'],
      ];
      for (const [have, want] of cases) {
        fs.writeFileSync(file, wrap(have));
        const changes = expectConverges('line_absent', { path: file, line: 'ALL: ALL' });
        expect(changes).toHaveLength(1);
        expect(fs.readFileSync(file, 'utf8')).toBe(wrap(want));
      }
    });

    it(`file_contains finds a CRLF line and appends nothing (${size})`, () => {
      const file = at('hosts.deny');
      for (const have of ['ALL: ALL\r\n', 'x\r\nALL: ALL\r\ny\r\n', 'x\nALL: ALL\r\n', 'x\r\nALL: ALL\r']) {
        fs.writeFileSync(file, wrap(have));
        for (const mode of ['check', 'apply'] as const) expect(run('file_contains', { path: file, text: 'ALL: ALL' }, mode)).toMatchObject({ exitCode: 0, changes: [] });
        expect(fs.readFileSync(file, 'utf8')).toBe(wrap(have));
      }
    });
  }

  it('a line that only differs by other trailing bytes is still a different line', () => {
    const file = at('f');
    fs.writeFileSync(file, 'ALL: ALL \r\nALL: ALL\r\r\n');
    expect(run('line_absent', { path: file, line: 'ALL: ALL' }, 'apply')).toMatchObject({ exitCode: 0, changes: [] });
    expect(run('file_contains', { path: file, text: 'ALL: ALL' }, 'apply').changes).toEqual([`append line to ${file}: ALL: ALL`]);
    expect(fs.readFileSync(file, 'utf8')).toBe('ALL: ALL \r\nALL: ALL\r\r\nALL: ALL\n');
  });
});

describe('check mode diffs (run --check --diff)', () => {
  it('file_content: the diff from the file to the content, or from nothing for a new file; apply prints none', () => {
    const file = at('motd');
    fs.writeFileSync(file, 'one\ntwo\nthree\n');
    const check = run('file_content', { path: file, content: 'one\n2\nthree\n' }, 'check');
    expect(check.stdout).toBe(`--- before: ${file}\n+++ after: ${file}\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe('one\ntwo\nthree\n');
    expect(run('file_content', { path: at('new'), content: 'hello\n' }, 'check').stdout).toBe(`--- before: ${at('new')}\n+++ after: ${at('new')}\n@@ -0,0 +1 @@\n+hello\n`);
    expect(fs.existsSync(at('new'))).toBe(false);
    expect(run('file_content', { path: file, content: 'one\n2\nthree\n' }, 'apply')).toMatchObject({ exitCode: 0, stdout: '' });
    expect(run('file_content', { path: file, content: 'one\n2\nthree\n' }, 'check')).toMatchObject({ exitCode: 0, stdout: '', changes: [] });
  });

  it('file_contains: the appended line, after the line break a last line lacks', () => {
    const file = at('conf');
    fs.writeFileSync(file, 'a=1\nb=2');
    const check = run('file_contains', { path: file, text: 'c=3' }, 'check');
    expect(check.stdout).toBe(`--- before: ${file}\n+++ after: ${file}\n@@ -1,2 +1,3 @@\n a=1\n-b=2\n\\ No newline at end of file\n+b=2\n+c=3\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe('a=1\nb=2');
  });

  it('line_absent: every removed line, CRLF ones included', () => {
    const file = at('hosts');
    fs.writeFileSync(file, 'keep\nremove me\r\nkeep too\nremove me\n');
    const check = run('line_absent', { path: file, line: 'remove me' }, 'check');
    expect(check.stdout).toBe(`--- before: ${file}\n+++ after: ${file}\n@@ -1,4 +1,2 @@\n keep\n-remove me\r\n keep too\n-remove me\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep\nremove me\r\nkeep too\nremove me\n');
  });

  it('cuts a long diff at 400 lines and says how much was left out; binary content is named, not shown', () => {
    const file = at('big');
    const content = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join('');
    const check = run('file_content', { path: file, content }, 'check');
    const lines = check.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([`--- before: ${file}`, `+++ after: ${file}`, '@@ -0,0 +1,1000 @@']);
    expect(lines).toHaveLength(402);
    expect(lines[400]).toBe('(diff cut at 400 lines or 32768 bytes: 603 more line(s) not shown)');
    fs.writeFileSync(file, `a${NUL}b`);
    expect(run('file_content', { path: file, content: 'text\n' }, 'check').stdout).toBe(`--- before: ${file}\n+++ after: ${file}\n(binary content differs; no diff shown)\n`);
  });
});
