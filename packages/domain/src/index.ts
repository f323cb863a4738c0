/**
 * SimpleCM domain: types, zod schemas and pure functions. No I/O here.
 *
 * Glossary
 * - host: a managed machine, reached over SSH (address, port, user, key name, groups).
 * - operation: one step of a host's desired configuration: a module plus attributes, ordered by seq.
 * - module: a shell-script template (Handlebars) with an attribute schema; must be idempotent.
 * - run: one convergence of a set of hosts, in apply or check mode.
 * - result: what one operation did on one host in one run.
 * - outcome / status: ok | changed | failed | skipped | unreachable | rejected (the worker refused
 *   the host's job: not signed by the master as it is, or expired; nothing ran).
 */
export * from './outcome';
export * from './host';
export * from './operation';
export * from './result';
export * from './run';
export * from './host-pattern';
