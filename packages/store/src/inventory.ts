import { types, type Client } from 'cassandra-driver';
import { parseHostPattern, type Host, type Operation, type RunTarget } from '@simplecm/domain';
import { assertNever, errorMessage, SimpleCmError } from '@simplecm/kernel';
import { fromHostRow, InvalidRowError, operationRowParser, toHostParams, toOperationParams } from './rows';
import { scanPages } from './scan-pages';
import { interleave } from './interleave';
import { tokenRanges } from './token-ranges';

/** Thrown when `--hosts` names a host the inventory does not have. */
export class UnknownHostError extends SimpleCmError<'unknown-host'> {
  override readonly name = 'UnknownHostError';
  readonly code = 'unknown-host' as const;
  constructor(readonly hostname: string) {
    super(`host ${hostname}: not in the inventory`);
  }
}

/**
 * One host of the inventory with its operations in seq order, as `scanInventory` reads it; or,
 * when its host row or one of its operation rows does not parse, that row's error (the scan goes
 * on with the next host, so a reader can list every bad row).
 */
export type InventoryEntry =
  | { readonly hostname: string; readonly host: Host; readonly operations: readonly Operation[]; readonly error?: undefined }
  | { readonly hostname: string; readonly error: InvalidRowError };

export interface InventoryStoreOptions {
  /** Rows per page of `streamHosts` and `getOperations`, default 500. */
  readonly pageSize?: number;
  /** Rows per page of each table `scanInventory` reads, default 2,000. */
  readonly scanPageSize?: number;
  /** Parts of the token ring `scanInventory` reads at once, default 2. */
  readonly scanParallelism?: number;
}

export interface InventoryStore {
  /** The target's hosts, read page by page (never the whole inventory at once). */
  streamHosts(target: RunTarget): AsyncIterable<Host>;
  /** One host's inventory record; undefined when it is not in the inventory. */
  getHost(hostname: string): Promise<Host | undefined>;
  /** One host's desired operations in seq order. */
  getOperations(hostname: string): Promise<Operation[]>;
  /**
   * Every host with its operations from paged scans of `hosts` and `operations` merged by token
   * (two queries per part of the token ring, not one per host). Hosts come in token order within
   * each part, the parts interleaved. Operation rows of a hostname that has no host row are
   * skipped, as `streamHosts` never reaches them either.
   */
  scanInventory(): AsyncIterable<InventoryEntry>;
  putHost(host: Host): Promise<void>;
  /** Replaces a host's whole operation list. */
  putOperations(hostname: string, operations: readonly Operation[]): Promise<void>;
  deleteHost(hostname: string): Promise<void>;
}

export function inventoryStore(client: Client, keyspace: string, { pageSize = 500, scanPageSize = 2_000, scanParallelism = 2 }: InventoryStoreOptions = {}): InventoryStore {
  const ks = keyspace;
  const q = {
    allHosts: `SELECT hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become FROM ${ks}.hosts`,
    oneHost: `SELECT hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become FROM ${ks}.hosts WHERE hostname = ?`,
    groupHosts: `SELECT hostname FROM ${ks}.hosts_by_group WHERE group_name = ?`,
    operations: `SELECT seq, name, module, attributes, become, tags, when_changed FROM ${ks}.operations WHERE hostname = ?`,
    scanHosts: `SELECT token(hostname) AS t, hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become FROM ${ks}.hosts WHERE token(hostname) > ? AND token(hostname) <= ?`,
    scanOperations: `SELECT token(hostname) AS t, hostname, seq, name, module, attributes, become, tags, when_changed FROM ${ks}.operations WHERE token(hostname) > ? AND token(hostname) <= ?`,
    insertHost: `INSERT INTO ${ks}.hosts (hostname, address, port, ssh_user, key_name, groups, vars, host_keys, become) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertGroup: `INSERT INTO ${ks}.hosts_by_group (group_name, hostname) VALUES (?, ?)`,
    deleteGroup: `DELETE FROM ${ks}.hosts_by_group WHERE group_name = ? AND hostname = ?`,
    deleteHost: `DELETE FROM ${ks}.hosts WHERE hostname = ?`,
    deleteOperations: `DELETE FROM ${ks}.operations WHERE hostname = ?`,
    deleteOperationsAt: `DELETE FROM ${ks}.operations USING TIMESTAMP ? WHERE hostname = ?`,
    insertOperationAt: `INSERT INTO ${ks}.operations (hostname, seq, name, module, attributes, become, tags, when_changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
  };
  const opts = { prepare: true, fetchSize: pageSize };
  const parseOperation = operationRowParser();

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
      case 'pattern': {
        // Groups, globs, `&` and `!` need each host's groups: every host is read and matched.
        const pattern = parseHostPattern(target.pattern);
        for await (const row of await client.execute(q.allHosts, [], opts)) {
          const host = fromHostRow(row);
          if (pattern.matches(host)) yield host;
        }
        return;
      }
      default:
        assertNever(target);
    }
  }

  async function getOperations(hostname: string): Promise<Operation[]> {
    const operations: Operation[] = [];
    for await (const row of await client.execute(q.operations, [hostname], opts)) operations.push(parseOperation(hostname, row));
    return operations;
  }

  async function* scanInventory(): AsyncIterable<InventoryEntry> {
    // The token ring in parts read at once: a scan is one request at a time, and Cassandra works
    // on a request with one thread, so a single scan leaves the other cores idle.
    for await (const entries of interleave(tokenRanges(scanParallelism).map(([start, end]) => scanRange(start, end)))) yield* entries;
  }

  /** The hosts whose token is in (start, end] with their operations, a page of hosts at a time. */
  async function* scanRange(start: types.Long, end: types.Long): AsyncGenerator<InventoryEntry[]> {
    // Both tables are partitioned by hostname, so a scan of each returns partitions in the same
    // order: by token, then (for the rare tokens two names share) by the name's bytes. A host's
    // operation rows are contiguous in that order, sorted by seq (the clustering key).
    const opPages = scanPages(client, q.scanOperations, [start, end], scanPageSize);
    let ops: types.Row[] = [];
    let at = 0;
    let opsDone = false;
    // Makes ops[at] the next operation row, unless there are no more.
    const refill = async () => {
      while (at >= ops.length && !opsDone) {
        const next = await opPages.next();
        if (next.done) opsDone = true;
        else [ops, at] = [next.value, 0];
      }
    };
    try {
      for await (const hostPage of scanPages(client, q.scanHosts, [start, end], scanPageSize)) {
        let entries: InventoryEntry[] = [];
        for (const hostRow of hostPage) {
          // Handed on in small groups: a page of hosts spans many pages of operations, and what
          // is held that long outlives young-generation GCs and swells the heap.
          if (entries.length >= 100) {
            yield entries;
            entries = [];
          }
          const hostname = String(hostRow.get('hostname'));
          const token = hostRow.get('t') as types.Long;
          // Skip what sorts before this host: operations of names without a host row.
          for (;;) {
            if (at >= ops.length) await refill();
            const op = ops[at];
            if (op === undefined || op.get('hostname') === hostname || compareKeys(op.get('t') as types.Long, String(op.get('hostname')), token, hostname) > 0) break;
            at++;
          }
          const operations: Operation[] = [];
          let error: InvalidRowError | undefined;
          for (;;) {
            if (at >= ops.length) await refill();
            const op = ops[at];
            if (op === undefined || op.get('hostname') !== hostname) break;
            at++;
            if (error !== undefined) continue;
            try {
              operations.push(parseOperation(hostname, op));
            } catch (e) {
              error = asRowError(e);
            }
          }
          try {
            const host = fromHostRow(hostRow);
            entries.push(error === undefined ? { hostname, host, operations } : { hostname, error });
          } catch (e) {
            // A bad host row is the host's problem before any of its operations'.
            entries.push({ hostname, error: asRowError(e) });
          }
        }
        yield entries;
      }
    } finally {
      await opPages.return(undefined);
    }
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
          params: [hostname, ...toOperationParams(op), types.Long.fromString(String(now + 1n))],
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

  return { streamHosts, getHost, getOperations, scanInventory, putHost, putOperations, deleteHost };
}

/** Cassandra's order of partitions: token (signed), then the key's bytes (unsigned). */
function compareKeys(tokenA: types.Long, nameA: string, tokenB: types.Long, nameB: string): number {
  const byToken = tokenA.compare(tokenB);
  return byToken !== 0 ? byToken : Buffer.compare(Buffer.from(nameA, 'utf8'), Buffer.from(nameB, 'utf8'));
}

function asRowError(error: unknown): InvalidRowError {
  return error instanceof InvalidRowError ? error : new InvalidRowError(errorMessage(error), { cause: error });
}
