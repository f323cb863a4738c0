import { emptyCounts } from '@simplecm/domain';
import type { RunCancelMark, RunEvent, RunEventBatch } from '@simplecm/queue';
import { runIsOver, waitForRun, type RunWatch } from '../wait-for-run';

/** A run seen through scripted reads: `looks` are the totals each check returns, `batches` what each read of the stream returns. */
function scripted(looks: Array<{ done: number; cancel?: RunCancelMark } | Error>, batches: RunEvent[][]) {
  const calls = { checks: 0, reads: [] as Array<{ afterId: string; blockMs: number }> };
  const watch: RunWatch = {
    check: async () => {
      const look = looks[Math.min(calls.checks, looks.length - 1)]!;
      calls.checks += 1;
      if (look instanceof Error) throw look;
      return { progress: { hostsDone: look.done, hostsFailed: 0, counts: emptyCounts() }, cancel: look.cancel };
    },
    next: async (afterId, blockMs): Promise<RunEventBatch> => {
      calls.reads.push({ afterId, blockMs });
      const events = batches.shift() ?? [];
      // An empty stream blocks for blockMs in Redis; here a short pause stands for it.
      if (events.length === 0) await new Promise((r) => setTimeout(r, Math.min(blockMs, 5)));
      return { events, lastId: `${calls.reads.length}-0` };
    },
  };
  return { watch, calls };
}

const progress = (hostsDone: number): RunEvent => ({ kind: 'progress', hostsDone, hostsFailed: 0 });

describe('waitForRun', () => {
  const base = { recheckMs: 60_000, retryMs: 1, onError: () => undefined };

  it('ends on the event that says the last host is recorded, reading the totals only once', async () => {
    const { watch, calls } = scripted([{ done: 0 }], [[progress(1)], [progress(2), progress(3)]]);
    const shown: number[] = [];
    await waitForRun(watch, 3, { ...base, onProgress: (done) => shown.push(done) });
    expect(calls.checks).toBe(1);
    expect(shown).toEqual([0, 1, 2, 3]);
    // The stream is read from its start, then on from the last id seen.
    expect(calls.reads.map((r) => r.afterId)).toEqual(['0-0', '1-0']);
  });

  it('a lost event delays the end until the safety re-check, which finds the run over', async () => {
    const { watch, calls } = scripted([{ done: 1 }, { done: 3 }], []);
    await waitForRun(watch, 3, { ...base, recheckMs: 20, onProgress: () => undefined });
    expect(calls.checks).toBe(2);
    expect(calls.reads.every((r) => r.blockMs <= 20)).toBe(true);
  });

  it('ends at once when the run is over before the wait starts', async () => {
    const { watch, calls } = scripted([{ done: 2 }], []);
    await waitForRun(watch, 2, { ...base, onProgress: () => undefined });
    expect(calls.reads).toEqual([]);
  });

  it('ends on a cancel whose hosts add up; a cancel that does not yet is checked against the totals', async () => {
    const told = scripted([{ done: 1 }], [[{ kind: 'cancelled', hostsCancelled: 2 }]]);
    await waitForRun(told.watch, 3, { ...base, onProgress: () => undefined });
    expect(told.calls.checks).toBe(1);

    const early = scripted([{ done: 0 }, { done: 1, cancel: { state: 'cancelled', hostsCancelled: 2 } }], [[{ kind: 'cancelled', hostsCancelled: 2 }]]);
    await waitForRun(early.watch, 3, { ...base, onProgress: () => undefined });
    expect(early.calls.checks).toBe(2);
  });

  it('ignores events older than the first look and keeps waiting through failed reads', async () => {
    const errors: unknown[] = [];
    const shown: number[] = [];
    const { watch } = scripted([new Error('Connection is closed.'), { done: 2 }], [[progress(1), progress(2)], [progress(3)]]);
    await waitForRun(watch, 3, { ...base, onError: (e) => errors.push(e), onProgress: (done) => shown.push(done) });
    expect(errors).toHaveLength(1);
    expect(shown).toEqual([2, 2, 3]);
  });

  it('runIsOver: all hosts done, or done plus cancelled', () => {
    expect(runIsOver(3, 3, undefined)).toBe(true);
    expect(runIsOver(3, 2, undefined)).toBe(false);
    expect(runIsOver(3, 1, { state: 'cancelling' })).toBe(false);
    expect(runIsOver(3, 1, { state: 'cancelled', hostsCancelled: 2 })).toBe(true);
  });
});
