/**
 * What long-running processes (worker, results consumer, dashboard) tell operators: structured
 * logs, Prometheus metrics, health and readiness, outages logged once per change of state.
 */
export * from './logger';
export * from './tty-format';
export * from './outage-reporter';
export * from './process-metrics';
export * from './ops-server';
export * from './service-addresses';
export * from './bounded-close';
export * from './heap-growth';
