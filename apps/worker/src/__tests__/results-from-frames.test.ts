import type { OperationFrame } from '@simplecm/ssh';
import { isTimeoutExit, notRunResult, resultFromFrame } from '../results-from-frames';

const op = { seq: 2, name: 'motd', module: 'file_contains', attributes: {} };
const frame = (over: Partial<OperationFrame>): OperationFrame => ({
  seq: 2,
  exitCode: 0,
  startedAt: 1_700_000_000_000,
  durationMs: 12,
  stdout: Buffer.from('out'),
  stdoutTruncated: false,
  stderr: Buffer.alloc(0),
  stderrTruncated: false,
  changes: Buffer.alloc(0),
  ...over,
});

describe('operation status from a frame', () => {
  it('is ok with no change, changed with one, failed on a non-zero exit', () => {
    expect(resultFromFrame(op, frame({})).status).toBe('ok');
    const changed = resultFromFrame(op, frame({ changes: Buffer.from('append line\nset mode 0644\n') }));
    expect(changed).toMatchObject({ status: 'changed', changes: ['append line', 'set mode 0644'] });
    expect(resultFromFrame(op, frame({ exitCode: 1, changes: Buffer.from('x\n') })).status).toBe('failed');
  });

  it('keeps output, truncation flags, timing', () => {
    const r = resultFromFrame(op, frame({ stderr: Buffer.from('boom'), stderrTruncated: true }));
    expect(r).toMatchObject({ stdout: 'out', stderr: 'boom', stderrTruncated: true, durationMs: 12, startedAt: 1_700_000_000_000, exitCode: 0 });
  });

  it('recognises timeout exits and records operations that did not run', () => {
    expect([124, 137, 1].map(isTimeoutExit)).toEqual([true, true, false]);
    expect(notRunResult(op, 'skipped', 'why')).toMatchObject({ status: 'skipped', exitCode: null, stderr: 'why', changes: [] });
  });
});
