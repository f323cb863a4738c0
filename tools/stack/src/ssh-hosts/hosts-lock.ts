import fs from 'node:fs';
import path from 'node:path';
import { stackPaths } from '../paths';
import { isAlive, waitFor } from '../process-control';

// One hosts operation at a time, across processes (parallel jest workers all call
// hostsUp) and within one.

let inProcess: Promise<unknown> = Promise.resolve();

export async function withHostsLock<T>(fn: () => Promise<T>): Promise<T> {
  const result = inProcess.then(() => withFileLock(fn));
  inProcess = result.catch(() => undefined);
  return result;
}

async function withFileLock<T>(fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(stackPaths.hostsDir, { recursive: true });
  const lock = path.join(stackPaths.hostsDir, '.lock');
  await waitFor(
    'the hosts lock (another stack command is changing the hosts)',
    () => {
      try {
        fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
        return true;
      } catch {
        try {
          const holder = Number(fs.readFileSync(lock, 'utf8').trim()) || undefined;
          // Empty: its creator is writing the pid right now, unless that was long ago.
          const stale = holder === undefined ? Date.now() - fs.statSync(lock).mtimeMs > 5_000 : !isAlive(holder);
          if (stale) fs.rmSync(lock, { force: true });
        } catch {
          /* released meanwhile: try again */
        }
        return false;
      }
    },
    { timeoutMs: 10 * 60_000, intervalMs: 100 },
  );
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
