import { parseEvery, runRequestJobId, runRequestSchema, type Schedule } from '@simplecm/queue';
import { fireSchedule, type ScheduleDeps } from '../fire-schedule';
import type { RunPlan } from '../run-planner';
import { fromRunRequest, toRunRequest } from '../run-plan-request';

const plan: RunPlan = {
  target: { kind: 'pattern', pattern: 'web:!web3' },
  options: { mode: 'check', keepGoing: false, operationTimeoutSeconds: 300 },
  selection: { tags: ['config'] },
  connectAttempts: 3,
};

describe('run requests', () => {
  it('carry a plan to the master unchanged, the request id becoming the run key', () => {
    const request = toRunRequest(plan, { requestId: 'deploy-42', source: 'cli', now: 1 });
    expect(runRequestSchema.parse(JSON.parse(JSON.stringify(request)))).toEqual(request);
    expect(fromRunRequest(request)).toEqual({ ...plan, rerunFailed: undefined, runId: undefined, runKey: 'deploy-42', selection: { tags: ['config'], skipTags: undefined } });
  });

  it('re-enqueue an existing run by its id, with no run key', () => {
    const runId = 'e1270960-caf1-11f0-9d7b-0b4a1c2d3e4f';
    expect(fromRunRequest(toRunRequest({ ...plan, runId }, { requestId: 'r1', source: 'cli' }))).toMatchObject({ runId, runKey: undefined });
  });

  it('are refused when malformed or carrying anything else', () => {
    const request = toRunRequest(plan, { requestId: 'r1', source: 'cli', now: 1 });
    expect(runRequestSchema.safeParse({ ...request, signingKey: 'x' }).success).toBe(false);
    expect(runRequestSchema.safeParse({ ...request, requestId: 'has space' }).success).toBe(false);
    expect(runRequestSchema.safeParse({ ...request, target: { kind: 'hosts', hosts: [] } }).success).toBe(false);
  });

  it('have job ids without a colon, distinct for distinct request ids', () => {
    expect(runRequestJobId('a:b')).not.toContain(':');
    expect(runRequestJobId('a:b')).not.toBe(runRequestJobId('a.b'));
  });
});

describe('schedules', () => {
  const schedule: Schedule = { name: 'probe', everyMs: 60_000, target: { kind: 'all' }, options: plan.options, selection: {}, connectAttempts: 3, overlap: 'skip', paused: false, createdAt: 0 };
  const deps = (over: Partial<ScheduleDeps> = {}) => {
    const planned: RunPlan[] = [];
    const recorded: string[] = [];
    const d: ScheduleDeps = {
      getSchedule: async () => schedule,
      lastRun: async () => 'previous-run',
      recordRun: async (_n, runId) => void recorded.push(runId),
      hasWaitingHosts: async () => false,
      plan: async (p) => {
        planned.push(p);
        return { runId: 'new-run', hostCount: 2, stateRevision: null };
      },
      ...over,
    };
    return { d, planned, recorded };
  };

  it('a firing plans the schedule with the firing id as run key and remembers the run', async () => {
    const { d, planned, recorded } = deps();
    expect(await fireSchedule(d, 'probe', 'repeat:schedule.probe:1')).toEqual({ started: { runId: 'new-run', hostCount: 2, stateRevision: null } });
    expect(planned).toEqual([{ target: { kind: 'all' }, options: plan.options, selection: {}, connectAttempts: 3, runKey: 'repeat:schedule.probe:1', origin: 'schedule:probe' }]);
    expect(recorded).toEqual(['new-run']);
  });

  it('skips while the previous run has hosts waiting, unless the overlap policy is queue', async () => {
    const busy = deps({ hasWaitingHosts: async () => true });
    expect(await fireSchedule(busy.d, 'probe', 'f')).toEqual({ skipped: expect.stringContaining('previous run previous-run still has hosts waiting') });
    expect(busy.planned).toEqual([]);
    const queued = deps({ hasWaitingHosts: async () => true, getSchedule: async () => ({ ...schedule, overlap: 'queue' }) });
    expect(await fireSchedule(queued.d, 'probe', 'f')).toHaveProperty('started');
  });

  it('skips a paused or removed schedule', async () => {
    expect(await fireSchedule(deps({ getSchedule: async () => ({ ...schedule, paused: true }) }).d, 'probe', 'f')).toEqual({ skipped: 'schedule probe is paused' });
    expect(await fireSchedule(deps({ getSchedule: async () => undefined }).d, 'probe', 'f')).toEqual({ skipped: 'schedule probe no longer exists' });
  });

  it('reads --every durations', () => {
    expect([parseEvery('45s'), parseEvery('30m'), parseEvery('2h'), parseEvery('1d')]).toEqual([45_000, 1_800_000, 7_200_000, 86_400_000]);
    expect([parseEvery('5 minutes'), parseEvery('1.5h'), parseEvery('')]).toEqual([undefined, undefined, undefined]);
  });
});
