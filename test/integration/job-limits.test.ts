import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { Operation } from '@simplecm/domain';
import { HOST_JOB_LIMITS, HOSTS_QUEUE, hostJobId, hostJobOptions, jobSigner, redisConnection, type HostJobWire } from '@simplecm/queue';
import { stackPaths } from '@simplecm/stack';
import { newRunId, resultStore, runStore } from '@simplecm/store';
import { runFinished } from '../support/faults';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';

/**
 * The byte caps of a host job (HOST_JOB_LIMITS), on both sides: the master refuses a desired
 * state past them before recording or enqueuing anything (exit 2, naming host, operation and
 * attribute), and a worker handed a job past them anyway (planted in Redis, signed with the
 * master's key) runs nothing and records the host `rejected`.
 */
const maxValue = HOST_JOB_LIMITS.maxAttributeValueBytes;
const bigFile = (seq: number, bytes: number, path: string): Operation => ({ seq, name: `big ${seq}`, module: 'file_content', attributes: { path, content: 'x'.repeat(bytes) } });

describe('host job byte caps', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await createTestSystem('job-limits');
  }, 120_000);
  afterAll(async () => {
    await system?.close();
  });

  it('the master refuses an attribute value past its cap: exit 2 naming host, operation and attribute; no run recorded', async () => {
    await putDesiredState(system, [
      { host: stackHost(1), operations: [{ seq: 0, name: 'fits', module: 'file_content', attributes: { path: '/tmp/simplecm-limits-fits', content: 'x'.repeat(maxValue) } }] },
      { host: stackHost(2), operations: [{ seq: 0, name: 'small', module: 'file_exists', attributes: { path: '/tmp/simplecm-limits-small' } }, bigFile(1, maxValue + 1, '/tmp/simplecm-limits-big')] },
    ]);
    const { code, output } = await system.enqueue([]);
    expect(code).toBe(2);
    expect(output).toContain(`host host2: workers would refuse its host job: operations.1.attributes.content: operation #1 "big 1": attribute content is ${maxValue + 1} bytes, more than the ${maxValue} an attribute value may have`);
    expect(output).not.toMatch(/host host1/);
    expect(await runStore(system.cassandra, system.keyspace).listRuns({ limit: 10 })).toEqual([]);
  }, 120_000);

  it('a worker refuses a signed job past the job byte cap: nothing runs, the host is recorded rejected, the run finishes', async () => {
    const runId = newRunId();
    const runs = runStore(system.cassandra, system.keyspace);
    await runs.createRun({ runId, mode: 'apply', target: 'job limits', hostCount: 1 });
    const marker = `/tmp/simplecm-limits-${runId}`;
    // Every value within its cap, the whole job past the job cap: only a master with other limits (or a forger holding the key) makes one.
    const count = Math.ceil(HOST_JOB_LIMITS.maxHostJobBytes / maxValue) + 1;
    const operations: Operation[] = [{ seq: 0, name: 'marker', module: 'file_exists', attributes: { path: marker } }, ...Array.from({ length: count }, (_, i) => bigFile(i + 1, maxValue, `${marker}-${i}`))];
    const signer = jobSigner(readFileSync(stackPaths.jobSigningKey), 3_600_000);
    const data = signer.sign(hostJobId(runId, 'host1'), { runId, host: stackHost(1), operations, options: { mode: 'apply' as const, keepGoing: false, operationTimeoutSeconds: 60 }, hostCount: 1 });
    const redis = redisConnection(connectionConfigFromEnv(system.env).redis);
    const queue = new Queue<HostJobWire>(HOSTS_QUEUE, { connection: redis, prefix: system.prefix });
    try {
      await queue.add('host', data, hostJobOptions(runId, 'host1', 1));
    } finally {
      await queue.close();
      redis.disconnect();
    }
    system.startWorkers(1);
    system.startResults();
    const run = await runFinished(system, runId);
    expect(run.counts).toMatchObject({ rejected: count + 1, ok: 0, changed: 0 });
    const host = await resultStore(system.cassandra, system.keyspace).getRunHost(runId, 'host1');
    expect(host).toMatchObject({ status: 'rejected', cause: expect.stringMatching(new RegExp(`^rejected: host job of \\d+ bytes, more than the ${HOST_JOB_LIMITS.maxHostJobBytes} a host job may have$`)) });
    expect((await onHost(1, `test -e ${marker} && echo yes || echo no`)).stdout.trim()).toBe('no');
  }, 180_000);
});
