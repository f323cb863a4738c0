export * from './table';
export * from './progress-bar';
export * from './neutralize';
