import type { CassandraClient } from './cassandra-client';
import type { Host, Operation } from '@simplecm/domain';
import { inventoryStore } from './inventory';
import { fromHostRow, fromOperationRow, toHostParams } from './rows';
import { scanPages } from './scan-pages';

/** A host and its operations in seq order, as Cassandra holds them. */
export interface StoredHost {
  readonly host: Host;
  readonly operations: readonly Operation[];
}

/** What `state apply` writes for one host. */
export interface HostWrite {
  readonly host: Host;
  readonly operations: readonly Operation[];
  /** The groups the host was in before (memberships it left are removed). */
  readonly previousGroups: readonly string[];
}

/**
 * The desired state's reads and writes for `state diff/apply/export` (issue 13): every host with
 * its operations (handlers' `tags` and `when_changed` included), whole-host writes, removals.
 */
export interface DesiredStateStore {
  /**
   * Every host with its operations: two paged full scans, joined in memory by hostname. Operation
   * rows without a host row are left out. None when the keyspace does not exist.
   */
  readAll(): Promise<StoredHost[]>;
  /**
   * Writes one host in a logged batch: its row, its group memberships (those it left deleted),
   * its operations at seq 0..n-1 and a range delete of any rows from seq n on. Idempotent.
   */
  writeHost(write: HostWrite): Promise<void>;
  /** Deletes a host, its operations and memberships. */
  deleteHost(hostname: string): Promise<void>;
}

export interface DesiredStateStoreOptions {
  /** Rows per page of readAll's scans, default 5,000. */
  readonly pageSize?: number;
}

export function desiredStateStore(client: CassandraClient, keyspace: string, { pageSize = 5_000 }: DesiredStateStoreOptions = {}): DesiredStateStore {
  const ks = keyspace;
  const q = {
    hosts: `SELECT hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become FROM ${ks}.hosts`,
    operations: `SELECT hostname, seq, name, module, attributes, become, tags, when_changed FROM ${ks}.operations`,
    insertHost: `INSERT INTO ${ks}.hosts (hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertGroup: `INSERT INTO ${ks}.hosts_by_group (group_name, hostname) VALUES (?, ?)`,
    deleteGroup: `DELETE FROM ${ks}.hosts_by_group WHERE group_name = ? AND hostname = ?`,
    insertOperation: `INSERT INTO ${ks}.operations (hostname, seq, name, module, attributes, become, tags, when_changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    deleteOperationsFrom: `DELETE FROM ${ks}.operations WHERE hostname = ? AND seq >= ?`,
  };

  async function readAll(): Promise<StoredHost[]> {
    // A keyspace nobody applied to yet holds nothing (diff shows every host as added), rather
    // than failing: the driver loads the keyspaces' metadata as it connects.
    if (client.metadata.keyspaces[keyspace] === undefined) return [];
    const operations = new Map<string, Operation[]>();
    for await (const page of scanPages(client, q.operations, [], pageSize)) {
      for (const row of page) {
        const hostname = String(row.get('hostname'));
        const op = fromOperationRow(hostname, row);
        const list = operations.get(hostname);
        if (list === undefined) operations.set(hostname, [op]);
        else list.push(op);
      }
    }
    const hosts: StoredHost[] = [];
    for await (const page of scanPages(client, q.hosts, [], pageSize)) {
      for (const row of page) {
        const host = fromHostRow(row);
        hosts.push({ host, operations: (operations.get(host.hostname) ?? []).sort((a, b) => a.seq - b.seq) });
      }
    }
    return hosts;
  }

  async function writeHost({ host, operations, previousGroups }: HostWrite): Promise<void> {
    await client.batch(
      [
        { query: q.insertHost, params: toHostParams(host) },
        ...host.groups.map((g) => ({ query: q.insertGroup, params: [g, host.hostname] })),
        ...previousGroups.filter((g) => !host.groups.includes(g)).map((g) => ({ query: q.deleteGroup, params: [g, host.hostname] })),
        // Not toOperationParams: its unset lists would keep the tags or triggers an operation had
        // before, since the partition is overwritten in place here rather than deleted first.
        ...operations.map((op) => ({
          query: q.insertOperation,
          params: [host.hostname, op.seq, op.name, op.module, JSON.stringify(op.attributes), op.become ?? null, op.tags ?? [], op.whenChanged ?? []],
        })),
        { query: q.deleteOperationsFrom, params: [host.hostname, operations.length] },
      ],
      { prepare: true, logged: true },
    );
  }

  return { readAll, writeHost, deleteHost: inventoryStore(client, keyspace).deleteHost };
}
