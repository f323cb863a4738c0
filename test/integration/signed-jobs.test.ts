import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { Host, Operation } from '@simplecm/domain';
import { HOSTS_QUEUE, hostJobId, hostJobOptions, jobSigner, redisConnection, sealOperations, valueSealer, type HostJobData, type HostJobWire, type SignedPayload } from '@simplecm/queue';
import { hostAddress, stackEnv } from '@simplecm/stack';
import { newRunId, resultStore, runStore } from '@simplecm/store';
import { runFinished } from '../support/faults';
import { onHost, systemOn, type TestSystem } from '../support/system';

/**
 * Host jobs planted directly in Redis, as by anyone who can write to it: unsigned, signed then
 * edited, expired, or filed under another job id; then jobs signed as they are whose sealed
 * values do not open (sealed to a key the workers do not hold, or moved from another job). Each runs nothing on its host (no marker file)
 * and the host (and each of its operations) is recorded `rejected`, with the cause; the run still finishes. One job the master
 * key signed as it is runs (its command sealed, as a master seals a sensitive value, and opened
 * by the worker), so the test can tell a refusal from a worker that runs nothing. Last, jobs of a
 * batch (one signature over the Merkle root of the jobs a master adds together): one as signed
 * runs, one whose audit path was altered and one moved under another batch's signature do not.
 */
const keysDir = mkdtempSync(path.join(os.tmpdir(), 'signed-jobs-'));
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signingKey = privateKey.export({ type: 'pkcs8', format: 'pem' });
mkdirSync(path.join(keysDir, 'public'));
writeFileSync(path.join(keysDir, 'public', 'master.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
writeFileSync(path.join(keysDir, 'signing.pem'), signingKey, { mode: 0o600 });
writeFileSync(path.join(keysDir, 'result.key'), randomBytes(32).toString('base64'), { mode: 0o600 });

const host = (n: number): Host => ({ hostname: `host${n}`, address: hostAddress(n), port: 22, user: 'root', keyName: 'stack', groups: [], vars: {}, hostKeys: [], become: null });
const marker = (tag: string) => `/tmp/simplecm-signed-${tag}`;
const touch = (tag: string): HostJobData['operations'] => [{ seq: 0, name: `touch ${tag}`, module: 'command', attributes: { command: `touch ${marker(tag)}` } }];

describe('signed host jobs', () => {
  let system: TestSystem;
  let queue: Queue<HostJobWire>;
  let redis: ReturnType<typeof redisConnection>;
  const suffix = randomUUID().slice(0, 8);

  beforeAll(async () => {
    const keyspace = `t_signed_jobs_${suffix}`;
    const prefix = `test-signed-jobs-${suffix}`;
    system = await systemOn(keyspace, prefix, {
      ...stackEnv(keyspace),
      SIMPLECM_QUEUE_PREFIX: prefix,
      SIMPLECM_JOB_SIGNING_KEY: path.join(keysDir, 'signing.pem'),
      SIMPLECM_JOB_PUBLIC_KEYS: path.join(keysDir, 'public'),
      SIMPLECM_RESULT_KEY: path.join(keysDir, 'result.key'),
    });
    redis = redisConnection(connectionConfigFromEnv(system.env).redis);
    queue = new Queue<HostJobWire>(HOSTS_QUEUE, { connection: redis, prefix });
  }, 120_000);

  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await system?.close();
  });

  it('runs only the job the master signed as it is; every forged one is recorded rejected and the run finishes', async () => {
    const runId = newRunId();
    const runs = runStore(system.cassandra, system.keyspace);
    await runs.createRun({ runId, mode: 'apply', target: 'signed jobs', hostCount: 5 });
    const options = { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 60 } as const;
    const signer = jobSigner(signingKey, 3_600_000);
    const data = (n: number, tag: string) => ({ runId, host: host(n), operations: touch(`${tag}-${suffix}`), options, hostCount: 5 });
    const signed = (n: number, tag: string, now?: number) => signer.sign(hostJobId(runId, `host${n}`), data(n, tag), now);
    // host1's command sealed to the workers' key (the system's), as a master seals a sensitive value.
    const sealer = valueSealer(readFileSync(system.env.SIMPLECM_SEAL_PUBLIC_KEY!));
    const validId = hostJobId(runId, 'host1');
    const valid = data(1, 'valid');
    const validJob = signer.sign(validId, { ...valid, ...sealOperations(sealer, validId, valid.operations, [{ op: 0, attribute: 'command', value: String(valid.operations[0]!.attributes.command) }]) });
    expect(validJob.payload).not.toContain(marker(`valid-${suffix}`));
    const edited = signed(3, 'edited');
    const editedPayload = JSON.parse(edited.payload) as HostJobData;
    editedPayload.operations[0]!.attributes.command = `touch ${marker(`edited-${suffix}`)}; touch ${marker(`edited-extra-${suffix}`)}`;
    const opts = (n: number) => hostJobOptions(runId, `host${n}`, 1);
    await queue.addBulk([
      { name: 'host', data: validJob, opts: opts(1) },
      { name: 'host', data: { payload: JSON.stringify(data(2, 'unsigned')) }, opts: opts(2) },
      { name: 'host', data: { ...edited, payload: JSON.stringify(editedPayload) }, opts: opts(3) },
      { name: 'host', data: signed(4, 'expired', Date.now() - 7_200_000), opts: opts(4) },
      // Signed for host5 in this run, filed under another id.
      { name: 'host', data: signed(5, 'misfiled'), opts: { ...opts(5), jobId: `forged.${suffix}` } },
    ]);
    system.startWorkers(1);
    system.startResults();

    const run = await runFinished(system, runId);
    expect(run.hostsDone).toBe(5);
    const rows = await system.cassandra.execute(`SELECT hostname, status, cause FROM ${system.keyspace}.run_hosts WHERE run_id = ?`, [runId], { prepare: true });
    const byHost = Object.fromEntries(rows.rows.map((r) => [r.get('hostname') as string, { status: r.get('status') as string, cause: r.get('cause') as string | null }]));
    expect(byHost).toEqual({
      host1: { status: 'changed', cause: null },
      host2: { status: 'rejected', cause: 'rejected: unsigned job' },
      host3: { status: 'rejected', cause: 'rejected: bad signature: the job is not as the master signed it' },
      host4: { status: 'rejected', cause: expect.stringMatching(/^rejected: expired at /) },
      host5: { status: 'rejected', cause: `rejected: job id forged.${suffix} is not ${hostJobId(runId, 'host5')}, the id of its run and host` },
    });
    // `rejected` is a status of its own: in the run's counts (one operation a host), in the
    // by-status index the dashboard and `results --status` page through, and on each operation.
    expect(run.counts).toEqual({ ok: 0, changed: 1, failed: 0, skipped: 0, unreachable: 0, rejected: 4 });
    const results = resultStore(system.cassandra, system.keyspace);
    const rejected = await results.pageRunHosts(runId, { pageSize: 10, status: 'rejected' });
    expect(rejected.items.map((h) => [h.hostname, h.counts.rejected])).toEqual([['host2', 1], ['host3', 1], ['host4', 1], ['host5', 1]]);
    expect((await results.pageRunHosts(runId, { pageSize: 10, status: 'unreachable' })).items).toEqual([]);
    const ops = await system.cassandra.execute(`SELECT status, exit_code FROM ${system.keyspace}.operation_results WHERE run_id = ? AND hostname = ?`, [runId, 'host2'], { prepare: true });
    expect(ops.rows.map((r) => [r.get('status'), r.get('exit_code')])).toEqual([['rejected', null]]);
    expect((await onHost(1, `test -e ${marker(`valid-${suffix}`)} && echo yes || echo no`)).stdout.trim()).toBe('yes');
    for (const [n, tag] of [[2, 'unsigned'], [3, 'edited'], [3, 'edited-extra'], [4, 'expired'], [5, 'misfiled']] as const) {
      expect((await onHost(n, `test -e ${marker(`${tag}-${suffix}`)} && echo yes || echo no`)).stdout.trim()).toBe('no');
    }
    await onHost(1, `rm -f ${marker(`valid-${suffix}`)}`);
  }, 180_000);

  it('a signed job whose sealed values do not open runs nothing and is recorded rejected: sealed to a key the workers lack, or moved from another job', async () => {
    const runId = newRunId();
    await runStore(system.cassandra, system.keyspace).createRun({ runId, mode: 'apply', target: 'sealed values', hostCount: 2 });
    const options = { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 60 } as const;
    const signer = jobSigner(signingKey, 3_600_000);
    const job = (n: number, tag: string, sealer: ReturnType<typeof valueSealer>, sealedFor = n): SignedPayload => {
      const data = { runId, host: host(n), operations: touch(`${tag}-${suffix}`), options, hostCount: 2 };
      const command = String(data.operations[0]!.attributes.command);
      const sealed = sealOperations(sealer, hostJobId(runId, `host${sealedFor}`), data.operations, [{ op: 0, attribute: 'command', value: command }]);
      return signer.sign(hostJobId(runId, `host${n}`), { ...data, ...sealed });
    };
    const stranger = valueSealer(generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const workers = valueSealer(readFileSync(system.env.SIMPLECM_SEAL_PUBLIC_KEY!));
    await queue.addBulk([
      { name: 'host', data: job(1, 'foreign-key', stranger), opts: hostJobOptions(runId, 'host1', 1) },
      // Sealed for host1's job (its additional data), signed into host2's.
      { name: 'host', data: job(2, 'moved', workers, 1), opts: hostJobOptions(runId, 'host2', 1) },
    ]);
    const run = await runFinished(system, runId);
    expect(run.hostsDone).toBe(2);
    const rows = await system.cassandra.execute(`SELECT hostname, status, cause FROM ${system.keyspace}.run_hosts WHERE run_id = ?`, [runId], { prepare: true });
    expect(Object.fromEntries(rows.rows.map((r) => [r.get('hostname') as string, { status: r.get('status') as string, cause: r.get('cause') as string | null }]))).toEqual({
      host1: { status: 'rejected', cause: `rejected: sealed to key ${stranger.keyId}, which this worker does not hold` },
      host2: { status: 'rejected', cause: 'rejected: sealed value of operation #0 attribute command does not open (sealed for another job or place, or altered)' },
    });
    for (const [n, tag] of [[1, 'foreign-key'], [2, 'moved']] as const) {
      expect((await onHost(n, `test -e ${marker(`${tag}-${suffix}`)} && echo yes || echo no`)).stdout.trim()).toBe('no');
    }
  }, 180_000);

  it("runs a batch-signed job as it is; one whose audit path is altered, or moved under another batch's signature, is recorded rejected", async () => {
    const runId = newRunId();
    await runStore(system.cassandra, system.keyspace).createRun({ runId, mode: 'apply', target: 'batches', hostCount: 3 });
    const options = { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 60 } as const;
    const signer = jobSigner(signingKey, 3_600_000);
    const batch = (jobs: ReadonlyArray<readonly [number, string]>) =>
      signer.signBatch(jobs.map(([n, tag]) => ({ jobId: hostJobId(runId, `host${n}`), data: { runId, host: host(n), operations: touch(`${tag}-${suffix}`), options, hostCount: 3 } })));
    const [valid, altered] = batch([[1, 'batch-valid'], [2, 'path-altered']]) as [SignedPayload, SignedPayload];
    const [moved] = batch([[3, 'batch-moved'], [4, 'batch-other']]) as [SignedPayload, SignedPayload];
    const hash = Buffer.from(altered.signature.path[0]!, 'base64');
    hash[31]! ^= 0x80;
    await queue.addBulk([
      { name: 'host', data: valid, opts: hostJobOptions(runId, 'host1', 1) },
      { name: 'host', data: { ...altered, signature: { ...altered.signature, path: [hash.toString('base64')] } }, opts: hostJobOptions(runId, 'host2', 1) },
      // host3's job, index and path with the first batch's root signature (the one host1's job verified).
      { name: 'host', data: { ...moved, signature: { ...moved.signature, value: valid.signature.value } }, opts: hostJobOptions(runId, 'host3', 1) },
    ]);
    const run = await runFinished(system, runId);
    expect(run.hostsDone).toBe(3);
    const rows = await system.cassandra.execute(`SELECT hostname, status, cause FROM ${system.keyspace}.run_hosts WHERE run_id = ?`, [runId], { prepare: true });
    expect(Object.fromEntries(rows.rows.map((r) => [r.get('hostname') as string, { status: r.get('status') as string, cause: r.get('cause') as string | null }]))).toEqual({
      host1: { status: 'changed', cause: null },
      host2: { status: 'rejected', cause: 'rejected: bad signature: the job is not as the master signed it' },
      host3: { status: 'rejected', cause: 'rejected: bad signature: the job is not as the master signed it' },
    });
    expect((await onHost(1, `test -e ${marker(`batch-valid-${suffix}`)} && echo yes || echo no`)).stdout.trim()).toBe('yes');
    for (const [n, tag] of [[2, 'path-altered'], [3, 'batch-moved']] as const) {
      expect((await onHost(n, `test -e ${marker(`${tag}-${suffix}`)} && echo yes || echo no`)).stdout.trim()).toBe('no');
    }
    await onHost(1, `rm -f ${marker(`batch-valid-${suffix}`)}`);
  }, 180_000);
});
