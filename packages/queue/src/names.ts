/** Host jobs: one per (run, host), consumed by workers. */
export const HOSTS_QUEUE = 'hosts';
/** Host results: one per (run, host), consumed by the results consumer. */
export const RESULTS_QUEUE = 'results';
/** Run requests: one per `simplecm run` (or schedule firing), consumed by resident masters. */
export const RUN_REQUESTS_QUEUE = 'run-requests';
