/**
 * Desired state as code: a state directory (inventory, roles, site, files/, templates/) compiled
 * into every host's Host and ordered operations; compared, exported, imported. No I/O but reading
 * and writing the state directory itself.
 */
export * from './problem';
export * from './state-files';
export * from './variables';
export * from './desired-state';
export * from './compile-state';
export * from './canonical-json';
export * from './line-diff';
export * from './diff-state';
export * from './export-state';
export * from './import-ansible';
export * from './apply-state';
