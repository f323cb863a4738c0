import { types, type Client } from 'cassandra-driver';
import type { Host, Operation, RunTarget } from '@simplecm/domain';
import { fromHostRow, fromOperationRow, toHostParams } from './rows';

/** Thrown when `--hosts` names a host the inventory does not have. */
export class UnknownHostError extends Error {
  override readonly name = 'UnknownHostError';
  readonly code = 'unknown-host' as const;
  constructor(readonly hostname: string) {
    super(`host ${hostname}: not in the inventory`);
  }
}

export interface InventoryStore {
  /** The target's hosts, read page by page (never the whole inventory at once). */
  streamHosts(target: RunTarget): AsyncIterable<Host>;
  /** One host's desired operations in seq order. */
  getOperations(hostname: string): Promise<Operation[]>;
  putHost(host: Host): Promise<void>;
  /** Replaces a host's whole operation list. */
  putOperations(hostname: string, operations: readonly Operation[]): Promise<void>;
  deleteHost(hostname: string): Promise<void>;
}

export function inventoryStore(client: Client, keyspace: string, { pageSize = 500 } = {}): InventoryStore {
  const ks = keyspace;
  const q = {
    allHosts: `SELECT hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become FROM ${ks}.hosts`,
    oneHost: `SELECT hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become FROM ${ks}.hosts WHERE hostname = ?`,
    groupHosts: `SELECT hostname FROM ${ks}.hosts_by_group WHERE group_name = ?`,
    operations: `SELECT seq, name, module, attributes, become FROM ${ks}.operations WHERE hostname = ?`,
    insertHost: `INSERT INTO ${ks}.hosts (hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertGroup: `INSERT INTO ${ks}.hosts_by_group (group_name, hostname) VALUES (?, ?)`,
    deleteGroup: `DELETE FROM ${ks}.hosts_by_group WHERE group_name = ? AND hostname = ?`,
    deleteHost: `DELETE FROM ${ks}.hosts WHERE hostname = ?`,
    deleteOperations: `DELETE FROM ${ks}.operations WHERE hostname = ?`,
    deleteOperationsAt: `DELETE FROM ${ks}.operations USING TIMESTAMP ? WHERE hostname = ?`,
    insertOperationAt: `INSERT INTO ${ks}.operations (hostname, seq, name, module, attributes, become) VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
  };
  const opts = { prepare: true, fetchSize: pageSize };

  async function getHost(hostname: string): Promise<Host | undefined> {
    const rs = await client.execute(q.oneHost, [hostname], opts);
    const row = rs.first();
    return row ? fromHostRow(row) : undefined;
  }

  async function* streamHosts(target: RunTarget): AsyncIterable<Host> {
    switch (target.kind) {
      case 'all': {
        // The driver's async iterator fetches the next page only when this one is consumed.
        for await (const row of await client.execute(q.allHosts, [], opts)) yield fromHostRow(row);
        return;
      }
      case 'hosts': {
        for (const hostname of target.hosts) {
          const host = await getHost(hostname);
          if (!host) throw new UnknownHostError(hostname);
          yield host;
        }
        return;
      }
      case 'group': {
        for await (const row of await client.execute(q.groupHosts, [target.group], opts)) {
          const host = await getHost(String(row.get('hostname')));
          if (host) yield host; // a membership row left behind by a deleted host is ignored
        }
        return;
      }
    }
  }

  async function getOperations(hostname: string): Promise<Operation[]> {
    const operations: Operation[] = [];
    for await (const row of await client.execute(q.operations, [hostname], opts)) operations.push(fromOperationRow(hostname, row));
    return operations;
  }

  async function putHost(host: Host): Promise<void> {
    const previous = await getHost(host.hostname);
    const stale = (previous?.groups ?? []).filter((g) => !host.groups.includes(g));
    await client.batch(
      [
        { query: q.insertHost, params: toHostParams(host) },
        ...host.groups.map((g) => ({ query: q.insertGroup, params: [g, host.hostname] })),
        ...stale.map((g) => ({ query: q.deleteGroup, params: [g, host.hostname] })),
      ],
      { prepare: true, logged: true },
    );
  }

  async function putOperations(hostname: string, operations: readonly Operation[]): Promise<void> {
    // Delete then insert in one logged batch: readers see the old list or the new one. The
    // inserts carry a later timestamp than the partition delete, or they would be shadowed.
    const now = BigInt(Date.now()) * 1000n;
    await client.batch(
      [
        { query: q.deleteOperationsAt, params: [types.Long.fromString(String(now)), hostname] },
        ...operations.map((op) => ({
          query: q.insertOperationAt,
          params: [hostname, op.seq, op.name, op.module, JSON.stringify(op.attributes), op.become ?? null, types.Long.fromString(String(now + 1n))],
        })),
      ],
      { prepare: true, logged: true },
    );
  }

  async function deleteHost(hostname: string): Promise<void> {
    const previous = await getHost(hostname);
    await client.batch(
      [
        { query: q.deleteHost, params: [hostname] },
        { query: q.deleteOperations, params: [hostname] },
        ...(previous?.groups ?? []).map((g) => ({ query: q.deleteGroup, params: [g, hostname] })),
      ],
      { prepare: true, logged: true },
    );
  }

  return { streamHosts, getOperations, putHost, putOperations, deleteHost };
}
