/**
 * Loads a large inventory fast: prepared inserts, many in flight at once, each host's ten
 * operation rows as one unlogged batch (one partition, so one write). Hosts get unroutable
 * addresses: the enqueue-at-scale scenario never lets a worker near them.
 */
import type { Client } from 'cassandra-driver';
import type { Operation } from '@simplecm/domain';

export interface BulkLoadOptions {
  readonly hosts: number;
  readonly operations: readonly Operation[];
  readonly concurrency?: number;
  readonly onProgress?: (done: number) => void;
}

export function scaleHostname(i: number): string {
  return `scale-${String(i).padStart(6, '0')}`;
}

/** 10.a.b.c for host i (1-based): any address passes validation; none is ever dialled. */
function scaleAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

export async function bulkLoadInventory(client: Client, keyspace: string, o: BulkLoadOptions): Promise<void> {
  const insertHost = `INSERT INTO ${keyspace}.hosts (hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const insertOp = `INSERT INTO ${keyspace}.operations (hostname, seq, name, module, attributes, become) VALUES (?, ?, ?, ?, ?, ?)`;
  const attributes = o.operations.map((op) => JSON.stringify(op.attributes));
  let next = 1;
  let done = 0;
  await Promise.all(
    Array.from({ length: o.concurrency ?? 256 }, async () => {
      while (next <= o.hosts) {
        const i = next++;
        const hostname = scaleHostname(i);
        await Promise.all([
          client.execute(insertHost, [hostname, scaleAddress(i), 22, 'root', 'stack', ['all'], {}, [], null], { prepare: true }),
          client.batch(
            o.operations.map((op, k) => ({ query: insertOp, params: [hostname, op.seq, op.name, op.module, attributes[k], null] })),
            { prepare: true, logged: false },
          ),
        ]);
        if (++done % 5000 === 0) o.onProgress?.(done);
      }
    }),
  );
}
