import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { OUTPUT_LIMIT_BYTES, type HostResult, type Operation } from '@simplecm/domain';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import type { HostJobData } from '@simplecm/queue';
import { hostKeyPolicy, journalKey, loadKnownHosts, SshError } from '@simplecm/ssh';
import { stackPaths } from '@simplecm/stack';
import { convergeHost, type ConvergeContext } from '@simplecm/worker';
import { onHost, stackHost } from '../support/system';

// A host job whose SSH connection the worker drops in the middle of the host (the test hook of
// convergeHost), then delivered again: the second delivery attaches to the host's journal. Runs
// on the shared stack without stopping anything: only this test's own connection is dropped.
const HOST = 2;
const journalDir = (runId: string) => `/var/lib/simplecm/journal/${journalKey(runId, `host${HOST}`)}`;

function context(onDriverStarted?: ConvergeContext['onDriverStarted']): ConvergeContext {
  return {
    modules: loadModules(resolveModulesDir(undefined)),
    hostKeys: hostKeyPolicy(loadKnownHosts(stackPaths.knownHosts)),
    privateKey: () => fs.readFileSync(`${stackPaths.keysDir}/stack`),
    connectTimeoutMs: 10_000,
    hostDeadlineMs: 300_000,
    outputLimitBytes: OUTPUT_LIMIT_BYTES,
    workerName: 'journal-test',
    onDriverStarted,
  };
}

async function linesOf(file: string): Promise<string[]> {
  return (await onHost(HOST, `cat ${file} 2>/dev/null || true`)).stdout.split('\n').filter(Boolean);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
}

describe('host journal over SSH', () => {
  const tag = randomUUID();
  const file = `/var/tmp/simplecm-journal-test/${tag}`;
  afterAll(() => onHost(HOST, `rm -f ${file}`));

  // Each operation appends its name to the file: a line per execution.
  const mark = (seq: number, name: string, then = ''): Operation => ({
    seq,
    name,
    module: 'command',
    attributes: { command: `mkdir -p /var/tmp/simplecm-journal-test && echo ${name} >> ${file}${then}` },
    become: null,
  });

  it('a connection dropped mid-host is retried and attaches: every operation ran once, every result is there, the journal is gone after the hand-off', async () => {
    const runId = randomUUID();
    const job: HostJobData = {
      runId,
      host: stackHost(HOST),
      operations: [mark(0, 'first'), mark(1, 'second', ' && sleep 3'), mark(2, 'third')],
      options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 60 },
      hostCount: 1,
    };
    let drop: (() => void) | undefined;
    const first = convergeHost(job, context((d) => (drop = d)));
    await until('the second operation to start', async () => (await linesOf(file)).includes('second'));
    drop!();
    const lost = await first.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(lost).toBeInstanceOf(SshError);
    expect((lost as SshError).retryable).toBe(true);

    const handedOff: HostResult[] = [];
    const result = await convergeHost(job, context(), undefined, async (r) => {
      handedOff.push(r);
    });
    expect(result.status).toBe('changed');
    expect(result.operations.map((o) => [o.seq, o.status])).toEqual([
      [0, 'changed'],
      [1, 'changed'],
      [2, 'changed'],
    ]);
    expect(handedOff).toHaveLength(1);
    expect(await linesOf(file)).toEqual(['first', 'second', 'third']);
    expect((await onHost(HOST, `test -e ${journalDir(runId)} && echo kept || echo gone`)).stdout.trim()).toBe('gone');
  }, 120_000);

  it('without a hand-off the journal stays, and a later delivery of the same host job runs nothing', async () => {
    const runId = randomUUID();
    const job: HostJobData = {
      runId,
      host: stackHost(HOST),
      operations: [mark(0, `again-${runId}`)],
      options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 60 },
      hostCount: 1,
    };
    await convergeHost(job, context());
    const mode = (await onHost(HOST, `stat -c %a ${journalDir(runId)} /var/lib/simplecm/journal`)).stdout.trim().split('\n');
    expect(mode).toEqual(['700', '700']);
    const again = await convergeHost(job, context(), undefined, async () => undefined);
    expect(again.operations.map((o) => o.status)).toEqual(['changed']);
    expect((await linesOf(file)).filter((l) => l === `again-${runId}`)).toHaveLength(1);
  }, 120_000);
});

// An operation that prints without end (`yes` for six seconds: ~500 MB/s on the stack's hosts
// here, so ~3 GB without the cap, 0.7-2.4 GB under the loads tried on this 2-core machine) on a real
// host: what the driver keeps of its stdout (the file, and once the watchdog cut it, the first
// bytes it saved), sampled on the host every 10 ms while it runs, holds no more than the output
// limit, the cap's slack and what `yes` writes between two looks of the driver's watchdog (a
// 10 ms nap while the file grows, plus the watchdog's wait for a CPU). Seen here: 8-27 MB, and
// 12-19 MB with three `yes` and a `dd conv=fsync` loop added (18-64 MB before cuts were made
// without a process and the idle nap ramped; 332 MB once in a CI run then, see
// docs/security.md). The bound below leaves room for a loaded 2-core CI machine and still fails
// without the cap. The result keeps the first bytes, says they were cut, and keeps the
// operation's own exit status. Nothing of the shared stack is stopped.
const BOUND = 512 * 1024 * 1024;

describe('output kept on the host is capped while it streams', () => {
  it('yes for six seconds: the kept file stays under the bound, the result has the first 64 KiB, says it was cut, exit status 3', async () => {
    const runId = randomUUID();
    const dir = `/var/lib/simplecm/journal/${journalKey(runId, `host${HOST}`)}`;
    const job: HostJobData = {
      runId,
      host: stackHost(HOST),
      operations: [{ seq: 0, name: 'endless output', module: 'command', attributes: { command: 'timeout 6 yes || true; echo end-of-yes >&2; exit 3' }, become: null }],
      options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 60 },
      hostCount: 1,
    };
    // The sampler starts first and waits for the file, then records every 10 ms what the driver
    // keeps of stdout (the file and, once the watchdog cut it, the first bytes it saved) until the
    // journal is gone (the hand-off removes it) or 20 s passed; each sample's sizes end with an
    // empty line, and awk prints the largest sum.
    const sampler = onHost(
      HOST,
      `for i in $(seq 2000); do [ -e ${dir}/out ] && break; sleep 0.01; done; for i in $(seq 2000); do [ -e ${dir}/out ] || break; stat -c %s ${dir}/out ${dir}/out.head 2> /dev/null; echo; sleep 0.01; done | awk 'NF == 0 { if (s > m) m = s; s = 0; next } { s += $1 } END { print m + 0 }'`,
    );
    const result = await convergeHost(job, context(), undefined, async () => undefined);
    const largest = Number((await sampler).stdout.trim());
    console.log(`largest size of the kept stdout file sampled on host${HOST}: ${largest} bytes (bound ${BOUND})`);

    const [op] = result.operations;
    expect(op).toMatchObject({ status: 'failed', exitCode: 3, stdoutTruncated: true, stderr: 'end-of-yes\n', stderrTruncated: false });
    expect(op!.stdout).toBe('y\n'.repeat(OUTPUT_LIMIT_BYTES / 2));
    expect(largest).toBeGreaterThan(OUTPUT_LIMIT_BYTES); // the sampler saw the file while yes wrote
    expect(largest).toBeLessThan(BOUND);
    expect((await onHost(HOST, `test -e ${dir} && echo kept || echo gone`)).stdout.trim()).toBe('gone');
  }, 120_000);
});
