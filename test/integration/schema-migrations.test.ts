import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectionConfigFromEnv } from '@simplecm/config';
import { applySchema, cqlStatements, migrationsDir, newRunId, resultStore, runStore, schemaFile, SchemaMigrationError } from '@simplecm/store';
import { createTestSystem, type TestSystem } from '../support/system';

/**
 * The schema command on a keyspace made by the schema before versioned migrations (issue 20):
 * cql/schema.cql is that schema plus the schema_migrations table, so the old keyspace is made
 * here from schema.cql without it.
 */
describe('schema migrations', () => {
  let system: TestSystem;
  let dir: string;
  const replication = connectionConfigFromEnv(process.env).cassandra.replication;

  beforeAll(async () => {
    system = await createTestSystem('migrate');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-migrations-'));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await system?.close();
  });

  const tables = async () =>
    (await system.cassandra.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [system.keyspace], { prepare: true })).rows.map((r) => String(r.get('table_name'))).sort();
  const runsColumns = async () =>
    (await system.cassandra.execute('SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?', [system.keyspace, 'runs'], { prepare: true })).rows.map((r) => String(r.get('column_name')));

  it('migrates a keyspace of the previous schema: old runs stay readable, new runs are bucketed, applying again is a no-op', async () => {
    const ks = system.keyspace;
    await system.cassandra.execute(`DROP KEYSPACE ${ks}`);
    const old = cqlStatements(fs.readFileSync(schemaFile, 'utf8').replaceAll('{{keyspace}}', ks).replaceAll('{{replication}}', replication)).filter((s) => !s.includes('schema_migrations'));
    for (const statement of old) await system.cassandra.execute(statement);
    expect(await tables()).not.toContain('schema_migrations');
    expect(await runsColumns()).not.toContain('bucket_count');

    // A run recorded by the old layout, through today's store: a B = 1 run writes nothing new.
    const runs = runStore(system.cassandra, ks);
    const results = resultStore(system.cassandra, ks);
    const oldRun = newRunId();
    const hosts = Array.from({ length: 12 }, (_, i) => `old-${String(i).padStart(2, '0')}`);
    await runs.createRun({ runId: oldRun, mode: 'apply', target: 'all', hostCount: hosts.length });
    const at = Date.UTC(2026, 10, 1);
    await results.recordHostResults(hosts.map((hostname, i) => ({ result: { runId: oldRun, hostname, status: i % 3 === 0 ? 'failed' : 'ok', worker: 'w', startedAt: at, endedAt: at + 1, cause: null, operations: [] }, mode: 'apply' as const })));
    const before = await results.pageRunHosts(oldRun, { pageSize: 100 });
    expect(before.items.map((h) => h.hostname)).toEqual(hosts);

    const first = await applySchema(system.cassandra, ks, replication);
    expect(first.applied.map((m) => m.name)).toEqual(['0001_bucketed_run_hosts.cql']);
    expect(first.skipped).toEqual([]);
    expect(await tables()).toEqual(expect.arrayContaining(['schema_migrations', 'run_hosts_bucketed', 'run_hosts_by_status_bucketed']));
    expect(await runsColumns()).toContain('bucket_count');
    const recorded = (await system.cassandra.execute(`SELECT version, name, checksum FROM ${ks}.schema_migrations`)).rows.map((r) => [r.get('version'), r.get('name')]);
    expect(recorded).toEqual([[1, '0001_bucketed_run_hosts.cql']]);

    // The old run reads as before (B = 1, its rows where they were), a page at a time and by status.
    const reader = resultStore(system.cassandra, ks);
    expect((await reader.pageRunHosts(oldRun, { pageSize: 100 })).items).toEqual(before.items);
    const page1 = await reader.pageRunHosts(oldRun, { pageSize: 5 });
    const page2 = await reader.pageRunHosts(oldRun, { pageSize: 5, page: page1.nextPage });
    expect([...page1.items, ...page2.items].map((h) => h.hostname)).toEqual(hosts.slice(0, 10));
    expect((await reader.pageRunHosts(oldRun, { pageSize: 100, status: 'failed' })).items.map((h) => h.hostname)).toEqual(['old-00', 'old-03', 'old-06', 'old-09']);

    // A new run of B = 3 on the migrated keyspace.
    const newRun = newRunId();
    await runs.createRun({ runId: newRun, mode: 'apply', target: 'all', hostCount: hosts.length, bucketCount: 3 });
    await reader.recordHostResults(hosts.map((hostname) => ({ result: { runId: newRun, hostname, status: 'ok', worker: 'w', startedAt: at, endedAt: at + 1, cause: null, operations: [] }, mode: 'apply' as const })));
    expect((await reader.pageRunHosts(newRun, { pageSize: 100 })).items.map((h) => h.hostname)).toEqual(hosts);

    const tablesBefore = await tables();
    const again = await applySchema(system.cassandra, ks, replication);
    expect(again.applied).toEqual([]);
    expect(again.skipped.map((m) => m.name)).toEqual(['0001_bucketed_run_hosts.cql']);
    expect(await tables()).toEqual(tablesBefore);
    expect((await system.cassandra.execute(`SELECT count(*) FROM ${ks}.schema_migrations`)).first()!.get(0).toNumber()).toBe(1);
  });

  it('applies a later migration in order after the earlier ones, and refuses a changed one before applying anything', async () => {
    const ks = system.keyspace;
    fs.copyFileSync(path.join(migrationsDir, '0001_bucketed_run_hosts.cql'), path.join(dir, '0001_bucketed_run_hosts.cql'));
    fs.writeFileSync(path.join(dir, '0002_test_table.cql'), 'CREATE TABLE IF NOT EXISTS {{keyspace}}.migration_probe (k int PRIMARY KEY);\n');
    const report = await applySchema(system.cassandra, ks, replication, { migrationsDir: dir });
    expect(report.applied.map((m) => m.version)).toEqual([2]);
    expect(await tables()).toContain('migration_probe');

    fs.appendFileSync(path.join(dir, '0001_bucketed_run_hosts.cql'), '-- edited after it was applied\n');
    fs.writeFileSync(path.join(dir, '0003_another.cql'), 'CREATE TABLE IF NOT EXISTS {{keyspace}}.never_made (k int PRIMARY KEY);\n');
    const refused = await applySchema(system.cassandra, ks, replication, { migrationsDir: dir }).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(SchemaMigrationError);
    expect((refused as SchemaMigrationError).code).toBe('migration-changed');
    expect(await tables()).not.toContain('never_made');

    fs.writeFileSync(path.join(dir, 'bad name.cql'), '');
    const misnamed = await applySchema(system.cassandra, ks, replication, { migrationsDir: dir }).then(() => undefined, (e: unknown) => e);
    expect((misnamed as SchemaMigrationError).code).toBe('bad-migration-file');
  });
});
