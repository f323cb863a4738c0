export * from './connect';
export * from './schema';
export * from './rows';
export * from './inventory';
export * from './runs';
export * from './results';
export * from './latest-state-revision';
