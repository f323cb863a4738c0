import type { Redis } from 'ioredis';
import { readRunProgress, type RunProgressSnapshot } from '@simplecm/queue';
import { isInvalidPageState, resultStore, runStore, type CassandraClient, type PageOptions, type ResultStore, type RunStore } from '@simplecm/store';
import { SimpleCmError } from '@simplecm/kernel';

/** Everything the run-history pages read: store queries and the live progress in Redis. */
export interface DashboardData {
  listRuns: RunStore['listRuns'];
  getRun: RunStore['getRun'];
  pageRunHosts: ResultStore['pageRunHosts'];
  getOperationResults: ResultStore['getOperationResults'];
  getRunHost: ResultStore['getRunHost'];
  pageHostHistory: ResultStore['pageHostHistory'];
  readRunProgress(runId: string): Promise<RunProgressSnapshot>;
}

/** A `?page=` token that is well-formed hex but not a paging state Cassandra accepts. */
export class InvalidPageTokenError extends SimpleCmError<'invalid-page-token'> {
  override readonly name = 'InvalidPageTokenError';
  readonly code = 'invalid-page-token' as const;
  constructor(options?: { cause?: unknown }) {
    super('?page=: not a valid page token; follow the "next page" links', options);
  }
}

/** Cassandra answers a forged or corrupt paging state with a protocol error. */
function rethrowBadToken(page: string | undefined) {
  return (error: unknown): never => {
    if (page !== undefined && isInvalidPageState(error)) {
      throw new InvalidPageTokenError({ cause: error });
    }
    throw error;
  };
}

export function dashboardData(cassandra: CassandraClient, keyspace: string, redis: Redis, queuePrefix: string): DashboardData {
  const runs = runStore(cassandra, keyspace);
  const results = resultStore(cassandra, keyspace);
  return {
    listRuns: runs.listRuns,
    getRun: runs.getRun,
    pageRunHosts: (runId, opts) => results.pageRunHosts(runId, opts).catch(rethrowBadToken(opts.page)),
    getOperationResults: results.getOperationResults,
    getRunHost: results.getRunHost,
    pageHostHistory: (hostname, opts: PageOptions) => results.pageHostHistory(hostname, opts).catch(rethrowBadToken(opts.page)),
    readRunProgress: (runId) => readRunProgress(redis, queuePrefix, runId),
  };
}
