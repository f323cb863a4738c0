/** Host jobs: one per (run, host), consumed by workers. */
export const HOSTS_QUEUE = 'hosts';
/** Run requests: one per `simplecm run` (or schedule firing), consumed by resident masters. */
export const RUN_REQUESTS_QUEUE = 'run-requests';
