/**
 * SimpleCM kernel: the few helpers every package and app shares. No I/O and no dependencies,
 * so anything (the domain included) may import it.
 */
export * from './simplecm-error';
export * from './coerce-error';
export * from './close-all';
export * from './shell-quote';
export * from './assert-never';
