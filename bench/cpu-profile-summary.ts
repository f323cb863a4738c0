/**
 * Reads a V8 .cpuprofile and says where the CPU went: self time by package (ssh2, bullmq,
 * ioredis, cassandra-driver, zod, handlebars, SimpleCM's own packages, node internals, GC) and
 * the hottest functions.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Sampled time not idle, ms. */
  readonly busyMs: number;
  readonly categories: Array<{ name: string; ms: number }>;
  readonly functions: Array<{ name: string; category: string; ms: number }>;
}

/** Which part of the process a frame belongs to, from its script URL. */
export function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'native / VM';
    return functionName || 'native / VM';
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (own) return own[1] === 'packages' ? `@simplecm/${own[2]}` : `apps/${own[2]}`;
  return 'other';
}

export function summarizeProfile(file: string, top = 10): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const categories = new Map<string, number>();
  const functions = new Map<string, { category: string; ms: number }>();
  for (const [id, ms] of self) {
    const frame = byId.get(id)!.callFrame;
    const category = categoryOf(frame);
    if (category === 'idle' || category === '(root)') continue;
    categories.set(category, (categories.get(category) ?? 0) + ms);
    const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|packages|apps)\//, '$1/').replace(/^file:\/\//, '')}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    const f = functions.get(name) ?? { category, ms: 0 };
    f.ms += ms;
    functions.set(name, f);
  }
  const busyMs = [...categories.values()].reduce((a, b) => a + b, 0);
  return {
    busyMs,
    categories: [...categories.entries()].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms),
    functions: [...functions.entries()].map(([name, f]) => ({ name, ...f })).sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}

/**
 * `title — 2.1 s CPU: ssh2 31 %, …` plus the hottest functions. Shares, not sampled
 * milliseconds: on a machine this busy a sample's time includes waits for a core, so only the
 * proportions mean something; the CPU seconds come from /proc.
 */
export function profileMarkdown(title: string, s: ProfileSummary, cpuSeconds: number | undefined, categories = 8): string {
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(0)} %`;
  return [
    `**${title}** — ${cpuSeconds === undefined ? '' : `${cpuSeconds.toFixed(2)} s CPU (/proc); `}profile shares: ${s.categories.slice(0, categories).map((c) => `${c.name} ${pct(c.ms)}`).join(', ')}`,
    '',
    '| hottest functions (self time) | part | share |',
    '|---|---|---:|',
    ...s.functions.map((f) => `| \`${f.name.replace(/\|/g, '\\|')}\` | ${f.category} | ${pct(f.ms)} |`),
    '',
  ].join('\n');
}
