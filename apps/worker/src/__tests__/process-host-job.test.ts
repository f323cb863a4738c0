import type { HostResult } from '@simplecm/domain';
import type { HostJobData, HostLocks } from '@simplecm/queue';
import { SshError } from '@simplecm/ssh';
import { processHostJob, recordGivenUp, type HostJobAttempt, type HostJobSteps } from '../process-host-job';

const data: HostJobData = {
  runId: '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002',
  host: { hostname: 'web1', address: '10.0.0.1', port: 22, user: 'root', keyName: 'k', groups: [], vars: {}, hostKeys: [], become: null },
  operations: [{ seq: 0, name: 'motd', module: 'file_contains', attributes: {} }],
  options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 },
  hostCount: 1,
};
const first: HostJobAttempt = { owner: 'job1#w1', attemptsMade: 0, attempts: 3 };
const last: HostJobAttempt = { ...first, attemptsMade: 2 };

const converged = (status: HostResult['status']): HostResult => ({ runId: data.runId, hostname: 'web1', status, worker: 'w1', startedAt: 1, endedAt: 2, cause: null, operations: [] });

/** Host locks in a map, and a record of what the steps were asked to do: the logic is the test, not Redis or SSH. */
function fakeSteps(over: Partial<HostJobSteps> = {}) {
  const held = new Map<string, string>();
  const handedOff: HostResult[] = [];
  const converging: string[] = [];
  const locks: HostLocks = {
    async acquire(hostname, owner) {
      const holder = held.get(hostname);
      if (holder !== undefined && holder !== owner) return { acquired: false, holder };
      held.set(hostname, owner);
      return { acquired: true };
    },
    renew: async (hostname, owner) => held.get(hostname) === owner,
    async release(hostname, owner) {
      if (held.get(hostname) === owner) held.delete(hostname);
    },
  };
  const steps: HostJobSteps = {
    locks,
    lockRenewMs: 60_000,
    alreadyHandedOff: async () => false,
    async converge(job) {
      converging.push(job.host.hostname);
      return converged('changed');
    },
    addResult: async (_job, result) => void handedOff.push(result),
    shuttingDown: () => false,
    workerName: 'w1',
    log: () => undefined,
    sleep: async () => undefined,
    ...over,
  };
  return { steps, held, handedOff, converging };
}

describe('processing a host job', () => {
  it('converges the host, hands its result off and frees the host', async () => {
    const { steps, held, handedOff } = fakeSteps();
    await expect(processHostJob(data, first, steps)).resolves.toEqual({ kind: 'converged', status: 'changed' });
    expect(handedOff.map((r) => r.status)).toEqual(['changed']);
    expect(held.size).toBe(0);
  });

  it('hands the result off once when converging hands it off itself (before it removes the host journal)', async () => {
    const order: string[] = [];
    const { steps, handedOff } = fakeSteps({
      async converge(_job, handOff) {
        await handOff(converged('ok'));
        order.push('journal removed');
        return converged('ok');
      },
      addResult: async (_job, result) => {
        order.push('handed off');
        handedOff.push(result);
      },
    });
    await expect(processHostJob(data, first, steps)).resolves.toEqual({ kind: 'converged', status: 'ok' });
    expect(handedOff).toHaveLength(1);
    expect(order).toEqual(['handed off', 'journal removed']);
  });

  it('retries a connection lost while the host ran (the retry attaches to the journal), without a result', async () => {
    const lost = new SshError('unreachable', 'web1', 'connection lost while the driver ran');
    const { steps, handedOff, held } = fakeSteps({
      converge: async () => {
        throw lost;
      },
    });
    await expect(processHostJob(data, first, steps)).rejects.toBe(lost);
    expect(handedOff).toEqual([]);
    expect(held.size).toBe(0);
  });

  it('leaves a host another run holds alone, saying who holds it', async () => {
    const { steps, held, converging } = fakeSteps();
    held.set('web1', 'job0#w2');
    await expect(processHostJob(data, first, steps)).resolves.toEqual({ kind: 'busy', holder: 'job0#w2' });
    expect(converging).toEqual([]);
    expect(held.get('web1')).toBe('job0#w2');
  });

  it('does not touch a host whose result was already handed off', async () => {
    const { steps, held, converging, handedOff } = fakeSteps({ alreadyHandedOff: async () => true });
    await expect(processHostJob(data, first, steps)).resolves.toEqual({ kind: 'already-handed-off' });
    expect([converging, handedOff, held.size]).toEqual([[], [], 0]);
  });

  it('retries an unreachable host while the job has attempts, then records it unreachable', async () => {
    const unreachable = new SshError('unreachable', 'web1', 'connection refused');
    const { steps, handedOff, held } = fakeSteps({ converge: async () => Promise.reject(unreachable) });
    await expect(processHostJob(data, first, steps)).rejects.toBe(unreachable);
    expect(handedOff).toEqual([]);
    await expect(processHostJob(data, last, steps)).resolves.toEqual({ kind: 'converged', status: 'unreachable' });
    expect(handedOff[0]).toMatchObject({ status: 'unreachable', worker: 'w1', cause: 'unreachable: connection refused', operations: [{ status: 'unreachable' }] });
    expect(held.size).toBe(0);
  });

  it('hands a host back, unrecorded, when shutdown aborts it', async () => {
    const { steps, handedOff, held } = fakeSteps({ converge: async () => Promise.reject(new Error('aborted')), shuttingDown: () => true });
    await expect(processHostJob(data, first, steps)).resolves.toEqual({ kind: 'handed-back' });
    expect([handedOff, held.size]).toEqual([[], 0]);
  });

  it('throws an unexpected error as it is, and frees the host', async () => {
    const bug = new TypeError('bug');
    const { steps, held } = fakeSteps({ converge: async () => Promise.reject(bug) });
    await expect(processHostJob(data, first, steps)).rejects.toBe(bug);
    expect(held.size).toBe(0);
  });

  it('keeps trying to hand a result off while the result stream is unreachable, then gives up', async () => {
    let fails = 3;
    const down = new Error('ECONNREFUSED');
    const added: HostResult[] = [];
    const flaky = fakeSteps({ addResult: async (_job, result) => (fails-- > 0 ? Promise.reject(down) : void added.push(result)) });
    await expect(processHostJob(data, first, flaky.steps)).resolves.toEqual({ kind: 'converged', status: 'changed' });
    expect(added).toHaveLength(1);
    const gone = fakeSteps({ addResult: async () => Promise.reject(down) });
    await expect(processHostJob(data, first, gone.steps)).rejects.toBe(down);
  });

  it('records a job given up after stalling as not converged, with why', async () => {
    const { steps, handedOff } = fakeSteps();
    await recordGivenUp(data, new Error('job stalled more than allowable limit'), 5, steps);
    expect(handedOff[0]).toMatchObject({ status: 'unreachable', startedAt: 5, cause: expect.stringMatching(/^stalled: given up after workers died/) });
  });
});
