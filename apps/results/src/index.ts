export * from './record-result';
export * from './results-consumer';
