export * from './names';
export * from './connection';
export * from './payloads';
export * from './progress';
export * from './backoff';
export * from './host-lock';
export * from './run-key';
export * from './result-job-options';
