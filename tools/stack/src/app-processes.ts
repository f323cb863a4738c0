import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import entryPointsJson from '../../../bin/entry-points.json';
import { repoRoot } from './paths';

/** The launcher every SimpleCM process is started through (also the docker image's entry point). */
export const appLauncher = path.join(repoRoot, 'bin', 'app.cjs');

/** The apps the launcher runs, by name, with their entry points (bin/entry-points.json). */
export const entryPoints = entryPointsJson;
export type AppName = keyof typeof entryPoints;

/** Builds every app whose bundle is missing or older than a source (once, before tests or a benchmark); returns their names. */
export async function buildStaleApps(): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildStale } = require(appLauncher) as { buildStale: () => Promise<string[]> };
  return buildStale();
}

export interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
}

/**
 * Starts one SimpleCM process as `npm run <app>` runs it (plain node on the app's bundle, rebuilt
 * first when a source is newer), with the given environment; its output is kept (and echoed when `echo`).
 */
export function startProcess(app: AppName, args: readonly string[], env: Record<string, string>, { echo = false, prefix = '' } = {}): Started {
  const child = spawn(process.execPath, [appLauncher, app, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
