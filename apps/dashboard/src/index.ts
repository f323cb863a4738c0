export * from './dashboard-options';
export * from './dashboard-data';
export * from './create-dashboard-app';
export * from './start-dashboard';
export type { RunProgressJson } from './run-history-routes';
export * from './authenticator';
export * from './html';
export * from './testing/synthetic-run';
