import type { OperationResult } from '@simplecm/domain';
import { ansiColour, formatDiff, formatOperationOutput, formatTable, noColour, operationDiff, painterFor, runHostColumns, wantsColour } from '../index';

const op = (over: Partial<OperationResult> = {}): OperationResult => ({
  seq: 2,
  name: 'motd',
  module: 'file_content',
  status: 'changed',
  exitCode: 0,
  stdout: '',
  stdoutTruncated: false,
  stderr: '',
  stderrTruncated: false,
  changes: ['update content of /etc/motd (3 bytes)'],
  startedAt: 0,
  durationMs: 5,
  ...over,
});
const diff = '--- before: /etc/motd\n+++ after: /etc/motd\n@@ -1 +1 @@\n-old\n+new\n';

describe('colour', () => {
  it('is on only on a terminal without NO_COLOR', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({}, {})).toBe(false);
    expect(painterFor({ isTTY: false }, {})).toBe(noColour);
  });

  it('paints table statuses without changing the columns they take', () => {
    const hosts = [{ hostname: 'h1', status: 'failed' as const, counts: { ok: 1, changed: 0, failed: 1, skipped: 0, unreachable: 0 }, worker: 'w1', cause: null }];
    const plain = formatTable(runHostColumns, hosts);
    const painted = formatTable(runHostColumns, hosts, ansiColour);
    expect(painted).toContain('\x1b[31mfailed\x1b[0m');
    expect(painted.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });
});

describe('operation output', () => {
  it('knows a diff by its first line only', () => {
    expect(operationDiff(op({ stdout: diff }))).toBe(diff);
    expect(operationDiff(op({ stdout: 'hello\n--- before: x\n' }))).toBeUndefined();
  });

  it('prints a block per operation: status line, changes, then the diff or the output asked for', () => {
    expect(formatOperationOutput('host1', op({ stdout: diff }), { diff: true })).toBe(
      'host1 | #2 "motd" (file_content) | changed | rc=0\n  ~ update content of /etc/motd (3 bytes)\n--- before: /etc/motd\n+++ after: /etc/motd\n@@ -1 +1 @@\n-old\n+new',
    );
    expect(formatOperationOutput('host1', op({ module: 'command', status: 'failed', exitCode: 7, changes: [], stdout: 'out\n', stderr: 'err\n', stderrTruncated: true }), { output: true })).toBe(
      'host1 | #2 "motd" (command) | failed | rc=7\n  stdout:\n    out\n  stderr: (cut on the host at 64 KiB)\n    err',
    );
    expect(formatOperationOutput('host1', op({ stdout: diff }))).not.toContain('---');
  });

  it('neutralises whatever the host sent, diffs included, and colours diff lines on a terminal', () => {
    const hostile = op({ name: 'x\x1b[2J', stdout: '--- before: /a\n+++ after: /a\n-\x1b]0;title\x07\n', stderr: '\x1b[31mred', changes: ['\x9bX'] });
    const text = formatOperationOutput('h\x1b', hostile, { diff: true, output: true });
    expect(text).not.toMatch(/[\x1b\x07\x9b]/);
    expect(text).toContain('-\\x1b]0;title\\x07');
    expect(formatDiff(diff, ansiColour)).toContain('\x1b[31m-old\x1b[0m\n\x1b[32m+new\x1b[0m');
  });
});
