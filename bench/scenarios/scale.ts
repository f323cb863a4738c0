/**
 * The 1,000-host scenario (`--only scale1000`, `--big-hosts N`): SimpleCM with 1 and 3 workers
 * against the raw bound on N of the stack's namespaced hosts, cold and warm, with the workers'
 * CPU and peak RSS per host. It measures what a host costs in memory first and refuses, before
 * starting any, when the machine cannot hold them. Not in the default set: bringing up a
 * thousand hosts and running them three ways takes minutes.
 */
import { SimpleCmError } from '@simplecm/kernel';
import { stackPaths } from '@simplecm/stack';
import type { BenchOptions } from '../bench-options';
import { benchHostNumbers, hostSshdPid, stackHosts } from '../bench-host-pool';
import { measureHostMemory, type HostMemory } from '../host-memory';
import type { RunSample } from '../samples';
import { runComparison } from './compare';

/** Kept free beyond the hosts: the workers, the results consumer, the raw fan-out, the kernel's share of each host. */
const MARGIN_MB = 1536;

export interface ScaleResult {
  readonly hosts: number;
  readonly memory: HostMemory;
  /** Bench hosts already running when the scenario started. */
  readonly running: number;
  /** What the scenario estimated it needs on top (MB) and how much was available. */
  readonly needMb: number;
}

/** The machine cannot hold the hosts asked for: the message says how many it can. */
export class ScaleRefusedError extends SimpleCmError<'not-enough-memory'> {
  override readonly name = 'ScaleRefusedError';
  readonly code = 'not-enough-memory' as const;
}

export async function runScale(
  options: BenchOptions,
  io: { log: (line: string) => void; ensureHosts: (n: number) => Promise<void>; onSample: (s: RunSample) => void; note: (text: string) => void },
): Promise<ScaleResult> {
  const n = options.bigHosts;
  await io.ensureHosts(1);
  const memory = await measureHostMemory();
  const running = benchHostNumbers(n).filter((k) => hostSshdPid(k) !== undefined).length;
  // The hosts still to start, idle, and every host holding one session at once during a run.
  const needMb = (n - running) * memory.idleMb + n * memory.sessionMb + MARGIN_MB;
  const line =
    `scale: a stack host takes ${memory.idleMb.toFixed(2)} MB idle (PSS of unshare + sshd, median of ${memory.sampled}) and ${memory.sessionMb.toFixed(2)} MB more per SSH session; ` +
    `${n} hosts (${running} running) need ≈ ${Math.round(needMb)} MB more with ${MARGIN_MB} MB for the clients and the kernel; ${Math.round(memory.availableMb)} MB available`;
  io.log(line);
  io.note(line);
  if (needMb > memory.availableMb * 0.8) {
    throw new ScaleRefusedError(
      `refusing ${n} hosts: they need ≈ ${Math.round(needMb)} MB and only ${Math.round(memory.availableMb)} MB are available (80 % of it may be used); try --big-hosts ${Math.max(1, Math.floor(((memory.availableMb * 0.8 - MARGIN_MB) / Math.max(0.01, memory.idleMb + memory.sessionMb)) / 50) * 50)}`,
    );
  }
  io.log(`scale: bringing up ${n} bench hosts`);
  await io.ensureHosts(n);
  await runComparison({
    scenario: 'scale',
    hostCounts: [n],
    repeat: options.repeat,
    ansibleRepeat: 0,
    ansibleStrategy: options.ansibleStrategy,
    ansibleForks: options.ansibleForks,
    pyinfraRepeat: 0,
    lean: false,
    workerCounts: [1, 3],
    tsxWorkers: 0,
    masterWorkers: 0,
    // A thousand key exchanges at once on two cores take longer than the worker's default
    // connect timeout (the raw bound has none): without this, most hosts end unreachable.
    // Three workers of 1,000 host jobs each on two cores lag their event loops past the 10 s job
    // lock, and BullMQ then gives hosts up as stalled although no worker died: a longer lock here.
    workerArgs: ['--connect-timeout', '300000', '--lock-duration', '120000'],
    // A thousand hosts run three ways take minutes a run: no unmeasured warm-up runs.
    warmUp: false,
    ansibleHostCounts: [],
    hostsFor: (m) => stackHosts(m),
    knownHosts: stackPaths.knownHosts,
    ensureHosts: io.ensureHosts,
    runTimeoutMs: 20 * 60_000,
    log: io.log,
    onSample: io.onSample,
    note: io.note,
  });
  return { hosts: n, memory, running, needMb };
}
