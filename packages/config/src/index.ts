export * from './errors';
export * from './connections';
export * from './cli';
