/**
 * Cost of host job signatures, sealed values and result MACs per host job, in µs of CPU: the
 * master seals each host job and signs, once per batch of jobs it adds together, the batch's
 * Merkle root (serialising each payload once; batches of 1, 16, 64, 256 and the master's 200), a
 * worker hashes the payload bytes up to the root, verifies the root (cold: no root cache, every
 * job pays Ed25519; batched: a fresh cache, the first job of each batch of 200 pays; warm: every
 * root already verified) and parses them once (what BullMQ's own parse of the job's data no longer
 * does), opens the sealed values, and seals its result once; a consumer checks the result and
 * parses it. Then the share of a run's CPU that is, per process, for a run of RUN_HOSTS hosts
 * whose processes used the CPU seconds given (default: the 200-host warm row of
 * docs/performance.md, 1 worker: worker 1.23 s, results 0.22 s, enqueue 0.39 s).
 * Run: npx tsx bench/job-signing-cost.ts [jobs] [hosts workerCpuS resultsCpuS enqueueCpuS]
 * (default 2000 jobs, 10 operations a host, one sensitive value a host; one pass to warm up,
 * then one measured). The shares count the master's batches of 200 and the batched worker.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { hostJobDataSchema, hostJobId, hostJobReader, jobSigner, jobVerifier, resultJobId, resultSealer, sealOperations, valueOpener, valueSealer, type PlacedValue, type SignedPayload } from '@simplecm/queue';

const jobs = Number(process.argv[2] ?? 2000);
const [runHosts, workerCpuS, resultsCpuS, enqueueCpuS] = [200, 1.23, 0.22, 0.39].map((fallback, i) => Number(process.argv[3 + i] ?? fallback)) as [number, number, number, number];
const signing = generateKeyPairSync('ed25519');
const sealing = generateKeyPairSync('x25519');
const signer = jobSigner(signing.privateKey.export({ type: 'pkcs8', format: 'pem' }), 3_600_000);
const sealer = valueSealer(sealing.publicKey.export({ type: 'spki', format: 'pem' }));
const publicPem = signing.publicKey.export({ type: 'spki', format: 'pem' });
const opener = valueOpener([sealing.privateKey.export({ type: 'pkcs8', format: 'pem' })]);
/** A worker's reader; `cachedRoots` 0 verifies every job's root with Ed25519. */
const reader = (cachedRoots?: number) => hostJobReader(jobVerifier([publicPem], cachedRoots), opener);
/** The master's addBulk batch (enqueue.ts). */
const MASTER_BATCH = 200;
const BATCH_SIZES = [1, 16, 64, 256, MASTER_BATCH] as const;
const resultMac = resultSealer(randomBytes(32));
const RUN = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002';
const data = (i: number) => ({
  runId: RUN,
  host: { hostname: `web${i}`, address: '10.0.0.1', port: 22, user: 'root', keyName: 'k', groups: ['web'], vars: { env: 'prod' }, hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI'], become: null },
  operations: Array.from({ length: 10 }, (_, seq) => ({ seq, name: `op${seq}`, module: 'file_content', attributes: { path: `/etc/app/${seq}.conf`, content: 'x'.repeat(200) }, tags: ['web'] })),
  options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 } as const,
  hostCount: jobs,
});
/** One sensitive value a host (the first operation's content), as a master finds it. */
const SENSITIVE = [{ op: 0, attribute: 'content', value: 'x'.repeat(200) }];
const result = (i: number) => ({
  result: { runId: RUN, hostname: `web${i}`, status: 'ok', worker: 'w', startedAt: 1, endedAt: 2, cause: null, operations: Array.from({ length: 10 }, (_, seq) => ({ seq, name: `op${seq}`, module: 'file_content', status: 'ok', exitCode: 0, stdout: 'y'.repeat(500), stdoutTruncated: false, stderr: '', stderrTruncated: false, changes: [], startedAt: 1, durationMs: 1 })) },
  mode: 'apply',
  hostCount: jobs,
});

function cpuMicros<T>(fn: () => T): [number, T] {
  const start = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(start);
  return [used.user + used.system, value];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

function measure(sensitive: readonly PlacedValue[]) {
  const inputs = Array.from({ length: jobs }, (_, i) => data(i));
  const ids = inputs.map((_, i) => hostJobId(RUN, `web${i}`));
  const signAll = (batchSize: number): SignedPayload[] =>
    chunks(
      inputs.map((d, i) => ({ d, jobId: ids[i]! })),
      batchSize,
    ).flatMap((batch) =>
      signer.signBatch(
        batch.map(({ d, jobId }) => {
          const { operations, sealed } = sealOperations(sealer, jobId, d.operations, sensitive);
          return { jobId, data: { ...d, operations, sealed } };
        }),
      ),
    );
  const signUs = new Map<number, number>();
  let signed: SignedPayload[] = [];
  for (const size of BATCH_SIZES) {
    const [us, made] = cpuMicros(() => signAll(size));
    signUs.set(size, us);
    signed = made;
  }
  // What BullMQ stores (JSON of the job's data) and gives the worker back (its parse): not counted.
  const fromRedis = signed.map((s) => JSON.parse(JSON.stringify(s)) as unknown);
  const verifyWith = (read: ReturnType<typeof reader>) => cpuMicros(() => fromRedis.filter((d, i) => read(ids[i]!, d).kind !== 'valid').length);
  const [coldUs, coldRefusals] = verifyWith(reader(0));
  const [batchedUs, batchedRefusals] = verifyWith(reader());
  const warm = reader();
  verifyWith(warm);
  const [warmUs, warmRefusals] = verifyWith(warm);
  // The schema check the worker made before this change too (of the object BullMQ parsed).
  const payloads = signed.map((s) => JSON.parse(s.payload) as unknown);
  const [zodUs] = cpuMicros(() => payloads.forEach((p) => hostJobDataSchema.parse(p)));
  const results = Array.from({ length: jobs }, (_, i) => result(i));
  const [sealUs, sealed] = cpuMicros(() => results.map((r, i) => resultMac.seal(resultJobId(RUN, `web${i}`), r)));
  const [checkUs, bad] = cpuMicros(() => sealed.filter((r, i) => typeof resultMac.open(resultJobId(RUN, `web${i}`), r) === 'string').length);
  if (coldRefusals + batchedRefusals + warmRefusals + bad > 0) throw new Error(`${coldRefusals + batchedRefusals + warmRefusals} jobs and ${bad} results did not verify`);
  return { signUs, coldUs: coldUs - zodUs, batchedUs: batchedUs - zodUs, warmUs: warmUs - zodUs, zodUs, sealUs, checkUs };
}

const per = (us: number) => (us / jobs).toFixed(1);
const share = (us: number, cpuS: number) => `${((((us / jobs) * runHosts) / 1e6 / cpuS) * 100).toFixed(1)} %`;
for (const [label, sensitive] of [['no sensitive value', []], ['one sensitive value each', SENSITIVE]] as const) {
  measure(sensitive); // JIT and key set-up out of the way, as in a process that has run a while
  const { signUs, coldUs, batchedUs, warmUs, zodUs, sealUs, checkUs } = measure(sensitive);
  const open = sensitive.length > 0 ? ' + open' : '';
  console.log(`${jobs} host jobs of 10 operations, ${label}, CPU µs per job:`);
  console.log(`  master: ${sensitive.length > 0 ? 'seal + ' : ''}sign, batches of ${BATCH_SIZES.map((size) => `${size}: ${per(signUs.get(size)!)}`).join(' · ')}`);
  console.log(`  worker: verify + parse${open}, cold ${per(coldUs)} · batched (fresh cache, batches of ${MASTER_BATCH}) ${per(batchedUs)} · warm ${per(warmUs)} (besides the schema check, ${per(zodUs)}, made before too) + seal result ${per(sealUs)}`);
  console.log(`  consumer: check + parse result ${per(checkUs)}`);
  console.log(`  share of a ${runHosts}-host run's CPU (worker ${workerCpuS} s, results ${resultsCpuS} s, enqueue ${enqueueCpuS} s): master ${share(signUs.get(MASTER_BATCH)!, enqueueCpuS)} · worker ${share(batchedUs + sealUs, workerCpuS)} (verify alone ${share(batchedUs, workerCpuS)}) · consumer ${share(checkUs, resultsCpuS)}`);
}
