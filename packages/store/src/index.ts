export * from './connect';
export * from './schema';
export * from './rows';
export * from './inventory';
export * from './runs';
export * from './results';
export * from './desired-state-store';
export * from './state-revisions';
