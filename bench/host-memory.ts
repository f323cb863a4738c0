/**
 * What one of the stack's namespaced hosts costs in memory, measured before a scenario asks
 * for many of them: the proportional set size (PSS: shared pages split between the processes
 * that map them) of a running host's `unshare` and its sshd, idle; and what one SSH session
 * adds to a host while it runs (sshd's session processes and the shell), sampled during a
 * `sleep` over OpenSSH. Kernel memory (namespaces, the overlay and tmpfs mounts) is not in
 * PSS; the scenario keeps a margin for it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { hostAddress, stackPaths } from '@simplecm/stack';
import { benchHostNumbers, hostSshdPid, stackKeyFile } from './bench-host-pool';
import { sshArgs } from './lean-bound';
import { processTree } from './proc-stats';
import { spread } from './stats';

export interface HostMemory {
  /** Hosts measured (running bench hosts, up to 20). */
  readonly sampled: number;
  /** Median PSS of an idle host (unshare + sshd), MB. */
  readonly idleMb: number;
  /** PSS one SSH session adds to its host while it runs, MB. */
  readonly sessionMb: number;
  /** MemAvailable when measured, MB. */
  readonly availableMb: number;
}

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** PSS of a host's processes: its sshd tree and the `unshare` above it, KB. */
function hostPssKb(n: number): number | undefined {
  const sshd = hostSshdPid(n);
  if (sshd === undefined) return undefined;
  const unshare = parentPid(sshd);
  return processTree(sshd).reduce((sum, pid) => sum + pssKb(pid), unshare ? pssKb(unshare) : 0);
}

export function memAvailableMb(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Measures running bench hosts (at least one must run: bench host 1). */
export async function measureHostMemory(): Promise<HostMemory> {
  const running = benchHostNumbers(20).filter((n) => hostSshdPid(n) !== undefined);
  if (running.length === 0) throw new Error('no bench host runs: nothing to measure');
  const idle = running.map((n) => hostPssKb(n) ?? 0);
  const probe = running[0]!;
  const before = hostPssKb(probe) ?? 0;
  const ssh = spawn('ssh', [...sshArgs({ dir: '', keyFile: stackKeyFile, knownHosts: stackPaths.knownHosts }), '-l', 'root', hostAddress(probe), 'sleep 3'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => ssh.once('exit', () => resolve()));
  let during = before;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 200));
    during = Math.max(during, hostPssKb(probe) ?? 0);
  }
  await exited;
  return {
    sampled: running.length,
    idleMb: spread(idle).median / 1024,
    sessionMb: Math.max(0, during - before) / 1024,
    availableMb: memAvailableMb(),
  };
}
