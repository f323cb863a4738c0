import type { Redis } from 'ioredis';
import { readLiveOutput, readRunProgress, type LiveEntry, type LiveReadOptions, type RunProgressSnapshot } from '@simplecm/queue';
import {
  auditLogStore,
  driftStore,
  inventoryStore,
  isInvalidPageState,
  latestStateRevision,
  resultStore,
  runLaunchStore,
  runStore,
  stateRevisionStore,
  type AuditLogStore,
  type CassandraClient,
  type DriftStore,
  type InventoryStore,
  type PageOptions,
  type ResultStore,
  type RunLaunchStore,
  type RunStore,
  type StateRevisionRecord,
} from '@simplecm/store';
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
  /** The run's live output after an entry id (operations as workers finished them), oldest first. */
  readLiveOutput(runId: string, options: LiveReadOptions): Promise<{ entries: LiveEntry[]; last: string; more: boolean }>;
  getLaunches: RunLaunchStore['getLaunches'];
  recordLaunch: RunLaunchStore['recordLaunch'];
  getHost: InventoryStore['getHost'];
  getOperations: InventoryStore['getOperations'];
  latestStateRevision(): Promise<StateRevisionRecord | null>;
  /** A recorded state revision by id (among the latest 500); undefined when not found. */
  getStateRevision(revisionId: string): Promise<StateRevisionRecord | undefined>;
  listAudit: AuditLogStore['list'];
  /** Hosts whose latest conclusive check found something to change, in host name order. */
  listDrifted: DriftStore['listDrifted'];
  /** A host's latest conclusive check (or converging apply); undefined when never checked. */
  getHostDrift: DriftStore['getHostDrift'];
  recordAudit: AuditLogStore['record'];
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

/** `partitions`: the queue partitions' prefixes, where a run's progress is kept (default the queue prefix alone). */
export function dashboardData(cassandra: CassandraClient, keyspace: string, redis: Redis, queuePrefix: string, partitions: readonly string[] = [queuePrefix]): DashboardData {
  const runs = runStore(cassandra, keyspace);
  const results = resultStore(cassandra, keyspace);
  const launches = runLaunchStore(cassandra, keyspace);
  const inventory = inventoryStore(cassandra, keyspace);
  const revisions = stateRevisionStore(cassandra, keyspace);
  const audit = auditLogStore(cassandra, keyspace);
  const drift = driftStore(cassandra, keyspace);
  return {
    listRuns: runs.listRuns,
    getRun: runs.getRun,
    pageRunHosts: (runId, opts) => results.pageRunHosts(runId, opts).catch(rethrowBadToken(opts.page)),
    getOperationResults: results.getOperationResults,
    getRunHost: results.getRunHost,
    pageHostHistory: (hostname, opts: PageOptions) => results.pageHostHistory(hostname, opts).catch(rethrowBadToken(opts.page)),
    readRunProgress: (runId) => readRunProgress(redis, partitions, runId),
    readLiveOutput: (runId, options) => readLiveOutput(redis, queuePrefix, runId, options),
    getLaunches: launches.getLaunches,
    recordLaunch: launches.recordLaunch,
    getHost: inventory.getHost,
    getOperations: inventory.getOperations,
    latestStateRevision: () => latestStateRevision(cassandra, keyspace),
    getStateRevision: async (revisionId) => (await revisions.listRevisions(500)).find((r) => r.revisionId === revisionId),
    listAudit: audit.list,
    recordAudit: audit.record,
    listDrifted: drift.listDrifted,
    getHostDrift: drift.getHostDrift,
  };
}
