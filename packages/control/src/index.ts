/**
 * Run control shared by `simplecm cancel` (apps/master) and the dashboard: what needs both
 * Redis and Cassandra, so it cannot live in @simplecm/queue or @simplecm/store. Submitting a run
 * request is Redis only: @simplecm/queue's submitRunRequest.
 */
export * from './cancel-run';
export * from './cancel-deps';
