import type { OutageReporter } from '@simplecm/telemetry';
import { isStoreUnreachable, resultStore, runStore, type CassandraClient, type ResultStore, type RunStore } from '@simplecm/store';

import { closeAll, errorMessage } from '@simplecm/kernel';
export interface Stores {
  readonly results: ResultStore;
  readonly runs: RunStore;
}

/**
 * The consumer's stores over a driver client that is replaced when Cassandra was gone. The
 * driver reconnects on its own, but with exponential backoff up to 10 minutes: after a
 * one-minute outage its next try may be a minute after Cassandra is back. So when a write finds
 * no node at all (NoHostAvailableError), a fresh client is connected — at most once per
 * `reconnectIntervalMs`, in the background — and the retried write uses it.
 */
export interface StoreSession {
  current(): Stores;
  /** Tells the session a write failed; a connection-level failure triggers a reconnect. */
  noteFailure(error: unknown): void;
  /** Shuts the current client (and one being connected) down. Safe to call twice. */
  close(): Promise<void>;
}

export function storeSession(
  initial: CassandraClient,
  keyspace: string,
  {
    connect,
    reconnectIntervalMs,
    log,
    outage,
  }: {
    connect: () => Promise<CassandraClient>;
    reconnectIntervalMs: number;
    log: (line: string) => void;
    /** Told of every failed reconnection: logs the outage once rather than each attempt. */
    outage?: OutageReporter;
  },
): StoreSession {
  let client = initial;
  let stores: Stores = { results: resultStore(client, keyspace), runs: runStore(client, keyspace) };
  let lastTry = 0;
  let reconnecting: Promise<void> | undefined;
  let closed = false;

  async function reconnect(): Promise<void> {
    let next: CassandraClient | undefined;
    try {
      next = await connect();
    } catch (error) {
      if (outage) outage.down(error);
      else log(`store: Cassandra still unreachable (${errorMessage(error).split('\n')[0]})`);
      return;
    }
    if (closed) {
      await next.shutdown().catch(() => undefined);
      return;
    }
    const old = client;
    client = next;
    stores = { results: resultStore(client, keyspace), runs: runStore(client, keyspace) };
    log('store: reconnected to Cassandra with a new client');
    await old.shutdown().catch(() => undefined);
  }

  return {
    current: () => stores,
    noteFailure(error) {
      if (closed || reconnecting || !isStoreUnreachable(error) || Date.now() - lastTry < reconnectIntervalMs) return;
      lastTry = Date.now();
      reconnecting = reconnect().finally(() => {
        reconnecting = undefined;
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      // In order of set-up: a client being connected is waited for (it shuts itself down once it
      // sees `closed`), then the current client is shut down.
      await closeAll([() => client.shutdown(), () => reconnecting]);
    },
  };
}
