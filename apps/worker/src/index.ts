export * from './converge-host';
export * from './results-from-frames';
export * from './host-worker';
export * from './process-host-job';
export * from './key-reader';
export * from './worker-options';
