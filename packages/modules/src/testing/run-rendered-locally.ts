import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunMode } from '@simplecm/domain';
import { MODULE_PRELUDE } from '../module-prelude';

export interface LocalRunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The lines of $SIMPLECM_CHANGES. */
  readonly changes: string[];
}

export interface LocalRunOptions {
  /** Extra environment (e.g. a PATH with fake commands first). */
  readonly env?: Readonly<Record<string, string>>;
  /** Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs MODULE_PRELUDE + a rendered body with the local bash, the way the driver runs it on a
 * host (bash --noprofile --norc, LC_ALL=C, no stdin, SIMPLECM_CHECK/SIMPLECM_CHANGES set).
 * For unit tests only: runs in `cwd`, or in a temporary directory removed afterwards.
 */
export function runRenderedLocally(script: string, mode: RunMode, cwd?: string, options: LocalRunOptions = {}): LocalRunResult {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-run-'));
  try {
    const scriptFile = path.join(work, 'op.sh');
    const changesFile = path.join(work, 'changes');
    fs.writeFileSync(scriptFile, MODULE_PRELUDE + script);
    fs.writeFileSync(changesFile, '');
    const run = spawnSync('bash', ['--noprofile', '--norc', scriptFile], {
      cwd: cwd ?? work,
      env: {
        PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: work,
        LC_ALL: 'C',
        SIMPLECM_CHECK: mode === 'check' ? '1' : '0',
        SIMPLECM_CHANGES: changesFile,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 30_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.error) throw run.error;
    const changes = fs.readFileSync(changesFile, 'utf8').split('\n');
    if (changes[changes.length - 1] === '') changes.pop();
    return {
      exitCode: run.status ?? 128 + (run.signal ? os.constants.signals[run.signal] : 0),
      stdout: run.stdout,
      stderr: run.stderr,
      changes,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
