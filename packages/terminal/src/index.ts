export * from './table';
export * from './progress-bar';
