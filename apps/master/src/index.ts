export * from './plan-run';
export * from './host-job-checker';
export * from './enqueue';
export * from './enqueue-options';
export * from './recap';
export * from './master-options';
