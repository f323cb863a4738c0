export * from './converge-host';
export * from './results-from-frames';
export * from './host-worker';
export * from './worker-options';
