import { emptyCounts, type Run } from '@simplecm/domain';
import type { PendingRunJobs } from '@simplecm/queue';
import type { RunCancellation } from '@simplecm/store';
import { cancelRun, type CancelDeps } from '../cancel-run';

const runId = 'e1270960-caf1-11f0-9d7b-0b4a1c2d3e4f';
const run = (over: Partial<Run> = {}): Run => ({
  runId,
  createdAt: new Date('2026-11-25T20:07:45Z'),
  mode: 'apply',
  target: 'all',
  hostCount: 5,
  status: 'running',
  counts: emptyCounts(),
  hostsDone: 0,
  finishedAt: null,
  stateRevision: null,
  ...over,
});

/** A run of five hosts: h1 running, h2 and h3 waiting, h4 and h5 never enqueued; h1 finishes after two passes. */
function fakeQueue() {
  const waiting = new Set(['run.x.host.h2', 'run.x.host.h3']);
  let passes = 0;
  const recorded: RunCancellation[] = [];
  const marks: string[] = [];
  const deps: CancelDeps = {
    getRun: async () => run(),
    markCancelling: async () => void marks.push('cancelling'),
    markCancelled: async (_id, n) => void marks.push(`cancelled ${n}`),
    pendingJobs: async (): Promise<PendingRunJobs> => {
      passes += 1;
      return { waiting: [...waiting], active: passes <= 2 ? ['run.x.host.h1'] : [], results: passes === 3 ? 1 : 0 };
    },
    removeHostJob: async (id) => waiting.delete(id),
    readProgress: async () => ({ hostsDone: 1, hostsFailed: 0, counts: { ...emptyCounts(), changed: 1 } }),
    recordRunCancelled: async (_id, c) => void recorded.push(c),
    sleep: async () => undefined,
  };
  return { deps, recorded, marks, passes: () => passes };
}

describe('cancelRun', () => {
  it('removes the waiting hosts, waits for the running one and its result, then counts done + cancelled = hosts', async () => {
    const q = fakeQueue();
    const outcome = await cancelRun(q.deps, runId);
    expect(outcome).toMatchObject({ result: 'cancelled', hostCount: 5, hostsDone: 1, hostsCancelled: 4, jobsRemoved: 2 });
    expect(q.recorded).toEqual([{ hostCount: 5, hostsDone: 1, hostsCancelled: 4, counts: { ...emptyCounts(), changed: 1 } }]);
    expect(q.marks).toEqual(['cancelling', 'cancelled 4']);
    // Two quiet passes after the running host's result was recorded.
    expect(q.passes()).toBe(5);
  });

  it('a job a worker took between the read and the removal is not counted removed (it runs to its end)', async () => {
    const q = fakeQueue();
    const outcome = await cancelRun({ ...q.deps, removeHostJob: async () => false, pendingJobs: async () => ({ waiting: [], active: [], results: 0 }) }, runId);
    expect(outcome).toMatchObject({ jobsRemoved: 0, hostsDone: 1, hostsCancelled: 4 });
  });

  it('changes nothing on a run already cancelled or finished', async () => {
    const q = fakeQueue();
    expect(await cancelRun({ ...q.deps, getRun: async () => run({ status: 'cancelled', hostsDone: 2, hostsCancelled: 3 }) }, runId)).toMatchObject({ result: 'already-cancelled', hostsCancelled: 3 });
    expect(await cancelRun({ ...q.deps, getRun: async () => run({ status: 'finished', hostsDone: 5 }) }, runId)).toMatchObject({ result: 'already-finished', hostsDone: 5 });
    expect(q.marks).toEqual([]);
    expect(q.recorded).toEqual([]);
  });

  it('refuses an unknown run as bad input', async () => {
    const q = fakeQueue();
    await expect(cancelRun({ ...q.deps, getRun: async () => undefined }, runId)).rejects.toThrow(/no run/);
  });
});
