export * from './errors';
export * from './hash-tag';
export * from './redis-config';
export * from './cassandra-config';
export * from './connections';
export * from './cli';
export * from './settings';
