/** One line of a line diff: kept, removed (from the old text) or added (in the new). */
export interface DiffLine {
  readonly kind: ' ' | '-' | '+';
  readonly text: string;
}

/** Above this many line pairs, the texts are shown as removed then added without aligning them. */
const maxCells = 4_000_000;

/** A shortest edit script between two lists of lines (longest common subsequence). */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before[endB - 1] === after[endA - 1]) [endB, endA] = [endB - 1, endA - 1];
  const head = before.slice(0, start).map((text) => ({ kind: ' ' as const, text }));
  const tail = before.slice(endB).map((text) => ({ kind: ' ' as const, text }));
  const b = before.slice(start, endB);
  const a = after.slice(start, endA);
  if (b.length * a.length > maxCells) {
    return [...head, ...b.map((text) => ({ kind: '-' as const, text })), ...a.map((text) => ({ kind: '+' as const, text })), ...tail];
  }
  // lcs[i][j]: length of the longest common subsequence of b[i..] and a[j..].
  const lcs = Array.from({ length: b.length + 1 }, () => new Uint32Array(a.length + 1));
  for (let i = b.length - 1; i >= 0; i--) {
    for (let j = a.length - 1; j >= 0; j--) lcs[i]![j] = b[i] === a[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const middle: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < b.length || j < a.length) {
    if (i < b.length && j < a.length && b[i] === a[j]) {
      middle.push({ kind: ' ', text: b[i]! });
      [i, j] = [i + 1, j + 1];
    } else if (i < b.length && (j >= a.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      middle.push({ kind: '-', text: b[i++]! });
    } else {
      middle.push({ kind: '+', text: a[j++]! });
    }
  }
  return [...head, ...middle, ...tail];
}

/** The diff as text lines, runs of unchanged lines cut to `context` lines around each change. */
export function formatLineDiff(lines: readonly DiffLine[], context = 3): string[] {
  const out: string[] = [];
  const changed = lines.map((l) => l.kind !== ' ');
  const near = (i: number) => changed.slice(Math.max(0, i - context), i + context + 1).some(Boolean);
  let skipped = 0;
  lines.forEach((line, i) => {
    if (line.kind === ' ' && !near(i)) {
      skipped++;
      return;
    }
    if (skipped > 0) out.push(`  … ${skipped} unchanged line(s)`);
    skipped = 0;
    out.push(`${line.kind} ${line.text}`);
  });
  if (skipped > 0) out.push(`  … ${skipped} unchanged line(s)`);
  return out;
}
