import type { Operation } from '@simplecm/domain';
import { latestStateRevision, resultStore, runStore } from '@simplecm/store';
import { resetHost, startProcess } from '@simplecm/stack';
import { createTestSystem, hostFingerprint, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';

// Handlers on a real host: a config file and an operation that "reloads" (appends a line to a log
// on the host) only when the config changed in the same run. The decision is the driver's, on
// the host; these tests see it through the results and the host's own files.
const HOST = 3;
const hostname = `host${HOST}`;
const dir = '/etc/simplecm-handlers';
const log = '/var/tmp/simplecm-reloads.log';

function desiredOperations(port: number, more: Partial<Record<'dir' | 'config' | 'reload', Partial<Operation>>> = {}): Operation[] {
  return [
    { seq: 0, name: 'config dir', module: 'directory', attributes: { path: dir }, tags: ['base'], ...more.dir },
    { seq: 1, name: 'write config', module: 'file_content', attributes: { path: `${dir}/app.conf`, content: `port=${port}\n` }, tags: ['web', 'config'], ...more.config },
    { seq: 2, name: 'reload app', module: 'command', attributes: { command: `echo reloaded >> ${log}` }, tags: ['web'], whenChanged: ['write config'], ...more.reload },
  ];
}

describe('handlers (when_changed) on a real host', () => {
  let system: TestSystem;
  const results = () => resultStore(system.cassandra, system.keyspace);
  const runs = () => runStore(system.cassandra, system.keyspace);
  const reloads = async () => (await onHost(HOST, `cat ${log} 2>/dev/null || true`)).stdout;
  const statuses = async (runId: string) => (await results().getOperationResults(runId, hostname)).map((o) => [o.name, o.status]);
  const setDesired = (operations: Operation[]) => putDesiredState(system, [{ host: stackHost(HOST), operations }]);

  beforeAll(async () => {
    await resetHost(HOST);
    system = await createTestSystem('handlers');
    system.startWorkers(1);
    system.startResults();
  });
  afterAll(async () => {
    await system?.close();
    await resetHost(HOST);
  });

  it('refuses a handler that names a later or unknown operation, and enqueues nothing', async () => {
    await setDesired(desiredOperations(8080, { dir: { whenChanged: ['write config'] }, reload: { whenChanged: ['restart app'] } }));
    const before = await runs().listRuns({ limit: 100 });
    const { code, output } = await system.enqueue(['--hosts', hostname, '--wait']);
    expect(code).toBe(2);
    expect(output).toContain(`host ${hostname}, operation #0 "config dir": when_changed names "write config", a later operation`);
    expect(output).toContain(`host ${hostname}, operation #2 "reload app": when_changed names "restart app", no operation of this host`);
    expect(await runs().listRuns({ limit: 100 })).toHaveLength(before.length);
  });

  it('first apply: the config is written and the handler runs once', async () => {
    await setDesired(desiredOperations(8080));
    const { code, runId } = await system.enqueue(['--hosts', hostname, '--wait']);
    expect(code).toBe(0);
    expect(await statuses(runId!)).toEqual([
      ['config dir', 'changed'],
      ['write config', 'changed'],
      ['reload app', 'changed'],
    ]);
    expect((await onHost(HOST, `cat ${dir}/app.conf`)).stdout).toBe('port=8080\n');
    expect(await reloads()).toBe('reloaded\n');
  });

  it('second apply: nothing changed, so the handler is skipped with its reason and the host is ok', async () => {
    const { code, runId, output } = await system.enqueue(['--hosts', hostname, '--wait']);
    expect(code).toBe(0);
    expect(output).toMatch(new RegExp(`${hostname}\\s+ok`));
    const ops = await results().getOperationResults(runId!, hostname);
    expect(ops.map((o) => o.status)).toEqual(['ok', 'ok', 'skipped']);
    expect(ops[2]).toMatchObject({ exitCode: null, changes: [], stderr: 'skipped: no change in "write config"' });
    expect(await reloads()).toBe('reloaded\n');
    const run = await runs().getRun(runId!);
    expect(run!.counts).toEqual({ ok: 2, changed: 0, failed: 0, skipped: 1, unreachable: 0, rejected: 0 });
    const [host] = (await results().pageRunHosts(runId!, { pageSize: 10 })).items;
    expect(host).toMatchObject({ hostname, status: 'ok', cause: null });
  });

  it('check mode with a pending change reports that the handler would run, and leaves the host byte for byte unchanged', async () => {
    await setDesired(desiredOperations(9090));
    const before = hostFingerprint(HOST);
    const { code, runId } = await system.enqueue(['--hosts', hostname, '--check', '--wait']);
    expect(code).toBe(0);
    expect(hostFingerprint(HOST)).toEqual(before);
    const ops = await results().getOperationResults(runId!, hostname);
    expect(ops.map((o) => o.status)).toEqual(['ok', 'changed', 'changed']);
    expect(ops[2]!.changes.length).toBeGreaterThan(0);
    expect((await onHost(HOST, `cat ${dir}/app.conf`)).stdout).toBe('port=8080\n');
    expect(await reloads()).toBe('reloaded\n');
  });

  it('the change applied: the handler fires again, once', async () => {
    const { code, runId } = await system.enqueue(['--hosts', hostname, '--wait']);
    expect(code).toBe(0);
    expect((await statuses(runId!)).map(([, s]) => s)).toEqual(['ok', 'changed', 'changed']);
    expect(await reloads()).toBe('reloaded\nreloaded\n');
  });

  it('--tags sends only the tagged operations, --skip-tags drops a handler with its only trigger; both shown in the run', async () => {
    await setDesired(desiredOperations(7070));
    const tagged = await system.enqueue(['--hosts', hostname, '--tags', 'web', '--wait']);
    expect(tagged.code).toBe(0);
    expect(await statuses(tagged.runId!)).toEqual([
      ['write config', 'changed'],
      ['reload app', 'changed'],
    ]);
    expect((await runs().getRun(tagged.runId!))!.target).toBe(`hosts:${hostname} tags:web`);
    expect(await reloads()).toBe('reloaded\nreloaded\nreloaded\n');

    await setDesired(desiredOperations(6060));
    const skipped = await system.enqueue(['--hosts', hostname, '--skip-tags', 'config', '--wait']);
    expect(skipped.code).toBe(0);
    expect(await statuses(skipped.runId!)).toEqual([['config dir', 'ok']]);
    expect((await runs().getRun(skipped.runId!))!.target).toBe(`hosts:${hostname} skip-tags:config`);
    expect((await onHost(HOST, `cat ${dir}/app.conf`)).stdout).toBe('port=7070\n');
    expect(await reloads()).toBe('reloaded\nreloaded\nreloaded\n');
  });

  it('records the state revision a run converged, and runs/results print it', async () => {
    const none = await system.enqueue(['--hosts', hostname, '--check', '--wait']);
    expect((await runs().getRun(none.runId!))!.stateRevision).toBeNull();

    await system.cassandra.execute(
      `INSERT INTO ${system.keyspace}.state_revisions (scope, revision_id, applied_at, applied_by, digest, summary) VALUES ('fleet', now(), toTimestamp(now()), 'handlers test', 'sha256:test', 'test revision')`,
    );
    const revision = await latestStateRevision(system.cassandra, system.keyspace);
    expect(revision).not.toBeNull();
    const { runId, output } = await system.enqueue(['--hosts', hostname, '--check', '--wait']);
    expect(output).toContain(`state revision ${revision!.revisionId}`);
    expect((await runs().getRun(runId!))!.stateRevision).toBe(revision!.revisionId);

    const read = async (args: string[]) => {
      const p = startProcess('read', args, system.env);
      expect(await p.exited).toBe(0);
      return p.output();
    };
    expect(await read(['runs'])).toContain(revision!.revisionId);
    expect(await read(['results', runId!])).toContain(`state revision ${revision!.revisionId}`);
    expect(await read(['results', none.runId!])).toContain('state revision none');
  });
});
