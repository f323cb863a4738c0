/**
 * Cost of host job signatures and result MACs per host job, in µs of CPU: the master signs once
 * per host job, a worker verifies once and seals its result once, a consumer checks the result.
 * Then the share of a run's CPU that is, per process, for a run of RUN_HOSTS hosts whose
 * processes used the CPU seconds given (default: the 200-host warm row of docs/performance.md,
 * 1 worker: worker 1.23 s, results 0.22 s, enqueue 0.39 s).
 * Run: npx tsx bench/job-signing-cost.ts [jobs] [hosts workerCpuS resultsCpuS enqueueCpuS]
 * (default 2000 jobs, 10 operations a host; one pass to warm up, then one measured).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { hostJobId, jobSigner, jobVerifier, resultJobId, resultSealer } from '@simplecm/queue';

const jobs = Number(process.argv[2] ?? 2000);
const [runHosts, workerCpuS, resultsCpuS, enqueueCpuS] = [200, 1.23, 0.22, 0.39].map((fallback, i) => Number(process.argv[3 + i] ?? fallback)) as [number, number, number, number];
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = jobSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }), 3_600_000);
const verifier = jobVerifier([publicKey.export({ type: 'spki', format: 'pem' })]);
const sealer = resultSealer(randomBytes(32));
const RUN = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002';
const data = (i: number) => ({
  runId: RUN,
  host: { hostname: `web${i}`, address: '10.0.0.1', port: 22, user: 'root', keyName: 'k', groups: ['web'], vars: { env: 'prod' }, hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI'], become: null },
  operations: Array.from({ length: 10 }, (_, seq) => ({ seq, name: `op${seq}`, module: 'file_content', attributes: { path: `/etc/app/${seq}.conf`, content: 'x'.repeat(200) }, tags: ['web'] })),
  options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 },
  hostCount: jobs,
});
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

function measure() {
  const inputs = Array.from({ length: jobs }, (_, i) => data(i));
  const [signUs, signed] = cpuMicros(() => inputs.map((d, i) => signer.sign(hostJobId(RUN, `web${i}`), d)));
  const fromRedis = signed.map((s) => JSON.parse(JSON.stringify(s)) as unknown);
  const [verifyUs, refusals] = cpuMicros(() => fromRedis.filter((d, i) => verifier.verify(hostJobId(RUN, `web${i}`), d, hostJobId(RUN, `web${i}`)) !== null).length);
  const results = Array.from({ length: jobs }, (_, i) => result(i));
  const [sealUs, sealed] = cpuMicros(() => results.map((r, i) => sealer.seal(resultJobId(RUN, `web${i}`), r)));
  const [checkUs, bad] = cpuMicros(() => sealed.filter((r, i) => sealer.check(resultJobId(RUN, `web${i}`), r) !== null).length);
  if (refusals + bad > 0) throw new Error(`${refusals} jobs and ${bad} results did not verify`);
  return { signUs, verifyUs, sealUs, checkUs };
}

measure(); // JIT and key set-up out of the way, as in a process that has run a while
const { signUs, verifyUs, sealUs, checkUs } = measure();
const per = (us: number) => (us / jobs).toFixed(1);
const share = (us: number, cpuS: number) => `${((((us / jobs) * runHosts) / 1e6 / cpuS) * 100).toFixed(1)} %`;
console.log(`${jobs} host jobs of 10 operations, CPU µs per job:`);
console.log(`  master: sign ${per(signUs)}`);
console.log(`  worker: verify ${per(verifyUs)} + seal result ${per(sealUs)}`);
console.log(`  consumer: check result ${per(checkUs)}`);
console.log(`share of a ${runHosts}-host run's CPU (worker ${workerCpuS} s, results ${resultsCpuS} s, enqueue ${enqueueCpuS} s):`);
console.log(`  master ${share(signUs, enqueueCpuS)} · worker ${share(verifyUs + sealUs, workerCpuS)} · consumer ${share(checkUs, resultsCpuS)}`);
