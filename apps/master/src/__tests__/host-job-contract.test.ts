import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { Queue } from 'bullmq';
import type { Host, Operation, RunTarget } from '@simplecm/domain';
import { loadModules } from '@simplecm/modules';
import { HOST_JOB_LIMITS, hostJobReader, jobVerifier, MAX_HOST_JOB_OPERATIONS, valueOpener, type HostJobWire } from '@simplecm/queue';
import type { NewRun } from '@simplecm/store';
import { enqueueRun, type EnqueueDeps } from '../enqueue';
import { hostJobChecker } from '../host-job-checker';
import { hostJobSigner } from '../host-job-signer';
import { InvalidDesiredStateError } from '../plan-run';

const modules = loadModules(path.resolve(__dirname, '../../../../modules'));
const RUN_ID = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002';
const signing = generateKeyPairSync('ed25519');
const sealing = generateKeyPairSync('x25519');
const signer = hostJobSigner(modules, { signingKey: signing.privateKey.export({ type: 'pkcs8', format: 'pem' }), sealKey: sealing.publicKey.export({ type: 'spki', format: 'pem' }), ttlMs: 60_000 });
/** The workers' own reading of a job (signature, size, sealed values), with the keys that match the master's. */
const readHostJob = hostJobReader(jobVerifier([signing.publicKey.export({ type: 'spki', format: 'pem' })]), valueOpener([sealing.privateKey.export({ type: 'pkcs8', format: 'pem' })]));
const run = { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 } as const;

const host = (name: string): Host => ({ hostname: name, address: '10.0.0.1', port: 22, user: 'root', keyName: 'k', groups: [], vars: {}, hostKeys: [], become: null });
const operations = (count: number): Operation[] => Array.from({ length: count }, (_, seq) => ({ seq, name: `f${seq}`, module: 'file_exists', attributes: { path: `/tmp/f${seq}` } }));

/** `count` file_content operations, each with a content of `bytes` bytes. */
const bigFiles = (count: number, bytes: number): Operation[] =>
  Array.from({ length: count }, (_, seq) => ({ seq, name: `big${seq}`, module: 'file_content', attributes: { path: `/tmp/big${seq}`, content: 'x'.repeat(bytes) } }));

/** An in-memory inventory and a queue that only records what is added: what enqueue does with them is the test. */
function fakeMaster(inventory: Record<string, number>, operationsOf: (hostname: string, count: number) => Operation[] = (_, count) => operations(count)) {
  const created: NewRun[] = [];
  const added: Array<{ data: HostJobWire; opts: { jobId?: string } }> = [];
  const deps: EnqueueDeps = {
    modules,
    async *streamHosts(_target: RunTarget) {
      for (const name of Object.keys(inventory)) yield host(name);
    },
    getOperations: async (hostname) => operationsOf(hostname, inventory[hostname] ?? 0),
    hostsQueue: { addBulk: async (jobs: typeof added) => void added.push(...jobs) } as unknown as Queue<HostJobWire>,
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
    expect(added.map((job) => readHostJob(job.opts.jobId ?? '', job.data).kind)).toEqual(['valid', 'valid']);
  });

  it('refuses an attribute value past its byte cap: exit-2 problem naming host, operation and attribute, nothing recorded or enqueued', async () => {
    const max = HOST_JOB_LIMITS.maxAttributeValueBytes;
    const { deps, created, added } = fakeMaster({ fits: 1, big: 2 }, (hostname) => (hostname === 'big' ? [...operations(1), ...bigFiles(2, max + 1).map((op) => ({ ...op, seq: op.seq + 1 }))] : bigFiles(1, max)));
    const error = await enqueueRun(deps, { kind: 'all' }, run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDesiredStateError);
    expect((error as InvalidDesiredStateError).problems).toEqual([
      `host big: workers would refuse its host job: operations.1.attributes.content: operation #1 "big0": attribute content is ${max + 1} bytes, more than the ${max} an attribute value may have; ` +
        `operations.2.attributes.content: operation #2 "big1": attribute content is ${max + 1} bytes, more than the ${max} an attribute value may have`,
    ]);
    expect(created).toEqual([]);
    expect(added).toEqual([]);
  });

  it('refuses a host whose job would be past the job byte cap, though each value fits', async () => {
    const each = HOST_JOB_LIMITS.maxAttributeValueBytes;
    const count = Math.ceil(HOST_JOB_LIMITS.maxHostJobBytes / each);
    const { deps, created, added } = fakeMaster({ small: 2, heavy: count }, (hostname, n) => (hostname === 'heavy' ? bigFiles(n, each) : operations(n)));
    const error = await enqueueRun(deps, { kind: 'all' }, run).catch((e: unknown) => e);
    expect((error as InvalidDesiredStateError).problems).toEqual([expect.stringMatching(/^host heavy: workers would refuse its host job: host and operations are \d+ bytes, more than the \d+ a host job has room for \(8388608 in all\)$/)]);
    expect(created).toEqual([]);
    expect(added).toEqual([]);
  });

  it('a job the master enqueues just under the job byte cap is one the workers take', async () => {
    const each = HOST_JOB_LIMITS.maxAttributeValueBytes;
    // As many full-size values as fit in the room the master leaves, less one for the rest of the operations.
    const count = Math.floor((HOST_JOB_LIMITS.maxHostJobBytes - HOST_JOB_LIMITS.envelopeBytes) / (each + 200)) - 1;
    const { deps, added } = fakeMaster({ heavy: count }, (_, n) => bigFiles(n, each));
    await enqueueRun(deps, { kind: 'all' }, run);
    const { data, opts } = added[0]!;
    expect(readHostJob(opts.jobId ?? '', data).kind).toBe('valid');
    // Three values more, signed as a master key would: the workers refuse it by its size.
    const payload = JSON.parse(data.payload) as { operations: Operation[] };
    const bigger = signer.sign(opts.jobId ?? '', { ...payload, operations: [...payload.operations, ...bigFiles(3, each)] } as Parameters<typeof signer.sign>[1]);
    expect(readHostJob(opts.jobId ?? '', bigger)).toMatchObject({ kind: 'refused', refusal: expect.stringMatching(/^host job of \d+ bytes, more than the 8388608 a host job may have$/) });
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
