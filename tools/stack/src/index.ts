// @simplecm/stack: the local stack and the helpers tests, the bench and the demo start SimpleCM with.
// Tests and bench import this root only.
export * from './paths';
export * from './stack-error';
export * from './process-control';
export * from './ports';
export * from './stack';
export * from './stop-on-down';
export * from './redis';
export * from './redis-users';
export * from './redis-tls';
export * from './redis-cluster';
export * from './cassandra';
export * from './cassandra-cluster';
export * from './ssh-hosts/stack-host';
export * from './ssh-hosts/test-hosts';
export * from './app-processes';
export * from './seed';
export { generateSealKeys } from './job-keys';
export * from './debian-packages';
