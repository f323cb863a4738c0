export * from './record-result';
export * from './results-consumer';
export * from './results-options';
export * from './store-session';
