import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDriverScript, DRIVER_COMMAND, newFrameMarker, type DriverOperation } from '../driver-script';
import { createDriverStreamParser } from '../driver-stream';
import type { OperationFrame } from '../frames';
import { forgetJournalCommand, INTERRUPTED_NOTE, journalKey, stopDriverCommand } from '../host-journal';

// The attach logic of the host journal, in a real local bash: deliveries of one host job (same
// journal key, each with its marker), the first one cut off or its driver killed on the way.
const prelude = 'set -euo pipefail\nsimplecm_change() { printf "%s\\n" "$1" >> "$SIMPLECM_CHANGES"; [ "$SIMPLECM_CHECK" = 0 ]; }\n';
let root: string;
let work: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-journal-root-'));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-journal-work-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

interface Delivery {
  readonly child: ChildProcess;
  readonly marker: string;
  /** The frames received so far (live). */
  readonly frames: readonly OperationFrame[];
  readonly done: Promise<{ frames: OperationFrame[]; exit: number | null; stderr: string; streamMarker: string | undefined }>;
}

/** One delivery of the host job `key`: the driver script through DRIVER_COMMAND, its stream parsed. */
function deliver(key: string, ops: DriverOperation[], keepGoing = false): Delivery {
  const frames: OperationFrame[] = [];
  const marker = newFrameMarker();
  const parser = createDriverStreamParser(4096, (f) => frames.push(f));
  const child = spawn('bash', ['-c', DRIVER_COMMAND], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => parser.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.end(buildDriverScript(ops, { mode: 'apply', keepGoing, marker, journalKey: key, journalRoot: root, outputLimitBytes: 4096 }));
  const done = new Promise<{ frames: OperationFrame[]; exit: number | null; stderr: string; streamMarker: string | undefined }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exit) => resolve({ frames, exit, stderr, streamMarker: parser.marker() }));
  });
  return { child, marker, frames, done };
}

/** An operation that appends its name to the log, then waits for `gate` to exist (if given). */
function step(seq: number, name: string, gate?: string, extra = ''): DriverOperation {
  const wait = gate ? `while [ ! -e ${gate} ]; do sleep 0.05; done\n` : '';
  return { seq, script: `${prelude}echo ${name} >> ${work}/log\n${extra}${wait}echo ${name}-out`, timeoutSeconds: 60 };
}

const logLines = () => (fs.existsSync(`${work}/log`) ? fs.readFileSync(`${work}/log`, 'utf8').split('\n').filter(Boolean) : []);

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
}

/** A process's descendants (from /proc/<pid>/task/<tid>/children). */
function descendantsOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) children.push(...fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

const driverPid = (key: string) => Number(fs.readFileSync(path.join(root, key, 'pid'), 'utf8').trim());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('host journal', () => {
  it('a delivery whose connection is lost leaves the driver running; the next one waits for it and gets every frame, none run twice', async () => {
    const key = journalKey(randomUUID(), 'host1');
    const ops = [step(0, 'a'), step(1, 'b', `${work}/gate`), step(2, 'c')];
    const first = deliver(key, ops);
    await until('b to start', () => logLines().includes('b'));
    first.child.kill('SIGKILL'); // the launcher: what a lost SSH connection ends
    await first.done;
    expect(alive(driverPid(key))).toBe(true);

    const second = deliver(key, ops);
    fs.writeFileSync(`${work}/gate`, '');
    const { frames, exit, streamMarker } = await second.done;
    expect(exit).toBe(0);
    expect(streamMarker).toBe(first.marker); // the journal's frames keep the first delivery's marker
    expect(frames.map((f) => [f.seq, f.exitCode, f.stdout.toString()])).toEqual([
      [0, 0, 'a-out\n'],
      [1, 0, 'b-out\n'],
      [2, 0, 'c-out\n'],
    ]);
    expect(logLines()).toEqual(['a', 'b', 'c']);
  }, 30_000);

  it('sends each frame as its operation finishes, while the driver still runs the next', async () => {
    const key = journalKey(randomUUID(), 'host1');
    const delivery = deliver(key, [step(0, 'a'), step(1, 'b', `${work}/gate`)]);
    // b waits for the gate, which only exists once a's frame has arrived: a frame sent at the end would never come.
    await until('a\'s frame while b runs', () => delivery.frames.some((f) => f.seq === 0));
    expect(logLines()).toEqual(['a', 'b']);
    expect(delivery.frames.map((f) => f.seq)).toEqual([0]);
    fs.writeFileSync(`${work}/gate`, '');
    const { frames, exit } = await delivery.done;
    expect(exit).toBe(0);
    expect(frames.map((f) => [f.seq, f.stdout.toString()])).toEqual([[0, 'a-out\n'], [1, 'b-out\n']]);
  }, 30_000);

  it('sends every frame byte for byte and in order, short text ones (printf) between ones with NUL bytes or longer (cat)', async () => {
    const key = journalKey(randomUUID(), 'host1');
    const ops: DriverOperation[] = [
      { seq: 0, script: `${prelude}echo text`, timeoutSeconds: 60 },
      { seq: 1, script: `${prelude}printf 'a\\0b\\0'; printf 'e\\0' >&2`, timeoutSeconds: 60 },
      { seq: 2, script: `${prelude}simplecm_change "made it" || :`, timeoutSeconds: 60 },
      { seq: 3, script: `${prelude}head -c 6000 /dev/zero | tr '\\0' b`, timeoutSeconds: 60 },
      { seq: 4, script: `${prelude}printf 'no newline'`, timeoutSeconds: 60 },
    ];
    const { frames, exit } = await deliver(key, ops).done;
    expect(exit).toBe(0);
    expect(frames.map((f) => [f.seq, f.stdout.toString('latin1'), f.stderr.toString('latin1'), f.changes.toString()])).toEqual([
      [0, 'text\n', '', ''],
      [1, 'a\0b\0', 'e\0', ''],
      [2, '', '', 'made it\n'],
      [3, 'b'.repeat(4096), '', ''],
      [4, 'no newline', '', ''],
    ]);
    expect(frames[3]!.stdoutTruncated).toBe(true);
  }, 30_000);

  it('a finished journal is only read: a third delivery runs nothing and gets the same frames', async () => {
    const key = journalKey(randomUUID(), 'host1');
    const ops = [step(0, 'a'), step(1, 'b')];
    const first = await deliver(key, ops).done;
    const again = await deliver(key, ops).done;
    expect(again.exit).toBe(0);
    expect(again.frames.map((f) => f.stdout.toString())).toEqual(first.frames.map((f) => f.stdout.toString()));
    expect(logLines()).toEqual(['a', 'b']);
  }, 30_000);

  it('a driver killed with everything it ran (host restarted) is resumed: finished operations are not run again, the interrupted one is', async () => {
    const key = journalKey(randomUUID(), 'host1');
    // op 0 changes something; op 2 is its handler: its trigger must be remembered across the restart.
    const ops: DriverOperation[] = [step(0, 'a', undefined, 'simplecm_change "x" || true\n'), step(1, 'b', `${work}/gate`), { ...step(2, 'handler'), whenChanged: [0] }];
    const first = deliver(key, ops);
    await until('b to start', () => logLines().includes('b'));
    const pid = driverPid(key);
    for (const p of [pid, ...descendantsOf(pid)]) process.kill(p, 'SIGSTOP'); // nothing reacts before the kill
    for (const p of [pid, ...descendantsOf(pid)]) process.kill(p, 'SIGKILL'); // the driver and what it ran, as a restart would
    await until('the driver to die', () => !alive(pid));
    await first.done;

    fs.writeFileSync(`${work}/gate`, '');
    const { frames, exit, stderr } = await deliver(key, ops).done;
    expect(exit).toBe(0);
    expect(frames.map((f) => [f.seq, f.exitCode])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    expect(frames[0]!.changes.toString()).toBe('x\n');
    expect(logLines()).toEqual(['a', 'b', 'b', 'handler']); // b was interrupted: its outcome was never known
    expect(stderr).toMatch(/ended without finishing .*while operation 1 ran/);
    // The operation that ran again says so first in its own stderr (the results show it); the others do not.
    expect(frames[1]!.stderr.toString()).toBe(`${INTERRUPTED_NOTE}\n`);
    expect(frames[1]!.stdout.toString()).toBe('b-out\n');
    expect(frames[2]!.stderr.toString()).toBe('');
  }, 30_000);

  it('a failure that stopped the run stays the end of it on the next delivery', async () => {
    const key = journalKey(randomUUID(), 'host1');
    const ops = [step(0, 'a', undefined, 'exit 4\n'), step(1, 'b')];
    const first = await deliver(key, ops).done;
    expect(first.frames.map((f) => f.exitCode)).toEqual([4]);
    const again = await deliver(key, ops).done;
    expect(again.frames.map((f) => f.exitCode)).toEqual([4]);
    expect(logLines()).toEqual(['a']);
  }, 30_000);

  it('stopping the driver (host deadline) ends the run with the frames of what finished', async () => {
    const key = journalKey(randomUUID(), 'host1');
    const ops = [step(0, 'a'), step(1, 'b', `${work}/never`), step(2, 'c')];
    const run = deliver(key, ops);
    await until('b to start', () => logLines().includes('b'));
    expect(spawnSync('bash', ['-c', stopDriverCommand(key, root)]).status).toBe(0);
    const { frames, exit } = await run.done;
    expect(exit).toBe(124);
    expect(frames.map((f) => f.seq)).toEqual([0]);
    expect(logLines()).toEqual(['a', 'b']);
  }, 30_000);

  it('forgetting removes the journal: a new delivery then runs everything again', async () => {
    const key = journalKey(randomUUID(), 'host1');
    const ops = [step(0, 'a')];
    await deliver(key, ops).done;
    expect(fs.existsSync(path.join(root, key))).toBe(true);
    expect(spawnSync('bash', ['-c', forgetJournalCommand(key, root)]).status).toBe(0);
    expect(fs.existsSync(path.join(root, key))).toBe(false);
    await deliver(key, ops).done;
    expect(logLines()).toEqual(['a', 'a']);
  }, 30_000);

  it('keeps the journal private: its directories are 0700, and a root others can write to is refused', async () => {
    const key = journalKey(randomUUID(), 'host1');
    await deliver(key, [step(0, 'a')]).done;
    expect(fs.statSync(path.join(root, key)).mode & 0o777).toBe(0o700);
    fs.chmodSync(root, 0o777);
    const refused = await deliver(journalKey(randomUUID(), 'host1'), [step(0, 'b')]).done;
    expect(refused.exit).toBe(125);
    expect(refused.stderr).toMatch(/mode 0700/);
    expect(logLines()).toEqual(['a']);
  }, 30_000);

  it('removes journals older than a day when a driver finishes (one in EXPIRY_SWEEP_ODDS looks), but not one whose driver still runs', async () => {
    const stale = journalKey(randomUUID(), 'old');
    const running = journalKey(randomUUID(), 'long');
    await deliver(stale, [step(0, 'old')]).done;
    const long = deliver(running, [step(0, 'long', `${work}/gate`)]);
    await until('long to start', () => logLines().includes('long'));
    const dayAgo = ['-d', '2 days ago'];
    spawnSync('touch', [...dayAgo, path.join(root, stale), path.join(root, running)]);
    // Drivers until one swept: (1 - 1/16)^300 ≈ 4e-9 that none did.
    for (let i = 0; i < 300 && fs.existsSync(path.join(root, stale)); i++) {
      await deliver(journalKey(randomUUID(), 'new'), [step(0, `new${i}`)]).done;
      await new Promise((r) => setTimeout(r, 20)); // the sweep runs in the background
    }
    await until('the stale journal to go', () => !fs.existsSync(path.join(root, stale)));
    expect(fs.existsSync(path.join(root, running))).toBe(true);
    fs.writeFileSync(`${work}/gate`, '');
    expect((await long.done).exit).toBe(0);
  }, 120_000);
});
