/** The markdown report: the comparison table, SimpleCM's phases, the scale scenarios, the targets. */
import type { BenchOptions } from './bench-options';
import type { EnqueueScaleSample, ResultsThroughputSample, RunSample, WorkerFootprintSample } from './samples';
import type { HotPathsResult } from './scenarios/hot-paths';
import type { ProfileResult } from './scenarios/profile';
import type { ScaleResult } from './scenarios/scale';
import { formatSpread, spread, type Spread } from './stats';

export interface BenchResults {
  startedAt: string;
  command: string;
  options: BenchOptions;
  machine: { cpus: number; memGiB: number; node: string };
  e2e: RunSample[];
  wan: RunSample[];
  enqueue?: EnqueueScaleSample;
  results?: ResultsThroughputSample;
  footprint?: WorkerFootprintSample;
  hotPaths?: HotPathsResult;
  profile?: ProfileResult;
  /** The scale1000 scenario: its runs, and the host memory it measured first. */
  scale?: { samples: RunSample[]; result?: ScaleResult };
  notes: string[];
  durationSeconds?: number;
}

/** One row of the comparison: a system configuration at a host count. */
export interface Row {
  readonly hosts: number;
  readonly system: RunSample['system'];
  readonly workers: number;
  readonly runner: 'app' | 'tsx' | 'master' | undefined;
  readonly state: RunSample['state'];
  readonly label: string;
  readonly wall: Spread;
  /** Paired per repetition: this run ÷ the raw bound's run of the same repetition and state. */
  readonly vsRaw: Spread;
  /** Paired per repetition, the same against the lean bound (OpenSSH + bash, xargs -P). */
  readonly vsLean: Spread;
  /** This median ÷ SimpleCM's (1 worker) median at the same host count and state. */
  readonly vsSimplecm: number;
  /** Ansible's median (cold) ÷ this median: how many times faster than Ansible. */
  readonly vsAnsible: number;
  readonly samples: RunSample[];
}

export function rowLabel(s: Pick<RunSample, 'system' | 'workers' | 'runner'>): string {
  if (s.system === 'simplecm') return `SimpleCM, ${s.workers} worker${s.workers > 1 ? 's' : ''}${s.runner === 'tsx' ? ', run by tsx' : s.runner === 'master' ? ', resident master' : ''}`;
  return systemLabels[s.system];
}

const systemLabels: Record<Exclude<RunSample['system'], 'simplecm'>, string> = {
  raw: 'raw bound (ssh2 fan-out)',
  lean: 'lean bound (OpenSSH + bash, xargs -P)',
  pyinfra: 'pyinfra',
  ansible: 'Ansible',
};

/** SimpleCM as a user starts it without a resident master, with one worker: what the other rows are compared with. */
const runnerOrder: Record<'app' | 'tsx' | 'master', number> = { app: 0, master: 1, tsx: 2 };

function isBaseline(r: Pick<RunSample, 'system' | 'workers' | 'runner'>): boolean {
  return r.system === 'simplecm' && r.workers === 1 && (r.runner ?? 'app') === 'app';
}

export function comparisonRows(samples: readonly RunSample[]): Row[] {
  const groups = new Map<string, RunSample[]>();
  for (const s of samples) {
    const key = `${s.hosts}|${s.system}|${s.workers}|${s.runner ?? ''}|${s.state}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const systemOrder: Record<RunSample['system'], number> = { simplecm: 0, raw: 1, lean: 2, pyinfra: 3, ansible: 4 };
  const rows: Row[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const pairOf = (system: 'raw' | 'lean', s: RunSample) => samples.find((r) => r.system === system && r.hosts === s.hosts && r.state === s.state && r.rep === s.rep);
    const pairedRatio = (system: 'raw' | 'lean') => spread(group.flatMap((s) => { const p = pairOf(system, s); return p ? [s.wallMs / p.wallMs] : []; }));
    const simplecm = spread(samples.filter((r) => isBaseline(r) && r.hosts === first.hosts && r.state === first.state).map((r) => r.wallMs));
    const ansible = spread(samples.filter((r) => r.system === 'ansible' && r.hosts === first.hosts).map((r) => r.wallMs));
    const wall = spread(group.map((s) => s.wallMs / 1000));
    rows.push({
      hosts: first.hosts,
      system: first.system,
      workers: first.workers,
      runner: first.runner,
      state: first.state,
      label: rowLabel(first),
      wall,
      vsRaw: pairedRatio('raw'),
      vsLean: pairedRatio('lean'),
      vsSimplecm: simplecm.n > 0 ? wall.median / (simplecm.median / 1000) : Number.NaN,
      vsAnsible: ansible.n > 0 ? ansible.median / 1000 / wall.median : Number.NaN,
      samples: group,
    });
  }
  return rows.sort((a, b) => a.hosts - b.hosts || systemOrder[a.system] - systemOrder[b.system] || runnerOrder[a.runner ?? 'app'] - runnerOrder[b.runner ?? 'app'] || a.workers - b.workers || a.state.localeCompare(b.state));
}

const roleNames: Record<string, string> = { worker: 'worker', results: 'results', enqueue: 'enqueue', raw: 'fan-out', lean: 'xargs + ssh clients', pyinfra: 'pyinfra + children', ansible: 'ansible + children' };

function costCell(row: Row, field: 'cpuSeconds' | 'peakRssMb'): string {
  const roles = [...new Set(row.samples.flatMap((s) => Object.keys(s.costs)))];
  const decimals = field === 'cpuSeconds' ? 2 : 0;
  return roles
    .map((role) => {
      const values = row.samples.map((s) => s.costs[role]?.[field]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      const label = role === 'worker' && row.workers > 1 ? `${row.workers} workers` : roleNames[role] ?? role;
      return `${label} ${spread(values).median.toFixed(decimals)}`;
    })
    .join(' · ');
}

function sec(ms: number | undefined): string {
  return ms === undefined ? '–' : (ms / 1000).toFixed(1);
}

function ratio(x: number, decimals = 2): string {
  return Number.isFinite(x) ? `${x.toFixed(decimals)}×` : '–';
}

export function comparisonTable(samples: readonly RunSample[]): string {
  const lines = [
    '| hosts | system | state | wall s, median (min–max) | ÷ raw bound, median (min–max) | ÷ lean bound, median (min–max) | ÷ SimpleCM 1 worker | Ansible ÷ this | CPU s per process | peak RSS MB per process |',
    '|---:|---|---|---:|---:|---:|---:|---:|---|---|',
  ];
  const paired = (r: Row, system: 'raw' | 'lean', x: Spread) => (r.system === system ? '1×' : x.n === 0 ? '–' : `${ratio(x.median)} (${x.min.toFixed(2)}–${x.max.toFixed(2)})`);
  for (const r of comparisonRows(samples)) {
    const vsScm = isBaseline(r) ? '1×' : ratio(r.vsSimplecm);
    lines.push(
      `| ${r.hosts} | ${r.label} | ${r.state} | ${formatSpread(r.wall)} | ${paired(r, 'raw', r.vsRaw)} | ${paired(r, 'lean', r.vsLean)} | ${vsScm} | ${r.system === 'ansible' ? '1×' : ratio(r.vsAnsible, 1)} | ${costCell(r, 'cpuSeconds')} | ${costCell(r, 'peakRssMb')} |`,
    );
  }
  return lines.join('\n');
}

export function phasesTable(samples: readonly RunSample[]): string {
  const lines = [
    '| hosts | workers | state | enqueue process | spawn → first host | first → last host | last host → run finished | per host: set-up | per host: operations | per host: ops\' own time | machine CPU busy |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of comparisonRows(samples)) {
    const ph = r.samples.map((s) => s.phases).filter((p) => p !== undefined);
    const busy = `${(spread(r.samples.map((s) => s.machineBusy)).median * 100).toFixed(0)} %`;
    if (r.system === 'raw') {
      const connect = spread(r.samples.map((s) => s.rawHost?.connectMedMs ?? Number.NaN)).median;
      const exec = spread(r.samples.map((s) => s.rawHost?.execMedMs ?? Number.NaN)).median;
      lines.push(`| ${r.hosts} | raw | ${r.state} | – | – | – | – | connect ${connect.toFixed(0)} ms | exec ${exec.toFixed(0)} ms | – | ${busy} |`);
      continue;
    }
    if (ph.length === 0) continue;
    const m = (k: keyof NonNullable<RunSample['phases']>) => `${spread(ph.map((p) => p[k])).median.toFixed(0)} ms`;
    lines.push(
      `| ${r.hosts} | ${r.workers}${r.runner === 'tsx' ? ' (tsx)' : r.runner === 'master' ? ' (resident master)' : ''} | ${r.state} | ${m('enqueueMs')} | ${m('toFirstHostMs')} | ${m('hostsSpanMs')} | ${m('resultsTailMs')} | ${m('hostSetupMedMs')} | ${m('hostOpsMedMs')} | ${m('opsSumMedMs')} | ${busy} |`,
    );
  }
  return lines.join('\n');
}

/** Where the CPU went in each row: the hosts' side, the clients' own processes, Cassandra, Redis. */
export function cpuBudgetTable(samples: readonly RunSample[], cores: number): string {
  const lines = [
    '| hosts | system | state | wall s | hosts (sshd, shells, scripts) CPU s | client processes CPU s | Cassandra CPU s | Redis CPU s | sum ÷ (wall × cores) | machine busy |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of comparisonRows(samples)) {
    const med = (f: (s: RunSample) => number) => spread(r.samples.map(f)).median;
    const clients = (s: RunSample) => Object.values(s.costs).reduce((a, c) => a + (Number.isFinite(c.cpuSeconds) ? c.cpuSeconds : 0), 0);
    const sum = (s: RunSample) => s.infra.hosts + clients(s) + s.infra.cassandra + s.infra.redis;
    lines.push(
      `| ${r.hosts} | ${r.label} | ${r.state} | ${r.wall.median.toFixed(2)} | ${med((s) => s.infra.hosts).toFixed(2)} | ${med(clients).toFixed(2)} | ${med((s) => s.infra.cassandra).toFixed(2)} | ${med((s) => s.infra.redis).toFixed(2)} | ${(med((s) => sum(s) / (s.wallMs / 1000) / cores) * 100).toFixed(0)} % | ${(med((s) => s.machineBusy) * 100).toFixed(0)} % |`,
    );
  }
  return lines.join('\n');
}

const RAW_TARGET = 1.2;
const LEAN_TARGET = 1.3;

/** What each host costs SimpleCM's workers (and the raw fan-out) at scale. */
export function perHostTable(samples: readonly RunSample[]): string {
  const lines = [
    '| hosts | system | state | wall s | worker CPU s (all workers) | worker CPU ms per host | worker peak RSS MB (largest) | worker peak RSS ÷ hosts, KB (the process base included) | results consumer CPU ms per host |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of comparisonRows(samples)) {
    const role = r.system === 'raw' ? 'raw' : 'worker';
    const med = (f: (s: RunSample) => number | undefined) => spread(r.samples.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v))).median;
    const cpu = med((s) => s.costs[role]?.cpuSeconds);
    const rss = med((s) => s.costs[role]?.peakRssMb);
    const results = med((s) => s.costs.results?.cpuSeconds);
    const label = r.system === 'raw' ? `${r.label} (the fan-out process)` : r.label;
    lines.push(
      `| ${r.hosts} | ${label} | ${r.state} | ${r.wall.median.toFixed(2)} | ${cpu.toFixed(2)} | ${((cpu * 1000) / r.hosts).toFixed(2)} | ${rss.toFixed(0)} | ${((rss * 1024) / r.hosts).toFixed(0)} | ${Number.isFinite(results) ? ((results * 1000) / r.hosts).toFixed(2) : '–'} |`,
    );
  }
  return lines.join('\n');
}

interface Target {
  readonly name: string;
  readonly met: boolean | undefined;
  readonly detail: string;
}

/** SimpleCM's rows split by how the run was started: `enqueue` planning in-process, and submitted to a resident master. */
function variants(rows: readonly Row[]): Array<[string, Row[]]> {
  const inProcess = rows.filter((r) => r.runner !== 'master');
  const viaMaster = rows.filter((r) => r.runner === 'master');
  return [
    ...(inProcess.length > 0 ? [[viaMaster.length > 0 ? ' (planned in the `enqueue` process)' : '', inProcess] as [string, Row[]]] : []),
    ...(viaMaster.length > 0 ? [[' (through a resident master)', viaMaster] as [string, Row[]]] : []),
  ];
}

export function targets(res: BenchResults): Target[] {
  const out: Target[] = [];
  const rows = comparisonRows(res.e2e);
  // Issue 17's figures: within 1.2× of the raw bound at 50, 100 and 200 hosts and over the WAN,
  // ≤ 1.3× of the lean bound at 200 hosts; ≥ 20× Ansible is issue 7's, kept.
  for (const n of [50, 100, 200]) {
    const scm = rows.filter((r) => r.hosts === n && r.system === 'simplecm' && r.runner !== 'tsx');
    if (scm.length === 0) continue;
    for (const [how, group] of variants(scm)) {
      out.push({
        name: `end to end within ${RAW_TARGET}× of the raw bound at ${n} hosts${how}`,
        met: group.every((r) => r.vsRaw.median <= RAW_TARGET),
        detail: group.map((r) => `${r.workers}w ${r.state} ${ratio(r.vsRaw.median)}`).join(', '),
      });
      const withLean = group.filter((r) => r.vsLean.n > 0);
      if (n === 200 && withLean.length > 0) {
        out.push({
          name: `within ${LEAN_TARGET}× of the lean bound at ${n} hosts${how}`,
          met: withLean.every((r) => r.vsLean.median <= LEAN_TARGET),
          detail: withLean.map((r) => `${r.workers}w ${r.state} ${ratio(r.vsLean.median)}`).join(', '),
        });
      }
    }
    const pyinfra = rows.filter((r) => r.hosts === n && r.system === 'pyinfra' && Number.isFinite(r.vsSimplecm));
    if (pyinfra.length > 0) {
      out.push({ name: `pyinfra ÷ SimpleCM (1 worker) at ${n} hosts`, met: undefined, detail: pyinfra.map((r) => `${r.state} ${ratio(r.vsSimplecm, 1)}`).join(', ') });
    }
    const cold = scm.filter((r) => r.state === 'cold' && Number.isFinite(r.vsAnsible));
    const rawCold = rows.find((r) => r.hosts === n && r.system === 'raw' && r.state === 'cold');
    if (cold.length > 0) {
      out.push({
        name: `≥ 20× faster than Ansible at ${n} hosts (cold)`,
        met: cold.every((r) => r.vsAnsible >= 20),
        detail: `${cold.map((r) => `${r.workers}w ${ratio(r.vsAnsible, 1)}`).join(', ')}${rawCold && Number.isFinite(rawCold.vsAnsible) ? ` (the raw bound itself: ${ratio(rawCold.vsAnsible, 1)})` : ''}`,
      });
    }
  }
  const wan = comparisonRows(res.wan).filter((r) => r.system === 'simplecm' && r.runner !== 'tsx');
  for (const [how, group] of variants(wan)) {
    out.push({
      name: `WAN (${res.options.wanHosts} hosts, ${2 * res.options.wanDelayMs} ms RTT): within ${RAW_TARGET}× of the raw bound${how}`,
      met: group.every((r) => r.vsRaw.median <= RAW_TARGET),
      detail: group.map((r) => `${r.workers}w ${r.state} ${ratio(r.vsRaw.median)}`).join(', '),
    });
  }
  if (res.enqueue) {
    const e = res.enqueue;
    out.push({ name: `enqueue ${e.hosts.toLocaleString('en')} hosts in < 30 s`, met: e.wallMs < 30_000, detail: `${(e.wallMs / 1000).toFixed(1)} s` });
    out.push({ name: 'enqueue peak RSS < 300 MB', met: e.peakRssMb < 300, detail: `${e.peakRssMb.toFixed(0)} MB` });
  }
  if (res.results) {
    const r = res.results;
    out.push({ name: 'results consumer ≥ 20,000 operation results/s', met: r.opsPerSecond >= 20_000, detail: `${Math.round(r.opsPerSecond).toLocaleString('en')} /s` });
  }
  if (res.footprint) {
    const f = res.footprint;
    out.push({
      name: `one worker holds ${f.jobs} concurrent host jobs with peak RSS < 250 MB`,
      met: f.peakConcurrent >= f.jobs && f.peakRssMb < 250,
      detail: `${f.peakConcurrent} at once, ${f.peakRssMb.toFixed(0)} MB`,
    });
  }
  return out;
}

export function renderReport(res: BenchResults): string {
  const out: string[] = [];
  out.push(`# SimpleCM bench — ${res.startedAt.slice(0, 16).replace('T', ' ')} UTC`, '');
  out.push(
    `\`${res.command}\` on ${res.machine.cpus} cores, ${res.machine.memGiB} GiB, Node ${res.machine.node}` +
      (res.durationSeconds !== undefined ? `; the run took ${Math.floor(res.durationSeconds / 60)} min ${res.durationSeconds % 60} s.` : '.'),
    `Medians of ${res.options.repeat} repetition(s) (min–max)` +
      (res.e2e.length + res.wan.length === 0 ? '.' : `; Ansible ${res.options.ansibleRepeat} run(s) per host count, strategy \`${res.options.ansibleStrategy}\`, forks ${res.options.ansibleForks}; pyinfra ${res.options.pyinfraRepeat ?? 0} run(s) (cold, warm) per host count, \`--parallel\` = hosts.`),
    '',
  );
  const t = targets(res);
  if (t.length > 0) {
    out.push('## Targets', '', '| target | measured | |', '|---|---|---|');
    for (const x of t) out.push(`| ${x.name} | ${x.detail} | ${x.met === undefined ? '–' : x.met ? 'met' : '**missed**'} |`);
    out.push('');
  }
  if (res.e2e.length > 0) {
    out.push(
      '## End to end (stack hosts on loopback)',
      '',
      comparisonTable(res.e2e),
      '',
      '### Where SimpleCM\'s time goes (medians)',
      '',
      phasesTable(res.e2e),
      '',
      '### Where the CPU goes (medians)',
      '',
      cpuBudgetTable(res.e2e, res.machine.cpus),
      '',
    );
  }
  if (res.wan.length > 0) {
    out.push(
      `## WAN: ${res.options.wanHosts} hosts behind a ${2 * res.options.wanDelayMs} ms RTT proxy`,
      '',
      comparisonTable(res.wan),
      '',
      phasesTable(res.wan),
      '',
      cpuBudgetTable(res.wan, res.machine.cpus),
      '',
    );
  }
  if (res.enqueue) {
    const e = res.enqueue;
    out.push(
      '## Enqueue at scale',
      '',
      '| hosts | operation rows | enqueue wall s | of which: start + pass one (read, validate, spool) s | pass two (spool → add jobs) s | enqueue CPU s | peak RSS MB | Cassandra CPU s | Redis CPU s | the inventory scan alone (scanInventory): s (Cassandra CPU s) |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      `| ${e.hosts} | ${e.operations} | ${(e.wallMs / 1000).toFixed(1)} | ${sec(e.validateMs)} | ${e.validateMs === undefined ? '–' : ((e.wallMs - e.validateMs) / 1000).toFixed(1)} | ${e.cpuSeconds.toFixed(1)} | ${e.peakRssMb.toFixed(0)} | ${e.cassandraCpuSeconds.toFixed(1)} | ${e.redisCpuSeconds.toFixed(1)} | ${sec(e.scanJoinMs)} (${e.scanCassandraCpuSeconds?.toFixed(1) ?? '–'}) |`,
      '',
    );
    if (e.loadMs !== undefined) out.push(`Inventory bulk-loaded in ${(e.loadMs / 1000).toFixed(1)} s.`, '');
  }
  if (res.results) {
    const r = res.results;
    out.push(
      '## Results consumer throughput',
      '',
      '| host results | operation results | consumer spawn → done s | ready → done s | operation results/s | consumer CPU s | peak RSS MB | Cassandra CPU s | Redis CPU s |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      `| ${r.hosts} | ${r.operations} | ${(r.wallMs / 1000).toFixed(2)} | ${(r.writeMs / 1000).toFixed(2)} | ${Math.round(r.opsPerSecond)} | ${r.cpuSeconds.toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${r.cassandraCpuSeconds.toFixed(1)} | ${r.redisCpuSeconds.toFixed(1)} |`,
      '',
    );
    if (r.writePath && r.writePath.length > 0) {
      out.push(
        'The same rows written straight from the bench process (no queue, no consumer; bench/write-path.ts; medians of 3 rounds):',
        '',
        '| write shape | hosts in flight | operation results/s | Cassandra CPU ms per operation result |',
        '|---|---:|---:|---:|',
        ...r.writePath.map((w) => `| ${w.shape} | ${w.concurrency} | ${Math.round(w.opsPerSecond)} | ${w.cassandraCpuMsPerOp.toFixed(3)} |`),
        '',
      );
    }
    if (r.consumerConcurrency && r.consumerConcurrency.length > 0) {
      out.push(
        `The consumer process draining ${Math.min(r.hosts, 5000)} host results, by \`SIMPLECM_RESULTS_CONCURRENCY\` (ready → done): ${r.consumerConcurrency.map((c) => `${c.concurrency} → ${Math.round(c.opsPerSecond)} operation results/s`).join('; ')}.`,
        '',
      );
    }
  }
  if (res.footprint) {
    const f = res.footprint;
    out.push(
      '## Worker footprint',
      '',
      '| host jobs | most at once | wall s | worker peak RSS MB | idle RSS MB | worker CPU s |',
      '|---:|---:|---:|---:|---:|---:|',
      `| ${f.jobs} | ${f.peakConcurrent} | ${(f.wallMs / 1000).toFixed(1)} | ${f.peakRssMb.toFixed(0)} | ${f.idleRssMb.toFixed(0)} | ${f.cpuSeconds.toFixed(1)} |`,
      '',
    );
  }
  if (res.scale && (res.scale.samples.length > 0 || res.scale.result)) {
    const m = res.scale.result?.memory;
    const n = res.scale.result?.hosts ?? res.scale.samples[0]?.hosts ?? 0;
    out.push(`## ${n.toLocaleString('en')} hosts`, '');
    if (m) {
      out.push(
        `Memory of the stack's namespaced hosts, measured first: ${m.idleMb.toFixed(2)} MB per idle host (PSS of \`unshare\` + sshd, median of ${m.sampled}), ${m.sessionMb.toFixed(2)} MB more per SSH session while it runs (kernel memory for the namespaces and mounts not included); ${Math.round(m.availableMb).toLocaleString('en')} MB were available.`,
        '',
      );
    }
    if (res.scale.samples.length > 0) out.push(comparisonTable(res.scale.samples), '', perHostTable(res.scale.samples), '');
  }
  if (res.hotPaths) out.push('## Hot paths, one at a time', '', res.hotPaths.table, '');
  if (res.profile) out.push('## CPU profiles', '', res.profile.markdown, '');
  if (res.notes.length > 0) out.push('## Notes', '', ...res.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
