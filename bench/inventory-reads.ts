/**
 * Another way to read a whole inventory (every host and its operations) than `enqueue`'s one
 * query per host, timed by the enqueue-at-scale scenario to size a proposal: scan `hosts` and
 * `operations` whole — both come back in token(hostname) order (same partition key, same
 * partitioner) — and merge the two streams. Rows are parsed with the store's own converters, so
 * the difference to enqueue's reads is the access pattern.
 */
import type { Client, types } from 'cassandra-driver';
import { fromHostRow, fromOperationRow } from '@simplecm/store';

export interface ReadCount {
  readonly hosts: number;
  readonly operations: number;
}

export async function scanJoin(client: Client, keyspace: string, fetchSize = 5000): Promise<ReadCount> {
  const hostRows = await client.execute(`SELECT token(hostname) AS t, hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become FROM ${keyspace}.hosts`, [], { prepare: true, fetchSize });
  const opRows = await client.execute(`SELECT token(hostname) AS t, hostname, seq, name, module, attributes, become FROM ${keyspace}.operations`, [], { prepare: true, fetchSize });
  const ops = opRows[Symbol.asyncIterator]();
  let op = await ops.next();
  const token = (row: types.Row) => row.get('t') as types.Long;
  let hosts = 0;
  let operations = 0;
  for await (const row of hostRows) {
    const host = fromHostRow(row);
    const t = token(row);
    // Operations of hosts that are not in `hosts` (left behind) sort before this host: skip them.
    while (!op.done && (token(op.value).lessThan(t) || (token(op.value).equals(t) && op.value.get('hostname') !== host.hostname))) op = await ops.next();
    while (!op.done && op.value.get('hostname') === host.hostname) {
      fromOperationRow(host.hostname, op.value);
      operations++;
      op = await ops.next();
    }
    hosts++;
  }
  return { hosts, operations };
}
