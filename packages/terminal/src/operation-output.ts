import type { OperationResult } from '@simplecm/domain';
import { Colour, noColour, paintStatus, type Painter } from './colors';
import { neutralizeControls } from './neutralize';

/**
 * The first line of the unified diff a module prints on stdout in check mode (`diff -u` with
 * the labels `before: PATH` and `after: PATH`, see simplecm_diff in the module prelude): how
 * `--diff` tells a diff from other output.
 */
export const DIFF_START = '--- before: ';

/** The unified diff an operation carried back (check mode, file modules), or undefined. */
export function operationDiff(op: Pick<OperationResult, 'stdout'>): string | undefined {
  return op.stdout.startsWith(DIFF_START) ? op.stdout : undefined;
}

/** A diff with controls made visible, and on a terminal removals red, additions green, hunks cyan. */
export function formatDiff(diff: string, paint: Painter = noColour): string {
  return neutralizeControls(diff.replace(/\n$/, ''))
    .split('\n')
    .map((line) => {
      if (line.startsWith('--- ') || line.startsWith('+++ ')) return paint(Colour.dim, line);
      if (line.startsWith('@@')) return paint(Colour.cyan, line);
      if (line.startsWith('-')) return paint(Colour.red, line);
      if (line.startsWith('+')) return paint(Colour.green, line);
      return line;
    })
    .join('\n');
}

export interface OperationOutputOptions {
  /** Colours (see painterFor); none by default. */
  readonly paint?: Painter;
  /** Show stdout and stderr (`--output`). */
  readonly output?: boolean;
  /** Show the operation's diff (`--diff`). */
  readonly diff?: boolean;
}

function indented(label: string, text: string, truncated: boolean): string {
  const body = neutralizeControls(text.replace(/\n$/, ''))
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `  ${label}:${truncated ? ' (cut on the host at 64 KiB)' : ''}\n${body}`;
}

/**
 * One operation of one host as a block, in the manner of Ansible's output:
 * `host1 | #2 "motd" (file_content) | changed | rc=0`, its changes, then with `diff` its diff
 * and with `output` its stdout and stderr. Every host-supplied string is neutralised.
 */
export function formatOperationOutput(hostname: string, op: OperationResult, { paint = noColour, output = false, diff = false }: OperationOutputOptions = {}): string {
  const n = (text: string) => neutralizeControls(text, { keepBreaks: false });
  const lines = [`${n(hostname)} | #${op.seq} "${n(op.name)}" (${n(op.module)}) | ${paintStatus(paint, op.status)}${op.exitCode === null ? '' : ` | rc=${op.exitCode}`}`];
  for (const change of op.changes) lines.push(`  ${op.status === 'changed' ? '~' : '-'} ${n(change)}`);
  const theDiff = diff ? operationDiff(op) : undefined;
  if (theDiff !== undefined) lines.push(formatDiff(theDiff, paint));
  if (output) {
    // The diff is the stdout of a file module in check mode: not shown twice.
    if (op.stdout !== '' && theDiff === undefined) lines.push(indented('stdout', op.stdout, op.stdoutTruncated));
    if (op.stderr !== '') lines.push(indented('stderr', op.stderr, op.stderrTruncated));
  }
  return lines.join('\n');
}
