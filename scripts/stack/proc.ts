import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** A stack component cannot start: the message says which and what to do. */
export class StackError extends Error {
  override readonly name = 'StackError';
}

export interface ComponentStatus {
  readonly name: string;
  readonly running: boolean;
  /** One line a person reads: where it listens, pid, data dir. */
  readonly detail: string;
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number | undefined): pid is number {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is not running.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  { timeoutMs, intervalMs = 200, onTick }: { timeoutMs: number; intervalMs?: number; onTick?: () => void },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new StackError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    onTick?.();
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** SIGTERM, wait, then SIGKILL: returns once the process is gone. */
export async function stopProcess(pid: number | undefined, { graceMs = 10_000 } = {}): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  try {
    await waitFor(`pid ${pid} to exit`, () => !isAlive(pid), { timeoutMs: graceMs, intervalMs: 100 });
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await waitFor(`pid ${pid} to exit after SIGKILL`, () => !isAlive(pid), { timeoutMs: 5_000, intervalMs: 50 });
  }
}

/** Path of an executable on PATH (or in sbin), or undefined. */
export function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const candidate = `${dir}/${cmd}`;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Fails with the apt package to install when a command is missing. */
export function requireCommand(cmd: string, aptPackage: string): string {
  const found = which(cmd);
  if (!found) {
    throw new StackError(`'${cmd}' is not installed: run 'apt-get install -y ${aptPackage}' (or 'bash .ci/run', which installs every prerequisite)`);
  }
  return found;
}

/** Runs a command to completion; throws with its stderr when it fails. */
export function run(cmd: string, args: readonly string[], opts: { cwd?: string; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8' });
  if (r.error) throw new StackError(`${cmd} failed to start: ${r.error.message}`);
  if (r.status !== 0) {
    throw new StackError(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** Refuses to start when another program holds a port we need. */
export async function assertPortFree(host: string, port: number, purpose: string): Promise<void> {
  if (await isPortOpen(host, port)) {
    throw new StackError(
      `port ${host}:${port} (${purpose}) is already taken by another program: stop it (see 'ss -ltnp sport = :${port}') or run 'npm run stack -- down' if it is a stale SimpleCM stack`,
    );
  }
}
