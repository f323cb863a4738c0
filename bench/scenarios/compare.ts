/**
 * SimpleCM end to end against the raw bound, the lean bound, pyinfra and Ansible on the same
 * hosts and the same ten operations: for each host count and repetition, every system in turn
 * (the order rotates each repetition), SimpleCM, the bounds and pyinfra cold then warm,
 * Ansible cold. Used by the e2e scenario (stack hosts) and the WAN one (the same hosts behind
 * the latency proxy).
 */
import path from 'node:path';
import type { Host } from '@simplecm/domain';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import { ansibleAvailable, runAnsible } from '../ansible-runner';
import { runLean } from '../lean-bound';
import { ensurePyinfra, runPyinfra } from '../pyinfra-runner';
import { timeAvailable } from '../timed-command';
import { startBenchChild, type BenchChild } from '../bench-child';
import { beginWindow, benchDir, createBenchSystem, type BenchProcess, type BenchSystem } from '../bench-system';
import { infraCpu, infraDelta } from '../infra-cpu';
import { machineCpu } from '../proc-stats';
import type { RawFanoutResult } from '../raw-fanout';
import { runPhases } from '../run-phases';
import type { CostFigures, RunSample, WorkloadState } from '../samples';
import { spread } from '../stats';
import { stackKeyFile, waitForServices } from '../bench-host-pool';
import { benchOperations, OPERATIONS_PER_HOST, renderScripts } from '../workload';
import { closeAll, errorMessage } from '@simplecm/kernel';

export interface CompareOptions {
  readonly scenario: RunSample['scenario'];
  readonly hostCounts: readonly number[];
  readonly repeat: number;
  /** Ansible runs per host count (cold); 0 leaves Ansible out. */
  readonly ansibleRepeat: number;
  readonly ansibleStrategy: 'free' | 'linear';
  readonly ansibleForks: number;
  readonly workerCounts: readonly number[];
  /** Worker processes of an extra SimpleCM set run from TypeScript by tsx (0: none). */
  readonly tsxWorkers: number;
  /** Worker processes of an extra SimpleCM set whose runs go through a resident master (0: none). */
  readonly masterWorkers: number;
  /** More worker flags (the 1,000-host scenario gives SSH handshakes longer than the default). */
  readonly workerArgs?: readonly string[];
  /** Whether every system first runs once unmeasured at the smallest host count (default true). */
  readonly warmUp?: boolean;
  /** Host counts at which Ansible and pyinfra run (slow; by default the smallest and largest). */
  readonly ansibleHostCounts: readonly number[];
  /** pyinfra runs (cold, then warm) per host count; 0 leaves pyinfra out. */
  readonly pyinfraRepeat: number;
  /** Whether the lean bound (OpenSSH + a hand-written bash script) runs beside the raw bound. */
  readonly lean: boolean;
  /** The inventory's hosts for a count (addresses the clients connect to). */
  readonly hostsFor: (n: number) => Host[];
  readonly knownHosts: string;
  /** Makes sure hosts 1…n are up (called before every system's turn). */
  readonly ensureHosts: (n: number) => Promise<void>;
  readonly runTimeoutMs: number;
  readonly log: (line: string) => void;
  readonly onSample?: (sample: RunSample) => void;
  /** Something worth a line in the report (a process that died, and why). */
  readonly note?: (text: string) => void;
}

interface SimplecmSetup {
  readonly workers: number;
  readonly runner: 'app' | 'tsx' | 'master';
  readonly system: BenchSystem;
  workerProcesses: BenchProcess[];
  results: BenchProcess;
  /** The resident master the runs are submitted to (runner `master` only). */
  master: BenchProcess | undefined;
}

const runnerSuffix: Record<SimplecmSetup['runner'], string> = { app: '', tsx: ' tsx', master: ' master' };

type Turn = { kind: 'simplecm'; setup: SimplecmSetup } | { kind: 'raw' } | { kind: 'lean' } | { kind: 'pyinfra' } | { kind: 'ansible' };

function sumCosts(costs: readonly CostFigures[]): CostFigures {
  return { cpuSeconds: costs.reduce((s, c) => s + c.cpuSeconds, 0), peakRssMb: Math.max(...costs.map((c) => c.peakRssMb)) };
}

async function setOperations(system: BenchSystem, hosts: readonly Host[], tag: string): Promise<void> {
  const ops = benchOperations(tag);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < hosts.length) await system.inventory.putOperations(hosts[next++]!.hostname, ops);
    }),
  );
}

function checkCounts(what: string, state: WorkloadState, hosts: number, c: { ok: number; changed: number; failed: number; other: number }): void {
  const total = hosts * OPERATIONS_PER_HOST;
  const fine = c.failed === 0 && c.other === 0 && c.ok + c.changed === total && (state === 'cold' ? c.changed >= hosts : c.changed === 0);
  if (!fine) throw new Error(`${what}: unexpected outcome for a ${state} run of ${hosts} hosts: ok ${c.ok}, changed ${c.changed}, failed ${c.failed}, other ${c.other}`);
}

export async function runComparison(o: CompareOptions): Promise<RunSample[]> {
  const samples: RunSample[] = [];
  const counts = [...o.hostCounts].sort((a, b) => a - b);
  const maxN = counts[counts.length - 1]!;
  const suffix = Date.now().toString(36);
  const modules = loadModules(resolveModulesDir(undefined));
  const withAnsible = o.ansibleRepeat > 0 && ansibleAvailable();
  if (o.ansibleRepeat > 0 && !withAnsible) o.log('ansible-playbook or /usr/bin/time missing (apt-get install -y ansible time): Ansible rows left out');
  const withLean = o.lean && timeAvailable();
  if (o.lean && !withLean) o.log('/usr/bin/time missing (apt-get install -y time): lean bound rows left out');
  let pyinfraExe: string | undefined;
  if (o.pyinfraRepeat > 0) {
    try {
      pyinfraExe = await ensurePyinfra(benchDir, o.log);
    } catch (error) {
      const text = `${o.scenario}: pyinfra rows left out: ${errorMessage(error).split('\n').slice(0, 3).join(' / ')}`;
      o.log(text);
      o.note?.(text);
    }
  }
  const record = (s: RunSample) => {
    samples.push(s);
    o.onSample?.(s);
  };

  await o.ensureHosts(maxN);
  const env = { SIMPLECM_KNOWN_HOSTS: o.knownHosts };
  const setups: SimplecmSetup[] = [];
  const workerArgs = ['--concurrency', String(Math.min(1000, maxN)), ...(o.workerArgs ?? [])];
  /** A SimpleCM process that died is reported and its set started again, so one crash costs one attempt. */
  const restartIfDead = async (s: SimplecmSetup, where: string) => {
    const dead = [...s.workerProcesses, s.results, ...(s.master ? [s.master] : [])].filter((p) => p.started.child.exitCode !== null || p.started.child.signalCode !== null);
    if (dead.length === 0) return;
    const why = dead[0]!.started.output().split('\n').filter((l) => /Error|error|exited|timeout/.test(l)).slice(-3).join(' / ');
    const text = `${o.scenario}: ${dead.map((p) => p.name).join(', ')} (${s.runner}) exited during ${where}: ${why.slice(0, 400)}; restarted, the attempt repeated`;
    o.log(text);
    o.note?.(text);
    await s.system.stopProcesses();
    s.workerProcesses = await s.system.startWorkers(s.workers, workerArgs);
    s.results = await s.system.startResults();
    if (s.master) s.master = await s.system.startMaster();
  };
  let raw: BenchChild | undefined;
  try {
    let keyspace: string | undefined;
    const sets: Array<{ workers: number; runner: SimplecmSetup['runner'] }> = [
      ...o.workerCounts.map((workers) => ({ workers, runner: 'app' as const })),
      ...(o.masterWorkers > 0 ? [{ workers: o.masterWorkers, runner: 'master' as const }] : []),
      ...(o.tsxWorkers > 0 ? [{ workers: o.tsxWorkers, runner: 'tsx' as const }] : []),
    ];
    for (const { workers, runner } of sets) {
      const system = await createBenchSystem(`${o.scenario}${workers}w${runner === 'app' ? '' : runner[0]}`, { keyspace, env, runner: runner === 'tsx' ? 'tsx' : 'app' });
      keyspace ??= system.keyspace;
      // Enough concurrency for every host at once, as the raw bound has.
      const workerProcesses = await system.startWorkers(workers, workerArgs);
      const results = await system.startResults();
      // Its own queue prefix: only this set's `enqueue` sees the master and submits to it.
      const master = runner === 'master' ? await system.startMaster() : undefined;
      setups.push({ workers, runner, system, workerProcesses, results, master });
    }
    raw = await startBenchChild('raw-fanout-main.ts');
    o.log(`${o.scenario}: processes up (${setups.map((x) => `${x.workers} worker(s)${runnerSuffix[x.runner]}`).join(', ')}, results consumers, raw fan-out), keyspace ${keyspace}`);

    const simplecmRun = async (s: SimplecmSetup, n: number, state: WorkloadState, rep: number): Promise<RunSample> => {
      const window = beginWindow([...s.workerProcesses, s.results, ...(s.master ? [s.master] : [])]);
      const infra0 = infraCpu(n);
      const cpu0 = machineCpu();
      const enqueue = await s.system.enqueue([]);
      if (enqueue.code !== 0 || !enqueue.runId) throw new Error(`enqueue exited ${enqueue.code}: ${enqueue.output.slice(-2000)}`);
      if (s.master && !enqueue.output.includes('submitted to the masters')) throw new Error(`enqueue planned the run itself instead of submitting it to the resident master: ${enqueue.output.slice(-1000)}`);
      const row = await s.system.waitRunFinished(enqueue.runId, o.runTimeoutMs);
      const cpu1 = machineCpu();
      const infra = infraDelta(infra0, infraCpu(n));
      const costs = window();
      const finishedAt = row.finishedAt?.getTime() ?? Date.now();
      checkCounts(`SimpleCM ${s.workers}w ${s.runner}`, state, n, { ok: row.counts.ok, changed: row.counts.changed, failed: row.counts.failed, other: row.counts.skipped + row.counts.unreachable });
      if (row.hostsDone !== n) throw new Error(`run finished with ${row.hostsDone} of ${n} hosts`);
      const phases = await runPhases(s.system, enqueue.runId, enqueue, finishedAt);
      return {
        scenario: o.scenario,
        hosts: n,
        system: 'simplecm',
        workers: s.workers,
        runner: s.runner,
        state,
        rep,
        wallMs: finishedAt - enqueue.spawnedAt,
        costs: {
          worker: sumCosts(costs.slice(0, s.workerProcesses.length)),
          results: costs[s.workerProcesses.length]!,
          ...(s.master ? { master: costs[s.workerProcesses.length + 1]! } : {}),
          ...(enqueue.cost ? { enqueue: enqueue.cost } : {}),
        },
        phases,
        machineBusy: (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total),
        infra,
      };
    };

    const rawRun = async (n: number, hosts: readonly Host[], state: WorkloadState, rep: number): Promise<RunSample> => {
      const child = raw!;
      const window = beginWindow([child]);
      const infra0 = infraCpu(n);
      const cpu0 = machineCpu();
      const result = await child.request<RawFanoutResult>({ op: 'go' });
      const cpu1 = machineCpu();
      const infra = infraDelta(infra0, infraCpu(n));
      const [cost] = window();
      const bad = result.hosts.find((h) => h.error || h.ops !== OPERATIONS_PER_HOST);
      if (bad) throw new Error(`raw bound: ${bad.hostname}: ${bad.error ?? `${bad.ops} operations reported`}`);
      const sum = (k: 'failed' | 'changed') => result.hosts.reduce((a, h) => a + h[k], 0);
      checkCounts('raw bound', state, n, { ok: n * OPERATIONS_PER_HOST - sum('changed') - sum('failed'), changed: sum('changed'), failed: sum('failed'), other: 0 });
      void hosts;
      return {
        scenario: o.scenario,
        hosts: n,
        system: 'raw',
        workers: 0,
        state,
        rep,
        wallMs: result.wallMs,
        costs: { raw: cost! },
        rawHost: { connectMedMs: spread(result.hosts.map((h) => h.connectMs)).median, execMedMs: spread(result.hosts.map((h) => h.execMs)).median },
        machineBusy: (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total),
        infra,
      };
    };

    /** A sample of a client run under /usr/bin/time (Ansible, pyinfra, the lean bound). */
    const peerSample = (n: number, system: 'ansible' | 'pyinfra' | 'lean', state: WorkloadState, rep: number, run: { wallMs: number; cpuSeconds: number; maxRssMb: number }, busy: number, total: number, infra: RunSample['infra']): RunSample => ({
      scenario: o.scenario,
      hosts: n,
      system,
      workers: 0,
      state,
      rep,
      wallMs: run.wallMs,
      costs: { [system]: { cpuSeconds: run.cpuSeconds, peakRssMb: run.maxRssMb } },
      machineBusy: busy / total,
      infra,
    });

    const turn = async (t: Turn, n: number, hosts: Host[], rep: number, tag: string): Promise<RunSample[]> => {
      switch (t.kind) {
        case 'simplecm': {
          await setOperations(t.setup.system, hosts, tag);
          const cold = await simplecmRun(t.setup, n, 'cold', rep);
          const warm = await simplecmRun(t.setup, n, 'warm', rep);
          return [cold, warm];
        }
        case 'raw': {
          const targets = hosts.map((h) => ({ hostname: h.hostname, address: h.address, port: h.port, user: h.user }));
          await raw!.request({ op: 'prepare', hosts: targets, tag, keyFile: stackKeyFile, knownHosts: o.knownHosts });
          return [await rawRun(n, hosts, 'cold', rep), await rawRun(n, hosts, 'warm', rep)];
        }
        case 'lean': {
          const leanRun = async (state: WorkloadState): Promise<RunSample> => {
            const infra0 = infraCpu(n);
            const cpu0 = machineCpu();
            const run = await runLean(hosts, benchOperations(tag), { dir: path.join(benchDir, 'lean', o.scenario), keyFile: stackKeyFile, knownHosts: o.knownHosts });
            const cpu1 = machineCpu();
            if (run.hosts !== n || run.failed > 0) throw new Error(`lean bound: ${run.hosts} of ${n} hosts answered, ${run.failed} operations failed: ${run.log.slice(-1500)}`);
            checkCounts('lean bound', state, n, { ok: n * OPERATIONS_PER_HOST - run.changed, changed: run.changed, failed: 0, other: 0 });
            return peerSample(n, 'lean', state, rep, run, cpu1.busy - cpu0.busy, cpu1.total - cpu0.total, infraDelta(infra0, infraCpu(n)));
          };
          return [await leanRun('cold'), await leanRun('warm')];
        }
        case 'pyinfra': {
          const pyRun = async (state: WorkloadState): Promise<RunSample> => {
            const infra0 = infraCpu(n);
            const cpu0 = machineCpu();
            const run = await runPyinfra(pyinfraExe!, hosts, benchOperations(tag), { dir: path.join(benchDir, 'pyinfra', o.scenario), keyFile: stackKeyFile, knownHosts: o.knownHosts });
            const cpu1 = machineCpu();
            if (run.errors > 0 || run.operations !== n * OPERATIONS_PER_HOST) throw new Error(`pyinfra: ${run.operations} operations in its results, ${run.errors} errors: ${run.log.slice(-1500)}`);
            checkCounts('pyinfra', state, n, { ok: run.noChange, changed: run.changed, failed: run.errors, other: 0 });
            return peerSample(n, 'pyinfra', state, rep, run, cpu1.busy - cpu0.busy, cpu1.total - cpu0.total, infraDelta(infra0, infraCpu(n)));
          };
          return [await pyRun('cold'), await pyRun('warm')];
        }
        case 'ansible': {
          const infra0 = infraCpu(n);
          const cpu0 = machineCpu();
          const run = await runAnsible(hosts, renderScripts(modules, benchOperations(tag)), {
            dir: path.join(benchDir, 'ansible', o.scenario),
            keyFile: stackKeyFile,
            knownHosts: o.knownHosts,
            forks: o.ansibleForks,
            strategy: o.ansibleStrategy,
          });
          const cpu1 = machineCpu();
          const infra = infraDelta(infra0, infraCpu(n));
          if (run.failed + run.unreachable > 0 || run.ok !== n * OPERATIONS_PER_HOST) {
            throw new Error(`ansible: ok ${run.ok}, failed ${run.failed}, unreachable ${run.unreachable}: ${run.log.slice(-1500)}`);
          }
          return [peerSample(n, 'ansible', 'cold', rep, run, cpu1.busy - cpu0.busy, cpu1.total - cpu0.total, infra)];
        }
      }
    };

    const turnName = (t: Turn) => (t.kind === 'simplecm' ? `simplecm ${t.setup.workers}w${runnerSuffix[t.setup.runner]}` : t.kind);
    let inventoryHosts = 0;
    for (const n of counts) {
      await o.ensureHosts(n);
      const hosts = o.hostsFor(n);
      // The inventory holds exactly the first n hosts (counts only grow).
      if (inventoryHosts < n) {
        await setups[0]!.system.putDesiredState(hosts.slice(inventoryHosts).map((host) => ({ host, operations: benchOperations(`warmup-${suffix}`) })));
        inventoryHosts = n;
      }
      if (n === counts[0] && o.warmUp !== false) {
        o.log(`${o.scenario}: warm-up run on every system (not measured)`);
        for (const t of [...setups.map((setup): Turn => ({ kind: 'simplecm', setup })), { kind: 'raw' } as Turn, ...(withLean ? [{ kind: 'lean' } as Turn] : []), ...(pyinfraExe ? [{ kind: 'pyinfra' } as Turn] : [])]) {
          for (let attempt = 0; ; attempt++) {
            try {
              for (const s of setups) await restartIfDead(s, 'the warm-up');
              await turn(t, n, hosts, -1, `warmup-${suffix}-${turnName(t).replace(/\s/g, '')}-a${attempt}`);
              break;
            } catch (error) {
              if (attempt >= 4) throw error;
              o.log(`${o.scenario} warm-up, ${turnName(t)}: attempt ${attempt + 1} failed (${errorMessage(error).split('\n')[0]}); trying again`);
              await waitForServices(o.log);
              await new Promise((r) => setTimeout(r, 2_000 * (attempt + 1)));
            }
          }
        }
      }
      for (let rep = 0; rep < o.repeat; rep++) {
        const turns: Turn[] = [...setups.map((setup): Turn => ({ kind: 'simplecm', setup })), { kind: 'raw' }];
        if (withLean) turns.push({ kind: 'lean' });
        if (pyinfraExe && rep < o.pyinfraRepeat && o.ansibleHostCounts.includes(n)) turns.push({ kind: 'pyinfra' });
        if (withAnsible && rep < o.ansibleRepeat && o.ansibleHostCounts.includes(n)) turns.push({ kind: 'ansible' });
        const order = turns.map((_, i) => turns[(i + rep) % turns.length]!);
        for (const t of order) {
          for (let attempt = 0; ; attempt++) {
            const tag = `${o.scenario}-n${n}-r${rep}-${turnName(t).replace(/\s/g, '')}-${suffix}-a${attempt}`;
            try {
              await o.ensureHosts(n);
              for (const s of setups) await restartIfDead(s, `${n} hosts, rep ${rep + 1}`);
              const got = await turn(t, n, hosts, rep, tag);
              for (const s of got) record(s);
              o.log(`${o.scenario} ${n} hosts, rep ${rep + 1}/${o.repeat}, ${turnName(t)}: ${got.map((s) => `${s.state} ${(s.wallMs / 1000).toFixed(2)} s`).join(', ')}`);
              break;
            } catch (error) {
              const message = errorMessage(error);
              if (attempt >= 4) throw error;
              o.log(`${o.scenario} ${n} hosts, rep ${rep + 1}, ${turnName(t)}: attempt ${attempt + 1} failed (${message.split('\n')[0]}); trying again`);
              await waitForServices(o.log);
              await new Promise((r) => setTimeout(r, 2_000 * (attempt + 1)));
            }
          }
        }
      }
    }
    return samples;
  } finally {
    await raw?.close().catch(() => undefined);
    await closeAll(setups.map((s) => () => s.system.close())).catch((e: unknown) => o.log(`close: ${errorMessage(e)}`));
  }
}
