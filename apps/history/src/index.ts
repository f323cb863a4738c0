export * from './runs-command';
export * from './results-command';
