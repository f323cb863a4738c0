import { countStatuses, hostStatusOf, type HostResult, type OperationResult, type OperationStatus, type RunMode } from '@simplecm/domain';
import { newRunId, type ResultStore, type RunStore } from '@simplecm/store';

export interface SyntheticRunOptions {
  /** Hosts in the run. */
  readonly hosts: number;
  /** Every n-th host fails its second operation (the rest are skipped). @defaultValue 10 */
  readonly failEvery?: number;
  /** Every n-th host is unreachable. @defaultValue 25 */
  readonly unreachableEvery?: number;
  /** Give failing hosts a long stderr (hundreds of lines, very long lines, markup), one of them cut. */
  readonly longOutput?: boolean;
  readonly mode?: RunMode;
  /** Results written at once. @defaultValue 32 */
  readonly concurrency?: number;
  readonly hostname?: (i: number) => string;
  /** The run's bucket count B (store: run-buckets.ts). @defaultValue the store's rule for `hosts` (1 up to 50,000) */
  readonly bucketCount?: number;
}

export interface SyntheticRun {
  readonly runId: string;
  readonly hostnames: string[];
  readonly failed: string[];
  readonly unreachable: string[];
  /** Failed hosts whose stderr is marked truncated (with `longOutput`). */
  readonly truncated: string[];
}

const defaultHostname = (i: number) => `web-${String(i).padStart(4, '0')}.dc1.example.internal`;

function longStderr(hostname: string): string {
  const lines = [`apt-get: error processing package nginx on ${hostname}`];
  for (let i = 0; i < 300; i += 1) lines.push(`E: line ${i}: dpkg: dependency problems prevent configuration of nginx-core (${'x'.repeat(i % 7 === 0 ? 90 : 10)})`);
  lines.push(`/var/lib/${'very-long-path-segment-without-spaces-'.repeat(20)}end`);
  lines.push('<script>alert("stderr is untrusted")</script> & "quotes" \'too\'');
  return `${lines.join('\n')}\n`;
}

function operations(i: number, hostname: string, fate: 'ok' | 'failed' | 'unreachable', longOutput: boolean, cut: boolean, startedAt: number): OperationResult[] {
  const names = ['managed marker exists', 'install nginx', 'nginx config', 'nginx running'];
  const modules = ['file_exists', 'package', 'file_content', 'service'];
  let stopped = false;
  return names.map((name, seq) => {
    let status: OperationStatus;
    if (fate === 'unreachable') status = 'unreachable';
    else if (stopped) status = 'skipped';
    else if (fate === 'failed' && seq === 1) status = 'failed';
    else status = (i + seq) % 3 === 0 ? 'changed' : 'ok';
    if (status === 'failed') stopped = true;
    const ran = status !== 'skipped' && status !== 'unreachable';
    const stderr = status === 'failed' ? (longOutput ? longStderr(hostname) : `package: apt-get install nginx failed on ${hostname}\n`) : status === 'skipped' ? 'not run: an earlier operation failed' : '';
    return {
      seq,
      name,
      module: modules[seq] ?? 'command',
      status,
      exitCode: ran ? (status === 'failed' ? 100 : 0) : null,
      stdout: ran ? `checked ${name} on ${hostname}\n` : '',
      stdoutTruncated: false,
      stderr,
      stderrTruncated: status === 'failed' && longOutput && cut,
      changes: status === 'changed' ? [`${name}: updated /etc/example/${seq}.conf`] : [],
      startedAt: ran ? startedAt + seq * 40 : null,
      durationMs: ran ? 20 + ((i * 7 + seq * 13) % 400) : 0,
    };
  });
}

/**
 * Writes a finished run with many hosts straight through the store (no queue, no SSH): for the
 * dashboard's browser test and bench, and for looking at pages with realistic volumes.
 */
export async function writeSyntheticRun(
  stores: Pick<RunStore, 'createRun' | 'recordRunProgress'> & Pick<ResultStore, 'recordHostResult'>,
  { hosts, failEvery = 10, unreachableEvery = 25, longOutput = false, mode = 'apply', concurrency = 32, hostname = defaultHostname, bucketCount }: SyntheticRunOptions,
): Promise<SyntheticRun> {
  const runId = newRunId();
  await stores.createRun({ runId, mode, target: 'group:web', hostCount: hosts, bucketCount });
  const hostnames = Array.from({ length: hosts }, (_, i) => hostname(i + 1));
  const fates = hostnames.map((_, i) => ((i + 1) % unreachableEvery === 0 ? 'unreachable' : (i + 1) % failEvery === 0 ? 'failed' : 'ok') as 'ok' | 'failed' | 'unreachable');
  // Every other failing host (the first, third…) has its long stderr marked as cut on the host.
  let failedSoFar = 0;
  const cut = fates.map((f) => f === 'failed' && failedSoFar++ % 2 === 0);
  const all: OperationResult[][] = [];
  let next = 0;
  const t0 = Date.now();
  const writer = async () => {
    while (next < hosts) {
      const i = next++;
      const name = hostnames[i] as string;
      const fate = fates[i] ?? 'ok';
      const startedAt = t0 + i * 5;
      const ops = operations(i, name, fate, longOutput, cut[i] ?? false, startedAt);
      all[i] = ops;
      const result: HostResult = {
        runId,
        hostname: name,
        status: hostStatusOf(ops.map((o) => o.status)),
        worker: `worker-${(i % 3) + 1}:${4000 + (i % 3)}`,
        startedAt,
        endedAt: startedAt + ops.reduce((n, o) => n + o.durationMs, 0) + 30,
        cause:
          fate === 'unreachable'
            ? `unreachable: connect ECONNREFUSED 10.0.${i % 250}.${i % 200}:22`
            : fate === 'failed'
              ? `module-failed: host ${name}, operation #1 "install nginx" exited 100`
              : null,
        operations: ops,
      };
      await stores.recordHostResult(result, mode);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, hosts) }, writer));
  const counts = countStatuses(all.flat().map((o) => o.status));
  await stores.recordRunProgress(runId, { hostsDone: hosts, counts, finished: true });
  return {
    runId,
    hostnames,
    failed: hostnames.filter((_, i) => fates[i] === 'failed'),
    unreachable: hostnames.filter((_, i) => fates[i] === 'unreachable'),
    truncated: longOutput ? hostnames.filter((_, i) => cut[i]) : [],
  };
}
