import { hostStatusOf } from '@simplecm/domain';
import { HANDLER_SKIPPED_EXIT, type OperationFrame } from '@simplecm/ssh';
import { handlerTriggers } from '../handler-triggers';
import { handlerSkippedReason, isTimeoutExit, notRunResult, resultFromFrame } from '../results-from-frames';

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

describe('handlers', () => {
  const handler = { seq: 3, name: 'reload', module: 'command', attributes: {}, whenChanged: ['write config', 'write unit'] };
  const skippedFrame = frame({ seq: 3, exitCode: HANDLER_SKIPPED_EXIT, durationMs: 0, stdout: Buffer.alloc(0) });

  it('records a handler the driver skipped as skipped, naming its triggers, without touching the host status', () => {
    const r = resultFromFrame(handler, skippedFrame);
    expect(r).toMatchObject({ seq: 3, name: 'reload', status: 'skipped', exitCode: null, changes: [], stdout: '', stderr: 'skipped: no change in "write config" or "write unit"', startedAt: 1_700_000_000_000, durationMs: 0 });
    const changed = resultFromFrame(op, frame({ changes: Buffer.from('x\n') }));
    expect(hostStatusOf([changed.status, r.status])).toBe('changed');
    expect(hostStatusOf([resultFromFrame(op, frame({})).status, r.status])).toBe('ok');
  });

  it('reads a handler that ran like any operation', () => {
    expect(resultFromFrame(handler, frame({ seq: 3, changes: Buffer.from('reloaded\n') })).status).toBe('changed');
    expect(resultFromFrame(handler, frame({ seq: 3, exitCode: 1 })).status).toBe('failed');
  });

  it('says why a handler with no trigger in the run was skipped', () => {
    expect(handlerSkippedReason(['a'])).toBe('skipped: no change in "a"');
    expect(handlerSkippedReason([])).toBe('skipped: none of its triggers is in this run');
  });

  it('maps trigger names to the seqs of earlier operations only, every one bearing the name', () => {
    const ops = [
      { seq: 0, name: 'cfg' },
      { seq: 1, name: 'h', whenChanged: ['cfg', 'later', 'nope'] },
      { seq: 4, name: 'cfg' },
      { seq: 7, name: 'later' },
      { seq: 9, name: 'h2', whenChanged: ['cfg', 'h', 'cfg'] },
    ];
    expect(handlerTriggers(ops)).toEqual([undefined, [0], undefined, undefined, [0, 4, 1]]);
  });
});


describe('sensitive values', () => {
  it('are replaced by *** in stdout, stderr and change records, longest first', () => {
    const r = resultFromFrame(
      { seq: 0, name: 'secret', module: 'file_content', attributes: {} },
      {
        seq: 0,
        exitCode: 1,
        startedAt: 1,
        durationMs: 1,
        stdout: Buffer.from('pw=hunter2-long and hunter2'),
        stdoutTruncated: false,
        stderr: Buffer.from('hunter2\n'),
        stderrTruncated: false,
        changes: Buffer.from('set hunter2-long\n'),
      },
      ['hunter2-long', 'hunter2'],
    );
    expect([r.stdout, r.stderr, r.changes]).toEqual(['pw=*** and ***', '***\n', ['set ***']]);
  });
});
