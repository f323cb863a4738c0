import fs from 'node:fs';
import { StackError } from './stack-error';

// Daemons the stack starts are known by pid files and checked in /proc.

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
