export * from './connect';
export * from './schema';
export * from './rows';
export * from './inventory';
export * from './runs';
export * from './results';
export * from './cassandra-client';
export * from './store-errors';
