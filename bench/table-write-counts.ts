/**
 * Cassandra's own count of writes per table of one keyspace, from the virtual tables of
 * Cassandra 5.0: `system_views.local_write_latency` (writes applied on this replica, one per
 * partition update) and `system_views.coordinator_write_latency` (writes this node coordinated).
 * Both are cumulative since the node started, so a measurement is the difference of two reads.
 */
import type { Client } from 'cassandra-driver';

/** Writes per table name, as counted by the replica (`local`) and by the coordinator. */
export interface WriteCounts {
  readonly local: ReadonlyMap<string, number>;
  readonly coordinator: ReadonlyMap<string, number>;
}

async function countsOf(client: Client, view: string, keyspace: string): Promise<Map<string, number>> {
  const rs = await client.execute(`SELECT table_name, count FROM system_views.${view} WHERE keyspace_name = ?`, [keyspace], { prepare: true });
  return new Map(rs.rows.map((r) => [String(r.get('table_name')), Number(r.get('count') ?? 0)]));
}

export async function readWriteCounts(client: Client, keyspace: string): Promise<WriteCounts> {
  const [local, coordinator] = await Promise.all([countsOf(client, 'local_write_latency', keyspace), countsOf(client, 'coordinator_write_latency', keyspace)]);
  return { local, coordinator };
}

/** `after − before` per table, tables with no writes left out. */
export function writeCountDelta(before: WriteCounts, after: WriteCounts): WriteCounts {
  const diff = (a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>) =>
    new Map([...b].map(([table, n]) => [table, n - (a.get(table) ?? 0)] as const).filter(([, n]) => n !== 0));
  return { local: diff(before.local, after.local), coordinator: diff(before.coordinator, after.coordinator) };
}

export function sameCounts(a: WriteCounts, b: WriteCounts): boolean {
  const same = (x: ReadonlyMap<string, number>, y: ReadonlyMap<string, number>) => x.size === y.size && [...x].every(([k, v]) => y.get(k) === v);
  return same(a.local, b.local) && same(a.coordinator, b.coordinator);
}
