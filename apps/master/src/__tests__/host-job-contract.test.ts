import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { Queue } from 'bullmq';
import type { Host, Operation, RunTarget } from '@simplecm/domain';
import { loadModules } from '@simplecm/modules';
import { hostJobDataSchema, jobSigner, MAX_HOST_JOB_OPERATIONS, type HostJobData } from '@simplecm/queue';
import type { NewRun } from '@simplecm/store';
import { enqueueRun, type EnqueueDeps } from '../enqueue';
import { hostJobChecker } from '../host-job-checker';
import { InvalidDesiredStateError } from '../plan-run';

const modules = loadModules(path.resolve(__dirname, '../../../../modules'));
const RUN_ID = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002';
const signer = jobSigner(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), 60_000);
const run = { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 } as const;

const host = (name: string): Host => ({ hostname: name, address: '10.0.0.1', port: 22, user: 'root', keyName: 'k', groups: [], vars: {}, hostKeys: [], become: null });
const operations = (count: number): Operation[] => Array.from({ length: count }, (_, seq) => ({ seq, name: `f${seq}`, module: 'file_exists', attributes: { path: `/tmp/f${seq}` } }));

/** An in-memory inventory and a queue that only records what is added: what enqueue does with them is the test. */
function fakeMaster(inventory: Record<string, number>) {
  const created: NewRun[] = [];
  const added: Array<{ data: HostJobData }> = [];
  const deps: EnqueueDeps = {
    modules,
    async *streamHosts(_target: RunTarget) {
      for (const name of Object.keys(inventory)) yield host(name);
    },
    getOperations: async (hostname) => operations(inventory[hostname] ?? 0),
    hostsQueue: { addBulk: async (jobs: Array<{ data: HostJobData }>) => void added.push(...jobs) } as unknown as Queue<HostJobData>,
    createRun: async (r) => void created.push(r),
    newRunId: () => RUN_ID,
    signer,
  };
  return { deps, created, added };
}

describe('the host-job contract, as the master applies it', () => {
  it('refuses a host with more operations than a host job may carry: invalid input naming host and limit, nothing recorded or enqueued', async () => {
    const { deps, created, added } = fakeMaster({ small: 2, huge: MAX_HOST_JOB_OPERATIONS + 1 });
    const error = await enqueueRun(deps, { kind: 'all' }, run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDesiredStateError);
    expect((error as InvalidDesiredStateError).problems).toEqual([expect.stringMatching(/^host huge: .*10001 operations, more than the 10000 a host job may carry/)]);
    expect(created).toEqual([]);
    expect(added).toEqual([]);
  });

  it('enqueues a host at the limit, and every job it adds is one the workers parse', async () => {
    const { deps, created, added } = fakeMaster({ small: 2, full: MAX_HOST_JOB_OPERATIONS });
    await expect(enqueueRun(deps, { kind: 'all' }, run)).resolves.toEqual({ runId: RUN_ID, hostCount: 2, stateRevision: null });
    expect(created).toHaveLength(1);
    expect(added.map((job) => hostJobDataSchema.safeParse(job.data).success)).toEqual([true, true]);
  });

  it('parses a list of operations shared by hosts once, and every host on its own', () => {
    const check = hostJobChecker();
    const shared = operations(3);
    expect(check(host('a'), shared)).toBeUndefined();
    expect(check(host('b'), [...shared])).toBeUndefined();
    // The same, accepted operations do not let a host the workers would refuse through.
    expect(check({ ...host('c'), port: 70_000 }, [...shared])).toMatch(/^host\.port: /);
    // A refused list is refused for every host that carries it.
    const tooMany = operations(MAX_HOST_JOB_OPERATIONS + 1);
    expect(check(host('d'), tooMany)).toMatch(/^operations: 10001 operations/);
    expect(check(host('e'), [...tooMany])).toMatch(/^operations: 10001 operations/);
  });
});
