import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './stack/paths';

const launcher = path.join(repoRoot, 'scripts', 'app.cjs');

/**
 * The entry point of each SimpleCM process. They run as `npm run <app>` runs them: plain node on
 * the app's bundle, rebuilt first when a source is newer (scripts/app.cjs).
 */
export const entryPoints = {
  worker: 'apps/worker/src/main.ts',
  results: 'apps/results/src/main.ts',
  enqueue: 'apps/master/src/enqueue-main.ts',
  read: 'apps/history/src/main.ts',
  dashboard: 'apps/dashboard/src/main.ts',
} as const;

export interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
}

/** Starts one SimpleCM process with the given environment; its output is kept (and echoed when `echo`). */
export function startProcess(entry: keyof typeof entryPoints, args: readonly string[], env: Record<string, string>, { echo = false, prefix = '' } = {}): Started {
  const child = spawn(process.execPath, [launcher, entry, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    if (echo) process.stdout.write(prefix ? text.replace(/^(?=.)/gm, prefix) : text);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, output: () => output, exited };
}

/** SIGTERM and wait; SIGKILL after `graceMs`. */
export async function stopStarted(started: Started, graceMs = 30_000): Promise<void> {
  if (started.child.exitCode !== null || started.child.signalCode !== null) return;
  started.child.kill('SIGTERM');
  const timer = setTimeout(() => started.child.kill('SIGKILL'), graceMs);
  await started.exited;
  clearTimeout(timer);
}
