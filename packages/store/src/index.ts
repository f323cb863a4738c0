export * from './connect';
export * from './cql-files';
export * from './schema';
export * from './seed-sample-state';
export * from './rows';
export * from './inventory';
export * from './runs';
export * from './results';
