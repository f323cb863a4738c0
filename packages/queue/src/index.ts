export * from './names';
export * from './connection';
export * from './payloads';
export * from './progress';
