export * from './errors';
export * from './known-hosts';
export * from './shell-quote';
export * from './driver-script';
export * from './frames';
export * from './connect';
export * from './run-driver';
