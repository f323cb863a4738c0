import { countStatuses, hostResultSchema } from '@simplecm/domain';
import type { HostJobData } from '@simplecm/queue';
import { rejectedResult } from '../converge-host';

const job: HostJobData = {
  runId: '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002',
  host: { hostname: 'web1', address: '10.0.0.1', port: 22, user: 'root', keyName: 'k', groups: [], vars: {}, hostKeys: [], become: null },
  operations: [
    { seq: 0, name: 'motd', module: 'file_contains', attributes: {} },
    { seq: 1, name: 'nginx', module: 'package', attributes: {} },
  ],
  options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 },
  hostCount: 1,
};

describe('a refused host job', () => {
  it('is recorded rejected, host and every operation, with why, nothing run', () => {
    const result = rejectedResult(job, 'w1', 'unsigned job');
    expect(hostResultSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({ hostname: 'web1', status: 'rejected', cause: 'rejected: unsigned job', worker: 'w1' });
    expect(result.operations.map((o) => [o.seq, o.status, o.exitCode, o.stderr])).toEqual([
      [0, 'rejected', null, 'rejected: unsigned job'],
      [1, 'rejected', null, 'rejected: unsigned job'],
    ]);
    expect(countStatuses(result.operations.map((o) => o.status))).toMatchObject({ rejected: 2, unreachable: 0 });
  });

  it('is rejected even when the job has no operation', () => {
    expect(rejectedResult({ ...job, operations: [] }, 'w1', 'expired').status).toBe('rejected');
  });
});
