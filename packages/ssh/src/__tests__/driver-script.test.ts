import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDriverScript, CAP_SLACK_BYTES, DRIVER_COMMAND, HANDLER_SKIPPED_EXIT, newFrameMarker, type DriverOperation, type DriverOptions } from '../driver-script';
import { createDriverStreamParser } from '../driver-stream';
import type { OperationFrame } from '../frames';
import { journalKey } from '../host-journal';

// The driver runs in a real local bash here (the same script workers send over SSH), its
// journals under a private directory of the test's.
const prelude = 'set -euo pipefail\nsimplecm_change() { printf "%s\\n" "$1" >> "$SIMPLECM_CHANGES"; [ "$SIMPLECM_CHECK" = 0 ]; }\n';
const journalRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-journal-test-'));
afterAll(() => fs.rmSync(journalRoot, { recursive: true, force: true }));

function runLocally(ops: DriverOperation[], options: Omit<DriverOptions, 'marker' | 'journalKey'>, limit = 1024): Promise<{ frames: OperationFrame[]; exit: number | null; leftover: string }> {
  const frames: OperationFrame[] = [];
  const marker = newFrameMarker();
  const parser = createDriverStreamParser(limit, (f) => frames.push(f));
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', DRIVER_COMMAND], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => {
      // Feed byte by byte sometimes, to exercise split frames.
      if (chunk.length < 64) for (const b of chunk) parser.push(Buffer.from([b]));
      else parser.push(chunk);
    });
    child.on('error', reject);
    child.on('close', (exit) => resolve({ frames, exit, leftover: parser.leftover() }));
    child.stdin.end(buildDriverScript(ops, { journalRoot, ...options, outputLimitBytes: limit, marker, journalKey: journalKey(randomUUID(), 'local') }));
  });
}

const op = (seq: number, body: string, timeoutSeconds = 30): DriverOperation => ({ seq, script: prelude + body, timeoutSeconds });

describe('driver script', () => {
  it('reports each operation with exit code, output, changes and duration', async () => {
    const { frames, exit, leftover } = await runLocally(
      [op(0, 'echo out; echo err >&2'), op(1, 'if simplecm_change "create x"; then :; fi; printf "no newline"'), op(2, 'read -r line || echo "stdin is empty"')],
      { mode: 'apply', keepGoing: false },
    );
    expect(exit).toBe(0);
    expect(leftover).toBe('');
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2]);
    expect(frames[0]!.stdout.toString()).toBe('out\n');
    expect(frames[0]!.stderr.toString()).toBe('err\n');
    expect(frames[1]!.changes.toString()).toBe('create x\n');
    expect(frames[1]!.stdout.toString()).toBe('no newline');
    expect(frames[2]!.stdout.toString()).toBe('stdin is empty\n');
    expect(frames.every((f) => f.exitCode === 0 && f.durationMs >= 0 && f.startedAt > 1.6e12)).toBe(true);
  });

  it('stops at the first failure unless keepGoing', async () => {
    const stop = await runLocally([op(0, 'exit 3'), op(1, 'echo never')], { mode: 'apply', keepGoing: false });
    expect(stop.frames.map((f) => [f.seq, f.exitCode])).toEqual([[0, 3]]);
    const go = await runLocally([op(0, 'false'), op(1, 'echo ran')], { mode: 'apply', keepGoing: true });
    expect(go.frames.map((f) => [f.seq, f.exitCode])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('tells operations they run in check mode', async () => {
    const { frames } = await runLocally([op(0, 'if simplecm_change "would touch"; then echo touched; fi; echo "check=$SIMPLECM_CHECK"')], { mode: 'check', keepGoing: false });
    expect(frames[0]!.stdout.toString()).toBe('check=1\n');
    expect(frames[0]!.changes.toString()).toBe('would touch\n');
  });

  it('cuts output at the limit and says so', async () => {
    const { frames } = await runLocally([op(0, 'head -c 5000 /dev/zero | tr "\\0" a; echo done >&2'), op(1, 'echo next')], { mode: 'apply', keepGoing: false }, 1000);
    expect(frames[0]!.stdout.length).toBe(1000);
    expect(frames[0]!.stdoutTruncated).toBe(true);
    expect(frames[0]!.stderr.toString()).toBe('done\n');
    expect(frames[0]!.stderrTruncated).toBe(false);
    expect(frames[1]!.stdout.toString()).toBe('next\n');
  });

  it('caps the output kept on the host while the operation runs: first bytes kept, the cut said, the exit status untouched', async () => {
    // 64 writes of 64 KiB (4 MiB in all) at most every 0.02 s, each followed by the size of the
    // file behind the operation's own stdout, sampled by the operation (to stderr, capped too,
    // but far below the limit). Without the cap the file ends at 4 MiB; with it the watchdog cuts
    // it back to the limit once it passed the limit and the slack, so it stays under 2 MiB.
    const write = 'head -c 65536 /dev/zero | tr "\\0" a';
    const body = `printf first; for i in $(seq 64); do ${write}; stat -L -c %s /proc/$BASHPID/fd/1 >&2; sleep 0.02; done; exit 3`;
    const { frames } = await runLocally([op(0, body), op(1, 'echo next')], { mode: 'apply', keepGoing: true }, 16_384);
    const [capped] = frames;
    expect(capped!.exitCode).toBe(3);
    expect(capped!.stdoutTruncated).toBe(true);
    expect(capped!.stdout.length).toBe(16_384);
    expect(capped!.stdout.subarray(0, 8).toString()).toBe('firstaaa');
    const sizes = capped!.stderr.toString().trim().split('\n').map(Number);
    expect(sizes).toHaveLength(64);
    expect(Math.max(...sizes)).toBeGreaterThan(CAP_SLACK_BYTES);
    expect(Math.max(...sizes)).toBeLessThan(2 * 1024 * 1024);
    expect(frames[1]!.stdout.toString()).toBe('next\n');
  }, 30_000);

  it('sends the first bytes of a stream the watchdog emptied, with the change list after it', async () => {
    // Past the limit and the slack the watchdog saves the first bytes and empties the file; the
    // operation waits until its stdout file is empty, then records that as its change and ends:
    // stdout is cut, its file and stderr are empty, and the frame must still carry the first bytes.
    const body = [
      'printf first; head -c 1200000 /dev/zero | tr "\\0" a; p=$BASHPID',
      'for i in $(seq 1000); do if [ "$(stat -L -c %s /proc/$p/fd/1)" = 0 ]; then simplecm_change emptied; break; fi; sleep 0.01; done',
    ].join('\n');
    const { frames, leftover } = await runLocally([op(0, body), op(1, 'echo next')], { mode: 'apply', keepGoing: false }, 16_384);
    expect(leftover).toBe('');
    const [cut, next] = frames;
    expect(cut).toMatchObject({ exitCode: 0, stdoutTruncated: true, stderrTruncated: false });
    expect(cut!.changes.toString()).toBe('emptied\n');
    expect(cut!.stderr.toString()).toBe('');
    expect(cut!.stdout.toString()).toBe(`first${'a'.repeat(16_384 - 5)}`);
    expect(next!.stdout.toString()).toBe('next\n');
  }, 30_000);

  it('kills an operation that runs past its timeout', async () => {
    const { frames } = await runLocally([op(0, 'sleep 30', 1)], { mode: 'apply', keepGoing: false });
    expect(frames[0]!.exitCode).toBe(124);
    expect(frames[0]!.durationMs).toBeLessThan(10_000);
  });

  it('stops, with the whole process group, an operation that ignores TERM or leaves children behind', async () => {
    const tag = `simplecm-driver-test-${process.pid}-${Date.now()}`;
    const { frames } = await runLocally(
      [op(0, `trap "" TERM; (exec -a ${tag} sleep 300) & sleep 300`, 1), op(1, `(exec -a ${tag} sleep 300) & sleep 300`, 1)],
      { mode: 'apply', keepGoing: true },
    );
    expect(frames.map((f) => f.exitCode)).toEqual([137, 124]);
    const left = spawnSync('pgrep', ['-f', tag], { encoding: 'utf8' });
    expect(left.stdout.trim()).toBe('');
  }, 30_000);

  it('runs each operation with set -e in force and none of the driver in sight', async () => {
    const probe = [
      'false',
      'echo after-false',
    ].join('\n');
    const clean = [
      'set +e',
      'declare -F | grep -c . || true',
      'echo "vars:${__d-}${__check-}${__limit-}${__wd-}${__c-}${seq-}"',
      'echo "opts:$-"',
      'echo "args:$#"',
      'ls /proc/$BASHPID/fd | tr "\n" " "',
    ].join('\n');
    for (const keepGoing of [false, true]) {
      const { frames } = await runLocally([op(0, probe), op(1, clean)], { mode: 'apply', keepGoing });
      expect(frames[0]!.exitCode).toBe(1);
      expect(frames[0]!.stdout.toString()).toBe('');
      if (!keepGoing) {
        expect(frames).toHaveLength(1);
        continue;
      }
      const out = frames[1]!.stdout.toString().split('\n');
      // Only the prelude's function (the test prelude defines one).
      expect(out[0]).toBe('1');
      expect(out[1]).toBe('vars:');
      // The same shell options as a new bash running the same script.
      const fresh = spawnSync('bash', ['--noprofile', '--norc', '-c', `${prelude}set +e\necho "opts:$-"`], { encoding: 'utf8' }).stdout.trim();
      expect(out[2]).toBe(fresh.replace('c', '')); // minus -c's own flag
      expect(out[3]).toBe('args:0');
      // Beyond stdin, stdout and stderr, only what any child of this test process inherits: not
      // the watchdog's pipes, which a daemon started by an operation would otherwise hold.
      const inherited = spawnSync('bash', ['-c', 'ls /proc/$$/fd'], { encoding: 'utf8' }).stdout.split('\n');
      const extra = out[4]!.trim().split(' ').filter((fd) => Number(fd) > 2 && !inherited.includes(fd));
      expect(extra).toEqual([]);
    }
  });

  it('reports the change list and output of the same operation', async () => {
    const { frames } = await runLocally([op(0, 'if simplecm_change "a"; then :; fi; if simplecm_change "b"; then echo made; fi'), op(1, 'if simplecm_change "c"; then :; fi')], { mode: 'apply', keepGoing: false });
    expect(frames[0]!.changes.toString()).toBe('a\nb\n');
    expect(frames[0]!.stdout.toString()).toBe('made\n');
    expect(frames[1]!.changes.toString()).toBe('c\n');
    expect(frames[1]!.stdout.toString()).toBe('');
  });

  it('passes scripts with quotes, dollars and newlines through untouched', async () => {
    const tricky = `printf '%s' 'a'"'"'b $HOME \`x\` $(echo y)'`;
    const { frames } = await runLocally([op(0, tricky)], { mode: 'apply', keepGoing: false });
    expect(frames[0]!.stdout.toString()).toBe("a'b $HOME `x` $(echo y)");
  });

  describe('handlers (whenChanged)', () => {
    const change = (what: string) => `if simplecm_change "${what}"; then echo "did ${what}"; fi`;
    const handler = (seq: number, whenChanged: number[], body = 'echo "handler ran check=$SIMPLECM_CHECK"'): DriverOperation => ({ ...op(seq, body), whenChanged });

    it('runs a handler when one of its triggers changed, and skips it (exit -1, nothing else) when none did', async () => {
      const { frames, exit, leftover } = await runLocally(
        [op(0, change('write config')), op(1, 'echo unchanged'), handler(2, [0]), handler(3, [1]), handler(4, [1, 0]), op(5, 'echo after')],
        { mode: 'apply', keepGoing: false },
      );
      expect(exit).toBe(0);
      expect(leftover).toBe('');
      expect(frames.map((f) => [f.seq, f.exitCode])).toEqual([
        [0, 0],
        [1, 0],
        [2, 0],
        [3, HANDLER_SKIPPED_EXIT],
        [4, 0],
        [5, 0],
      ]);
      expect(frames[2]!.stdout.toString()).toBe('handler ran check=0\n');
      const skipped = frames[3]!;
      expect([skipped.stdout.length, skipped.stderr.length, skipped.changes.length, skipped.durationMs]).toEqual([0, 0, 0, 0]);
      expect(skipped.startedAt).toBeGreaterThan(1.6e12);
      expect(frames[5]!.stdout.toString()).toBe('after\n');
    });

    it('counts a handler that changed as a trigger of a later one, and a handler that was skipped as unchanged', async () => {
      const { frames } = await runLocally([op(0, change('a')), handler(1, [0], change('b')), op(2, 'true'), handler(3, [2], change('c')), handler(4, [1]), handler(5, [3])], {
        mode: 'apply',
        keepGoing: false,
      });
      expect(frames.map((f) => f.exitCode)).toEqual([0, 0, 0, HANDLER_SKIPPED_EXIT, 0, HANDLER_SKIPPED_EXIT]);
    });

    it('does not fire on a trigger that failed, even with changes; keepGoing goes on past the skip', async () => {
      const { frames } = await runLocally([op(0, `${change('half')}; exit 4`), handler(1, [0]), op(2, 'echo next')], { mode: 'apply', keepGoing: true });
      expect(frames.map((f) => [f.seq, f.exitCode])).toEqual([
        [0, 4],
        [1, HANDLER_SKIPPED_EXIT],
        [2, 0],
      ]);
    });

    it('stops before a handler when its trigger failed and keepGoing is off', async () => {
      const { frames } = await runLocally([op(0, 'exit 2'), handler(1, [0])], { mode: 'apply', keepGoing: false });
      expect(frames.map((f) => f.seq)).toEqual([0]);
    });

    it('skips a handler that has no trigger in the run', async () => {
      const { frames } = await runLocally([op(0, change('x')), handler(1, [])], { mode: 'apply', keepGoing: false });
      expect(frames.map((f) => f.exitCode)).toEqual([0, HANDLER_SKIPPED_EXIT]);
    });

    it('in check mode runs, in check mode, a handler whose trigger would change', async () => {
      const { frames } = await runLocally([op(0, change('would write')), op(1, 'true'), handler(2, [0], `${change('would reload')}; echo "check=$SIMPLECM_CHECK"`), handler(3, [1])], {
        mode: 'check',
        keepGoing: false,
      });
      expect(frames.map((f) => f.exitCode)).toEqual([0, 0, 0, HANDLER_SKIPPED_EXIT]);
      expect(frames[0]!.stdout.toString()).toBe('');
      expect(frames[2]!.changes.toString()).toBe('would reload\n');
      expect(frames[2]!.stdout.toString()).toBe('check=1\n');
    });

    it('keeps set -e in force inside a handler', async () => {
      const { frames } = await runLocally([op(0, change('x')), handler(1, [0], 'false\necho after-false')], { mode: 'apply', keepGoing: true });
      expect(frames[1]!.exitCode).toBe(1);
      expect(frames[1]!.stdout.toString()).toBe('');
    });
  });

  describe('functions defined once for every operation', () => {
    const functions = 'greet() { printf "hello %s\\n" "$1"; }\n';
    const header = 'set -euo pipefail\n';

    it('are in the driver once, whatever the number of operations, and every operation can call them', async () => {
      const ops = [0, 1, 2].map((seq) => ({ seq, script: `${header}greet op${seq}`, timeoutSeconds: 30 }));
      const script = buildDriverScript(ops, { mode: 'apply', keepGoing: false, marker: newFrameMarker(), functions, journalKey: journalKey(randomUUID(), 'local') });
      expect(script.split('greet() {')).toHaveLength(2);
      const { frames } = await runLocally(ops, { mode: 'apply', keepGoing: false, functions });
      expect(frames.map((f) => [f.exitCode, f.stdout.toString()])).toEqual([
        [0, 'hello op0\n'],
        [0, 'hello op1\n'],
        [0, 'hello op2\n'],
      ]);
    });

    it('are not there without the option (an operation then brings its own)', async () => {
      const { frames } = await runLocally([{ seq: 0, script: `${header}greet x`, timeoutSeconds: 30 }], { mode: 'apply', keepGoing: true });
      expect(frames[0]!.exitCode).toBe(127);
    });

    const becomeOk = process.getuid?.() === 0 && spawnSync('sudo', ['-n', '-u', 'nobody', 'true']).status === 0 ? it : it.skip;
    becomeOk('reach an operation run as another user, whose change list still comes back', async () => {
      const ops = [{ seq: 0, script: `${header}greet "$(id -un)"; simplecm_change "made z" || true`, timeoutSeconds: 30, become: 'nobody' }];
      const withChange = `${functions}simplecm_change() { printf "%s\\n" "$1" >> "$SIMPLECM_CHANGES"; }\n`;
      const { frames } = await runLocally(ops, { mode: 'apply', keepGoing: true, functions: withChange });
      expect(frames[0]!.exitCode).toBe(0);
      expect(frames[0]!.stdout.toString()).toBe('hello nobody\n');
      expect(frames[0]!.changes.toString()).toBe('made z\n');
    });
  });

  // Needs root and sudo on this machine (it is how the tests run here); elsewhere it is skipped.
  const asRoot = process.getuid?.() === 0 && spawnSync('sudo', ['-n', '-u', 'nobody', 'true']).status === 0 ? describe : describe.skip;
  asRoot('an operation run as another user (become)', () => {
    it('runs with its script on stdin, an empty stdin of its own, its change list and exit code back', async () => {
      const body = `id -un; read -r x || echo "stdin is empty"; ${'if simplecm_change "made y"; then :; fi'}; echo err >&2; exit 3`;
      const { frames } = await runLocally([{ ...op(0, body), become: 'nobody' }], { mode: 'apply', keepGoing: true });
      expect(frames).toHaveLength(1);
      expect(frames[0]!.exitCode).toBe(3);
      expect(frames[0]!.stdout.toString()).toBe('nobody\nstdin is empty\n');
      expect(frames[0]!.stderr.toString()).toBe('err\n');
      expect(frames[0]!.changes.toString()).toBe('made y\n');
    });

    it('cannot read the driver, later scripts or other operations\' files', async () => {
      // The secret sits in a later operation; the become operation looks for it (spelled so its
      // own script does not hold it) everywhere a driver keeps files.
      // By name, not by listing: a directory of mode 711 cannot be listed but its files can be read.
      const look = `cat "\${TMPDIR:-/tmp}"/simplecm.*/{driver,op.sh,out,err,changes} 2> /dev/null | grep -q "SECRET-"'4711' && echo "found" || echo "nothing"`;
      const { frames } = await runLocally([op(0, 'echo first-root'), { ...op(1, look), become: 'nobody' }, op(2, 'echo SECRET-4711 > /dev/null')], { mode: 'apply', keepGoing: true });
      expect(frames.map((f) => f.exitCode)).toEqual([0, 0, 0]);
      expect(frames[1]!.stdout.toString()).toBe('nothing\n');
    });

    it('reports a timeout of the other user\'s operation as timeout(1) does', async () => {
      const { frames } = await runLocally([{ ...op(0, 'sleep 30', 1), become: 'nobody' }], { mode: 'apply', keepGoing: true });
      expect(frames[0]!.exitCode).toBe(124);
    });
  });
});
