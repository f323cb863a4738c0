export * from './plan-run';
export * from './enqueue';
export * from './enqueue-options';
export * from './recap';
