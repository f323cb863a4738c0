export * from './errors';
export * from './module-spec';
export { ShellWord } from './shell-word';
export * from './module-registry';
export * from './load-modules';
export * from './resolve-modules-dir';
export * from './validate-operation';
export * from './render-operation';
export * from './module-prelude';
