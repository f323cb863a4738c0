import { resultStore, runStore } from '@simplecm/store';
import { resetHost } from '@simplecm/stack';
import { createTestSystem, hostFingerprint, onHost, type TestSystem } from '../support/system';

// The example desired state (examples/demo-state, applied by the seed), end to end: Cassandra →
// master → BullMQ → 3 worker processes over SSH → results consumer → Cassandra, all real. The
// hosts are reset first so the first apply really changes them. host1-4 get seven operations:
// the demo's four, then the web role (config from a template, a page from files/, and a reload
// handler that runs only when one of those two changed); host5 gets three, the second fails.
const WEB_HOST_FIRST_APPLY = ['changed', 'changed', 'changed', 'ok', 'changed', 'changed', 'changed'];
describe('convergence of the example state on the five stack hosts', () => {
  let system: TestSystem;

  beforeAll(async () => {
    await Promise.all([1, 2, 3, 4, 5].map(resetHost));
    system = await createTestSystem('converge');
    await system.seed();
    // One host at a time per worker, so a run really spreads over the three processes.
    system.startWorkers(3, ['--concurrency', '1']);
    system.startResults();
  });
  afterAll(async () => {
    await system?.close();
  });

  it('check mode on fresh hosts reports what would change and changes nothing', async () => {
    const before = [1, 2, 3, 4, 5].map(hostFingerprint);
    const { code, runId, output } = await system.enqueue(['--check', '--wait']);
    // Check mode cannot know that no earlier operation creates host5's missing directory, so it
    // reports the change as an assumption instead of failing.
    expect(code).toBe(0);
    expect(runId).toBeDefined();
    expect([1, 2, 3, 4, 5].map(hostFingerprint)).toEqual(before);
    const results = resultStore(system.cassandra, system.keyspace);
    const ops = await results.getOperationResults(runId!, 'host1');
    // The handler's triggers would change, so it runs too, in check mode.
    expect(ops.map((o) => o.status)).toEqual(WEB_HOST_FIRST_APPLY);
    expect(ops[0]!.changes.join('\n')).toMatch(/simplecm-demo/);
    expect(output).toMatch(/host1\s+changed/);
    const host5 = await results.getOperationResults(runId!, 'host5');
    expect(host5[1]!.changes).toEqual(['file_contains: append line to /nonexistent/motd (assuming directory /nonexistent, missing now, is created first)']);
  });

  it('first apply converges host1-4, fails host5 with its stderr and skips the rest', async () => {
    const { code, runId, output } = await system.enqueue(['--wait']);
    expect(code).toBe(1);
    expect(output).toMatch(/host5\s+failed/);
    const results = resultStore(system.cassandra, system.keyspace);
    for (const n of [1, 2, 3, 4]) {
      const ops = await results.getOperationResults(runId!, `host${n}`);
      expect(ops.map((o) => o.status)).toEqual(WEB_HOST_FIRST_APPLY);
      const file = await onHost(n, 'cat /etc/simplecm-demo/managed');
      expect(file.stdout).toBe(`managed by SimpleCM on host${n}\n`);
      // The template was rendered with the host's own variables; the handler ran once.
      expect((await onHost(n, 'grep server_name /etc/simplecm-demo/web.conf')).stdout.trim()).toBe(`server_name host${n};`);
      expect((await onHost(n, 'wc -l < /etc/simplecm-demo/web-reloads')).stdout.trim()).toBe('1');
    }
    const host5 = await results.getOperationResults(runId!, 'host5');
    expect(host5.map((o) => o.status)).toEqual(['changed', 'failed', 'skipped']);
    expect(host5[1]!.exitCode).not.toBe(0);
    expect(host5[1]!.exitCode).not.toBeNull();
    expect(host5[1]!.stderr).toMatch(/nonexistent/);
    expect((await onHost(5, 'test -e /etc/simplecm-demo-never; echo $?')).stdout.trim()).toBe('1');
    // Nothing leaked onto the machine itself.
    expect((await onHost(1, 'hostname')).stdout.trim()).toBe('host1');

    const run = await runStore(system.cassandra, system.keyspace).getRun(runId!);
    expect(run).toMatchObject({ status: 'finished', hostCount: 5, hostsDone: 5 });
    expect(run!.counts).toEqual({ ok: 4, changed: 25, failed: 1, skipped: 1, unreachable: 0, rejected: 0 });
  });

  it('second apply changes nothing (idempotent), and the handler does not fire', async () => {
    const { runId } = await system.enqueue(['--hosts', 'host1,host2,host3,host4', '--wait']);
    const run = await runStore(system.cassandra, system.keyspace).getRun(runId!);
    expect(run!.counts).toEqual({ ok: 24, changed: 0, failed: 0, skipped: 4, unreachable: 0, rejected: 0 });
    const reload = (await resultStore(system.cassandra, system.keyspace).getOperationResults(runId!, 'host1'))[6];
    expect(reload).toMatchObject({ name: 'reload web service', status: 'skipped' });
    expect(reload!.stderr).toMatch(/no change in "web config" or "web index page"/);
    expect((await onHost(1, 'wc -l < /etc/simplecm-demo/web-reloads')).stdout.trim()).toBe('1');
  });

  it('targets a group and touches only its hosts', async () => {
    const { code, runId } = await system.enqueue(['--group', 'odd', '--wait']);
    expect(code).toBe(1); // host5 is odd and still fails
    const page = await resultStore(system.cassandra, system.keyspace).pageRunHosts(runId!, { pageSize: 10 });
    expect(page.items.map((h) => h.hostname).sort()).toEqual(['host1', 'host3', 'host5']);
  });

  it('spreads one run over the three workers and pages results without gaps or repeats', async () => {
    const { runId } = await system.enqueue(['--wait']);
    const results = resultStore(system.cassandra, system.keyspace);
    const seen: string[] = [];
    let page: string | undefined;
    do {
      const p = await results.pageRunHosts(runId!, { pageSize: 2, page });
      seen.push(...p.items.map((h) => h.hostname));
      page = p.nextPage;
    } while (page);
    expect(seen.sort()).toEqual(['host1', 'host2', 'host3', 'host4', 'host5']);
    const all = await results.pageRunHosts(runId!, { pageSize: 10 });
    expect(new Set(all.items.map((h) => h.worker)).size).toBeGreaterThanOrEqual(2);
    for (const host of all.items) expect((await results.getOperationResults(runId!, host.hostname)).length).toBe(host.hostname === 'host5' ? 3 : 7);
    const failed = await results.pageRunHosts(runId!, { pageSize: 10, status: 'failed' });
    expect(failed.items.map((h) => h.hostname)).toEqual(['host5']);
  });

  it('enqueuing the same run again adds no job and no result', async () => {
    const first = await system.enqueue(['--hosts', 'host2', '--wait']);
    const again = await system.enqueue(['--hosts', 'host2', '--run-id', first.runId!]);
    expect(again.code).toBe(0);
    await new Promise((r) => setTimeout(r, 3_000));
    const run = await runStore(system.cassandra, system.keyspace).getRun(first.runId!);
    expect(run).toMatchObject({ hostsDone: 1, status: 'finished' });
    expect(run!.counts.ok).toBe(6);
  });

  it('refuses an unknown module or a bad attribute, naming host, operation and field, and enqueues nothing', async () => {
    await system.cassandra.execute(
      `INSERT INTO ${system.keyspace}.operations (hostname, seq, name, module, attributes) VALUES ('host3', 9, 'bad path', 'file_exists', '{"path": "relative/file"}')`,
    );
    await system.cassandra.execute(
      `INSERT INTO ${system.keyspace}.operations (hostname, seq, name, module, attributes) VALUES ('host4', 9, 'no such module', 'nope', '{}')`,
    );
    const before = await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 });
    const { code, output } = await system.enqueue(['--wait']);
    expect(code).toBe(2);
    expect(output).toMatch(/host host3, operation #9 "bad path".*path/);
    expect(output).toMatch(/host host4, operation #9 "no such module".*unknown module "nope"/);
    const after = await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 });
    expect(after.length).toBe(before.length);
    await system.cassandra.execute(`DELETE FROM ${system.keyspace}.operations WHERE hostname IN ('host3', 'host4') AND seq = 9`);
  });

  it('refuses a host with more operations than a host job may carry, naming host and limit, and enqueues nothing', async () => {
    // The workers' schema takes 10,000 operations per host job; a master that enqueued more
    // started a run whose host no worker would take, and so a run that never finished.
    const insert = `INSERT INTO ${system.keyspace}.operations (hostname, seq, name, module, attributes) VALUES ('host2', ?, 'marker', 'file_exists', '{"path": "/tmp/simplecm-many"}')`;
    const seqs = Array.from({ length: 10_001 }, (_, i) => 1_000 + i);
    for (let i = 0; i < seqs.length; i += 500) {
      await Promise.all(seqs.slice(i, i + 500).map((seq) => system.cassandra.execute(insert, [seq], { prepare: true })));
    }
    try {
      const before = await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 });
      const { code, output } = await system.enqueue(['--hosts', 'host2', '--wait']);
      expect(code).toBe(2);
      expect(output).toMatch(/host host2: .*operations, more than the 10000 a host job may carry/);
      const after = await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 });
      expect(after.length).toBe(before.length);
    } finally {
      await system.cassandra.execute(`DELETE FROM ${system.keyspace}.operations WHERE hostname = 'host2' AND seq >= 1000`);
    }
  });
});
