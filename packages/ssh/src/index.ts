export * from './errors';
export * from './known-hosts';
export * from './known-hosts-line';
export * from './driver-script';
export * from './frames';
export * from './host-key-policy';
export * from './connect';
export * from './run-driver';
