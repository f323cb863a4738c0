export * from './dashboard-options';
export * from './dashboard-data';
export * from './create-dashboard-app';
export * from './start-dashboard';
export * from './authenticator';
export * from './html';
