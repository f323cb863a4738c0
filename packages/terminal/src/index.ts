export * from './table';
export * from './progress-bar';
export * from './run-columns';
export * from './neutralize';
export * from './colors';
export * from './operation-output';
