import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { StackError } from './stack-error';

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
