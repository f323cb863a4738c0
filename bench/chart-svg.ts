/**
 * The chart of the report: wall time against host count, one line per system and state
 * (median, with min–max whiskers), on a log time axis so Ansible and the raw bound fit on one
 * picture (SimpleCM, the raw and lean bounds, pyinfra, Ansible). Plain SVG written by hand, no dependencies.
 */
import { comparisonRows } from './report';
import type { RunSample } from './samples';

const W = 880;
const H = 460;
const M = { left: 64, right: 310, top: 40, bottom: 52 };

const palette: Record<string, string> = {
  'simplecm-1': '#1f77b4',
  'simplecm-3': '#2ca02c',
  'simplecm-1-tsx': '#9467bd',
  'simplecm-1-master': '#e377c2',
  'raw-0': '#555555',
  'lean-0': '#17becf',
  'pyinfra-0': '#ff7f0e',
  'ansible-0': '#d62728',
};

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderChart(samples: readonly RunSample[]): string | undefined {
  const rows = comparisonRows(samples);
  const counts = [...new Set(rows.map((r) => r.hosts))].sort((a, b) => a - b);
  if (counts.length < 2) return undefined;
  const series = new Map<string, typeof rows>();
  for (const r of rows) {
    const key = `${r.system}-${r.workers}-${r.runner ?? ''}-${r.state}`;
    series.set(key, [...(series.get(key) ?? []), r]);
  }
  const values = rows.flatMap((r) => [r.wall.min, r.wall.max]).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const xMin = counts[0]!;
  const xMax = counts[counts.length - 1]!;
  // Points 24 px inside the frame, so whiskers at the ends do not sit on it.
  const x = (n: number) => M.left + 24 + ((n - xMin) / (xMax - xMin)) * (pw - 48);
  const y = (s: number) => M.top + ph - ((Math.log10(s) - lo) / (hi - lo)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">Wall time vs host count (10 file operations per host; log scale)</text>`);
  for (let e = lo; e <= hi; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) > hi + 1e-9) continue;
      const yy = y(v).toFixed(1);
      out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${yy}" y2="${yy}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`);
      out.push(`<text x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v >= 1 ? v : v.toPrecision(1)}</text>`);
    }
  }
  for (const n of counts) {
    out.push(`<line x1="${x(n).toFixed(1)}" x2="${x(n).toFixed(1)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x(n).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${n}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">hosts</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">wall time, s</text>`);
  let legendY = M.top + 8;
  for (const [key, rs] of [...series.entries()].sort()) {
    const r0 = rs[0]!;
    const color = palette[`${r0.system}-${r0.workers}${r0.runner === 'tsx' || r0.runner === 'master' ? `-${r0.runner}` : ''}`] ?? '#8c564b';
    const dash = r0.state === 'warm' ? ' stroke-dasharray="6 4"' : '';
    const pts = rs.sort((a, b) => a.hosts - b.hosts);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((p) => `${x(p.hosts).toFixed(1)},${y(p.wall.median).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) {
      const px = x(p.hosts).toFixed(1);
      out.push(`<line x1="${px}" x2="${px}" y1="${y(p.wall.min).toFixed(1)}" y2="${y(p.wall.max).toFixed(1)}" stroke="${color}" stroke-width="1.5"/>`);
      out.push(`<circle cx="${px}" cy="${y(p.wall.median).toFixed(1)}" r="3.5" fill="${r0.state === 'warm' ? '#fff' : color}" stroke="${color}" stroke-width="1.5"/>`);
    }
    out.push(`<line x1="${W - M.right + 16}" x2="${W - M.right + 46}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${W - M.right + 52}" y="${legendY}" dominant-baseline="middle">${esc(`${r0.label}, ${r0.state}`)}</text>`);
    legendY += 20;
    void key;
  }
  out.push(`<text x="${W - M.right + 16}" y="${legendY + 10}" fill="#666">dot: median; bar: min–max</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
