/**
 * `scanInventory`, the whole-inventory read of `enqueue`: two paged scans merged by token, on a
 * real Cassandra keyspace of this test's own, with pages of a few rows so that hosts and their
 * operation lists straddle page boundaries, and with the token ring in one or several parts.
 */
import type { Host, Operation } from '@simplecm/domain';
import { inventoryStore, type InventoryEntry } from '@simplecm/store';
import { createTestSystem, type TestSystem } from '../support/system';

const HOSTS = 150;

const host = (n: number): Host => ({
  hostname: `scan-${n}`,
  address: `10.1.${n >> 8}.${n & 255}`,
  port: 22,
  user: 'root',
  keyName: 'fleet',
  groups: n % 2 ? ['odd'] : ['even'],
  vars: { n: String(n) },
  hostKeys: [],
  become: null,
});

/** 0–7 operations: a shared base, one of the host's own, and a few that depend on n (tags and handlers too, tags sorted as a set reads). */
function operationsOf(n: number): Operation[] {
  const ops: Array<Omit<Operation, 'seq'>> = [
    { name: 'base', module: 'directory', attributes: { path: '/srv/base', mode: '0755' }, become: null },
    { name: 'own', module: 'file_content', attributes: { path: `/srv/own-${n}`, content: `host ${n}\n` }, become: null },
    { name: 'motd', module: 'file_content', attributes: { path: '/etc/motd', content: n % 3 ? 'three\n' : 'other\n' }, become: 'root', tags: ['base', 'web'] },
    { name: 'marker', module: 'file_exists', attributes: { path: '/srv/marker' }, become: null, whenChanged: n % 2 ? ['motd'] : ['own', 'motd'] },
    { name: 'line', module: 'line_absent', attributes: { path: '/etc/hosts.allow', line: 'ALL: ALL' }, become: null },
    { name: 'list', module: 'directory', attributes: { path: `/srv/${n % 5}` }, become: null },
    { name: 'last', module: 'file_exists', attributes: { path: '/srv/last', mode: '0600' }, become: null, tags: n % 2 ? ['odd'] : undefined },
  ];
  // seq with gaps, so order comes from the clustering key, not from a count.
  return ops.slice(0, n % 8).map((op, i) => ({ ...op, seq: i * 10 + (n % 3) }));
}

describe('scanning the whole inventory', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('inventory_scan');
    const inventory = inventoryStore(system.cassandra, system.keyspace);
    for (let n = 1; n <= HOSTS; n++) {
      await inventory.putHost(host(n));
      await inventory.putOperations(`scan-${n}`, operationsOf(n));
    }
    const ks = system.keyspace;
    // Operation rows of names with no host row (left behind): never read as anybody's.
    for (const name of ['orphan-a', 'orphan-b', 'orphan-c', 'zzz-orphan']) {
      for (let seq = 0; seq < 4; seq++) {
        await system.cassandra.execute(`INSERT INTO ${ks}.operations (hostname, seq, name, module, attributes) VALUES (?, ?, 'stray', 'file_exists', '{"path":"/stray"}')`, [name, seq], { prepare: true });
      }
    }
    // A host whose second operation row is broken, and a host whose own row is.
    await inventory.putHost(host(900));
    await inventory.putOperations('scan-900', operationsOf(7));
    await system.cassandra.execute(`INSERT INTO ${ks}.operations (hostname, seq, name, module, attributes) VALUES ('scan-900', 15, 'broken', 'file_exists', '{not json')`);
    await system.cassandra.execute(`INSERT INTO ${ks}.hosts (hostname, address, port, ssh_user, key_name) VALUES ('scan-901', '10.9.9.1', 70000, 'root', 'fleet')`);
    await system.cassandra.execute(`INSERT INTO ${ks}.operations (hostname, seq, name, module, attributes) VALUES ('scan-901', 0, 'fine', 'file_exists', '{"path":"/x"}')`);
  }, 120_000);
  afterAll(async () => {
    await system.close();
  });

  async function scan(scanPageSize: number, scanParallelism: number): Promise<InventoryEntry[]> {
    const entries: InventoryEntry[] = [];
    for await (const entry of inventoryStore(system.cassandra, system.keyspace, { scanPageSize, scanParallelism }).scanInventory()) entries.push(entry);
    return entries;
  }

  it.each([
    [1, 1],
    [3, 1],
    [3, 2],
    [2, 3],
    [5_000, 2],
  ])('returns every host once with exactly its operations in seq order (page size %i, %i part(s))', async (pageSize, parts) => {
    const entries = await scan(pageSize, parts);
    const names = entries.map((e) => e.hostname);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...Array.from({ length: HOSTS }, (_, i) => `scan-${i + 1}`), 'scan-900', 'scan-901'].sort());
    for (const entry of entries) {
      if (entry.hostname === 'scan-900' || entry.hostname === 'scan-901') continue;
      if (entry.error !== undefined) throw entry.error;
      const n = Number(entry.hostname.slice('scan-'.length));
      expect(entry.host).toEqual(host(n));
      expect(entry.operations).toEqual(operationsOf(n));
    }
    // The same answer as the per-host reads.
    const inventory = inventoryStore(system.cassandra, system.keyspace);
    const sample = entries.filter((e) => e.error === undefined).slice(0, 20);
    for (const entry of sample) expect(await inventory.getOperations(entry.hostname)).toEqual(entry.error === undefined ? entry.operations : []);
  });

  it('hosts within one part come in token order', async () => {
    const names = (await scan(4, 1)).map((e) => e.hostname);
    const rs = await system.cassandra.execute(`SELECT hostname FROM ${system.keyspace}.hosts`);
    expect(names).toEqual(rs.rows.map((r) => String(r.get('hostname'))));
  });

  it('reports a host with a broken row as that host\'s error and carries on', async () => {
    const entries = await scan(3, 2);
    const broken = entries.find((e) => e.hostname === 'scan-900');
    expect(broken?.error?.message).toMatch(/^host scan-900, operation #15: field "attributes": not valid JSON/);
    const badHost = entries.find((e) => e.hostname === 'scan-901');
    expect(badHost?.error?.message).toMatch(/^inventory row for host scan-901: field "port"/);
  });

  it('hands hosts with the same operation row the same operation object', async () => {
    const entries = await scan(3, 1);
    const bases = entries.flatMap((e) => (e.error === undefined ? e.operations.filter((op) => op.name === 'base' && op.seq === 0) : []));
    expect(bases.length).toBeGreaterThan(10);
    expect(new Set(bases).size).toBe(1);
    expect(Object.isFrozen(bases[0])).toBe(true);
  });
});
