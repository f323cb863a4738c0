import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { StackError } from './stack-error';
import { which } from './system-commands';

/** A Debian package the local stack needs, and how to tell it is installed. */
export interface DebianPackage {
  readonly name: string;
  /** A command on PATH, or an absolute path that must be executable. */
  readonly probe: string;
}

/** What the demo's stack needs: Redis, SSH test hosts, Cassandra (built with Maven, run on Java 17), sudo. */
export const STACK_PACKAGES: readonly DebianPackage[] = [
  { name: 'redis-server', probe: 'redis-server' },
  { name: 'openssh-server', probe: '/usr/sbin/sshd' },
  { name: 'openjdk-17-jre-headless', probe: '/usr/lib/jvm/java-17-openjdk-amd64/bin/java' },
  { name: 'maven', probe: 'mvn' },
  { name: 'sudo', probe: 'sudo' },
];

/**
 * What `.ci/run` needs on top: docker-compose (compose test), chromium (browser test), and for the
 * containers suite Debian's Docker engine (started by the suite, never as a system service) and
 * mmdebstrap (the local Debian 12 base image).
 */
export const CI_PACKAGES: readonly DebianPackage[] = [
  ...STACK_PACKAGES,
  { name: 'docker-compose', probe: 'docker-compose' },
  { name: 'chromium', probe: '/usr/bin/chromium' },
  { name: 'docker.io', probe: '/usr/sbin/dockerd' },
  { name: 'mmdebstrap', probe: 'mmdebstrap' },
];

/** What to do about missing packages: nothing, install them (root), or tell the person the one line to run. */
export type InstallPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'install'; readonly packages: readonly string[] }
  | { readonly kind: 'ask'; readonly command: string };

/** The decision, without touching the machine: `installed` says whether a probe is satisfied. */
export function installPlan(wanted: readonly DebianPackage[], installed: (probe: string) => boolean, isRoot: boolean): InstallPlan {
  const missing = wanted.filter((pkg) => !installed(pkg.probe)).map((pkg) => pkg.name);
  if (missing.length === 0) return { kind: 'none' };
  if (isRoot) return { kind: 'install', packages: missing };
  return { kind: 'ask', command: `sudo apt-get install -y --no-install-recommends ${missing.join(' ')}` };
}

/** Whether a probe is satisfied on this machine. */
export function probeInstalled(probe: string): boolean {
  if (!probe.startsWith('/')) return which(probe) !== undefined;
  try {
    fs.accessSync(probe, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Thrown as non-root when packages are missing: its message is the single line to run. */
export class MissingPackagesError extends StackError {}

/**
 * Installs the missing packages as root with apt-get, with a policy-rc.d that keeps package
 * scripts from starting system daemons (a system sshd on *:22 would hold the port the test
 * hosts bind; a system Redis is not ours); as non-root throws MissingPackagesError with the
 * `apt-get install` line to run. Shared by the demo and `.ci/run`.
 */
export function ensureDebianPackages(wanted: readonly DebianPackage[], log: (line: string) => void = console.log): void {
  const plan = installPlan(wanted, probeInstalled, process.getuid?.() === 0);
  if (plan.kind === 'none') return;
  if (plan.kind === 'ask') throw new MissingPackagesError(`missing Debian packages; run:\n  ${plan.command}`);
  log(`apt-get install ${plan.packages.join(' ')}`);
  const policy = '/usr/sbin/policy-rc.d';
  fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...plan.packages]]) {
      const result = spawnSync('apt-get', args, { env, encoding: 'utf8' });
      if (result.status !== 0) throw new StackError(`apt-get ${args[0]} failed:\n${(result.stderr || result.stdout || String(result.error)).split('\n').slice(-30).join('\n')}`);
    }
  } finally {
    fs.rmSync(policy, { force: true });
  }
}
