/**
 * What the soak measured, as a person reads it: a table of resident memory by run (every k-th
 * run and the last), the trend over the last half (least-squares slope, and the last quarter's
 * median against the second quarter's), and a chart of RSS against run number.
 */

export interface SoakSample {
  readonly run: number;
  readonly wallMs: number;
  /** The worker's CPU time (user + system) during the run, s (absent in soaks before it was kept). */
  readonly workerCpuS?: number;
  /** Operations of the run that were not ok or changed (a host disturbed during the run), when any. */
  readonly opsNotDone?: number;
  /** Resident memory after the run finished (VmRSS), MB. */
  readonly workerRssMb: number;
  /** Peak resident memory during the run (VmHWM, reset before it), MB. */
  readonly workerPeakMb: number;
  readonly consumerRssMb: number;
  readonly consumerPeakMb: number;
}

export interface SoakSettings {
  readonly hosts: number;
  readonly concurrency: number;
  readonly operationsPerHost: number;
  readonly startedAt: string;
  /** V8/Node flags added to the worker's NODE_OPTIONS, when any. */
  readonly workerNodeOptions?: string;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Least-squares slope of y over x (MB per run); 0 with fewer than two points. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
}

export interface SoakTrend {
  readonly slopeMbPerRun: number;
  readonly secondQuarterMb: number;
  readonly lastQuarterMb: number;
  readonly plateauMb: number;
}

/** The trend of one series over the last half of the runs (the first half is warm-up). */
export function soakTrend(values: readonly number[]): SoakTrend {
  const n = values.length;
  const q = Math.max(1, Math.floor(n / 4));
  const lastHalf = values.slice(Math.floor(n / 2));
  return {
    slopeMbPerRun: slope(lastHalf.map((v, i) => [i, v] as const)),
    secondQuarterMb: median(values.slice(q, 2 * q)),
    lastQuarterMb: median(values.slice(n - q)),
    plateauMb: Math.max(...lastHalf),
  };
}

const mb = (v: number) => v.toFixed(0);

export function renderSoakReport(settings: SoakSettings, samples: readonly SoakSample[], chartFile = 'soak.svg'): string {
  const every = Math.max(1, Math.ceil(samples.length / 20));
  const cpu = samples.flatMap((s) => (s.workerCpuS === undefined ? [] : [s.workerCpuS]));
  const disturbed = samples.filter((s) => (s.opsNotDone ?? 0) > 0);
  const shown = samples.filter((s, i) => i % every === 0 || i === samples.length - 1);
  const trend = (name: string, values: number[]) => {
    const t = soakTrend(values);
    return `| ${name} | ${mb(t.secondQuarterMb)} | ${mb(t.lastQuarterMb)} | ${t.slopeMbPerRun >= 0 ? '+' : ''}${t.slopeMbPerRun.toFixed(2)} | ${mb(t.plateauMb)} |`;
  };
  return [
    `# Soak: ${samples.length} consecutive runs of ${settings.hosts} hosts in one worker and one results consumer`,
    '',
    `Started ${settings.startedAt}. ${settings.operationsPerHost} file operations per host (bench workload), worker concurrency ${settings.concurrency}${settings.workerNodeOptions ? `, worker NODE_OPTIONS \`${settings.workerNodeOptions}\`` : ''}.`,
    'RSS is VmRSS after each run finished; peak is VmHWM during the run (reset before it). Written by `npm run bench:soak`.',
    '',
    '## Trend over the last half of the runs',
    '',
    '| series | median RSS, 2nd quarter (MB) | median RSS, last quarter (MB) | slope over last half (MB/run) | highest in last half (MB) |',
    '|---|---:|---:|---:|---:|',
    trend('worker RSS after run', samples.map((s) => s.workerRssMb)),
    trend('worker peak during run', samples.map((s) => s.workerPeakMb)),
    trend('consumer RSS after run', samples.map((s) => s.consumerRssMb)),
    trend('consumer peak during run', samples.map((s) => s.consumerPeakMb)),
    '',
    `Highest worker peak of all ${samples.length} runs: ${mb(Math.max(...samples.map((s) => s.workerPeakMb)))} MB; highest consumer peak: ${mb(Math.max(...samples.map((s) => s.consumerPeakMb)))} MB. ` +
      `Run wall time, median: ${(median(samples.map((s) => s.wallMs)) / 1000).toFixed(1)} s` +
      (cpu.length > 0 ? `; worker CPU per run, median: ${median(cpu).toFixed(2)} s.` : '.') +
      (disturbed.length > 0 ? ` Runs with operations not ok or changed (a host disturbed): ${disturbed.map((s) => `run ${s.run} (${s.opsNotDone})`).join(', ')}.` : ''),
    '',
    '## By run',
    '',
    '| run | wall (s) | worker CPU (s) | worker RSS (MB) | worker peak (MB) | consumer RSS (MB) | consumer peak (MB) |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...shown.map((s) => `| ${s.run} | ${(s.wallMs / 1000).toFixed(1)} | ${s.workerCpuS === undefined ? '–' : s.workerCpuS.toFixed(2)} | ${mb(s.workerRssMb)} | ${mb(s.workerPeakMb)} | ${mb(s.consumerRssMb)} | ${mb(s.consumerPeakMb)} |`),
    '',
    `![RSS by run](${chartFile})`,
    '',
  ].join('\n');
}

const series = [
  { key: 'workerPeakMb', label: 'worker peak during run', color: '#1f77b4', dash: '4 3' },
  { key: 'workerRssMb', label: 'worker RSS after run', color: '#1f77b4', dash: '' },
  { key: 'consumerPeakMb', label: 'consumer peak during run', color: '#2ca02c', dash: '4 3' },
  { key: 'consumerRssMb', label: 'consumer RSS after run', color: '#2ca02c', dash: '' },
] as const;

/** RSS (MB, linear from 0) against run number, one line per series. Plain SVG. */
export function renderSoakChart(settings: SoakSettings, samples: readonly SoakSample[]): string {
  const W = 820;
  const H = 420;
  const M = { left: 60, right: 230, top: 40, bottom: 48 };
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const top = Math.max(50, ...samples.flatMap((s) => series.map((k) => s[k.key])));
  const step = top > 400 ? 100 : 50;
  const yMax = Math.ceil(top / step) * step;
  const last = Math.max(2, samples.length);
  const x = (run: number) => M.left + ((run - 1) / (last - 1)) * pw;
  const y = (v: number) => M.top + ph - (v / yMax) * ph;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">Resident memory over ${samples.length} consecutive ${settings.hosts}-host runs</text>`,
  ];
  for (let v = 0; v <= yMax; v += step) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 6}" y="${y(v).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${v}</text>`);
  }
  const ticks = Math.min(10, last - 1);
  for (let i = 0; i <= ticks; i++) {
    const run = Math.round(1 + ((last - 1) * i) / ticks);
    out.push(`<text x="${x(run).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${run}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">run</text>`);
  out.push(`<text x="16" y="${M.top + ph / 2}" transform="rotate(-90 16 ${M.top + ph / 2})" text-anchor="middle">MB</text>`);
  series.forEach((s, i) => {
    const points = samples.map((p) => `${x(p.run).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${points}"/>`);
    const ly = M.top + 10 + i * 20;
    out.push(`<line x1="${M.left + pw + 14}" x2="${M.left + pw + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${M.left + pw + 46}" y="${ly}" dominant-baseline="middle">${s.label}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
