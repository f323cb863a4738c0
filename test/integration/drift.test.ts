import { randomUUID } from 'node:crypto';
import type { Operation } from '@simplecm/domain';
import { startProcess } from '@simplecm/stack';
import { waitUntil } from '../support/faults';
import { startMaster } from '../support/master';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';

const HOSTS = [1, 2];

interface DriftJson {
  hosts: Array<{ hostname: string; driftedSince: string; checkedAt: string; runId: string; pending: number; pendingOperations: string[] }>;
}

describe('drift: a check run is a drift probe (simplecm drift)', () => {
  let system: TestSystem;
  const dir = `/tmp/simplecm-drift-${randomUUID().slice(0, 8)}`;
  const operations: Operation[] = [
    { seq: 0, name: 'drift dir', module: 'directory', attributes: { path: dir } },
    { seq: 1, name: 'drift file', module: 'file_content', attributes: { path: `${dir}/motd`, content: 'desired\n' } },
  ];
  beforeAll(async () => {
    system = await createTestSystem('drift');
    await putDesiredState(system, HOSTS.map((n) => ({ host: stackHost(n), operations })));
    system.startWorkers(1, ['--concurrency', '4']);
    system.startResults();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -rf ${dir}`).catch(() => undefined)));
    await system?.close();
  });

  async function drift(args: string[] = []): Promise<DriftJson> {
    const started = startProcess('read', ['drift', '--json', ...args], system.env);
    system.processes.push(started);
    const code = await started.exited;
    if (code !== 0) throw new Error(`drift exited ${code}: ${started.output()}`);
    return JSON.parse(started.output()) as DriftJson;
  }

  async function run(args: string[]): Promise<string> {
    const { code, output, runId } = await system.enqueue(['--local', '--wait', ...args]);
    if (code !== 0 || !runId) throw new Error(`run ${args.join(' ')} exited ${code}: ${output}`);
    return runId;
  }

  it('a file edited behind SimpleCM’s back shows in drift after a check run, since that check; an apply clears it', async () => {
    await run([]);
    await run(['--check']);
    expect((await drift()).hosts).toEqual([]);

    await onHost(1, `echo tampered > ${dir}/motd`);
    const firstCheck = await run(['--check']);
    const first = await drift();
    expect(first.hosts).toHaveLength(1);
    expect(first.hosts[0]).toMatchObject({ hostname: 'host1', runId: firstCheck, pending: 1, pendingOperations: ['drift file'] });
    expect(first.hosts[0]!.driftedSince).toBe(first.hosts[0]!.checkedAt);

    // A second check keeps since-when at the first check that found the drift.
    const secondCheck = await run(['--check']);
    const second = await drift();
    expect(second.hosts[0]).toMatchObject({ hostname: 'host1', runId: secondCheck, driftedSince: first.hosts[0]!.driftedSince });
    expect(second.hosts[0]!.checkedAt).not.toBe(first.hosts[0]!.checkedAt);
    expect((await drift(['--limit', 'host2'])).hosts).toEqual([]);
    expect((await drift(['--limit', 'host1'])).hosts.map((h) => h.hostname)).toEqual(['host1']);

    await run([]);
    expect((await drift()).hosts).toEqual([]);
    expect((await onHost(1, `cat ${dir}/motd`)).stdout).toBe('desired\n');
  }, 300_000);

  it('a scheduled check run (resident master, --every) detects a file edited by hand', async () => {
    await run([]);
    expect((await drift()).hosts).toEqual([]);
    await startMaster(system, 'drift-m1');
    const add = startProcess('schedule', ['add', 'drift-probe', '--every', '2s', '--check'], system.env);
    system.processes.push(add);
    expect(await add.exited).toBe(0);
    await onHost(2, `echo edited-by-hand > ${dir}/motd`);
    const found = await waitUntil('a scheduled check to find host2 drifted', async () => (await drift()).hosts.find((h) => h.hostname === 'host2'), { timeoutMs: 90_000 });
    expect(found).toMatchObject({ pending: 1, pendingOperations: ['drift file'] });
    const byRun = await system.cassandra.execute(`SELECT target, mode FROM ${system.keyspace}.runs WHERE run_id = ?`, [found.runId], { prepare: true });
    expect(byRun.first()?.get('target')).toBe('all schedule:drift-probe');
    expect(byRun.first()?.get('mode')).toBe('check');
    const remove = startProcess('schedule', ['remove', 'drift-probe'], system.env);
    system.processes.push(remove);
    expect(await remove.exited).toBe(0);
  }, 300_000);
});
