/**
 * A command run the way the bench runs a peer's client (Ansible, pyinfra, the lean bound):
 * under /usr/bin/time, for the wall time, the CPU of the command and of every process it
 * waited for, and the largest peak RSS of any one of them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TimedCommandOptions {
  /** Working directory; time's figures are written to `time.txt` in it. */
  readonly dir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed (default: no stdin). */
  readonly input?: string;
}

export interface TimedCommand {
  readonly code: number | null;
  readonly wallMs: number;
  /** User + system CPU of the command and all the processes it waited for. */
  readonly cpuSeconds: number;
  /** Largest peak RSS of any single one of those processes. */
  readonly maxRssMb: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function timeAvailable(): boolean {
  return fs.existsSync('/usr/bin/time');
}

export async function runTimed(command: string, args: readonly string[], o: TimedCommandOptions): Promise<TimedCommand> {
  fs.mkdirSync(o.dir, { recursive: true });
  const timeFile = path.join(o.dir, 'time.txt');
  fs.rmSync(timeFile, { force: true });
  const t0 = Date.now();
  const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', command, ...args], {
    cwd: o.dir,
    env: o.env ?? process.env,
    stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  if (o.input !== undefined) child.stdin!.end(o.input);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  const wallMs = Date.now() - t0;
  const last = fs.existsSync(timeFile) ? fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()! : '';
  const [, user, sys, maxKb] = last.split(' ').map(Number) as [number, number, number, number];
  return { code, wallMs, cpuSeconds: (user ?? Number.NaN) + (sys ?? Number.NaN), maxRssMb: (maxKb ?? Number.NaN) / 1024, stdout, stderr };
}
