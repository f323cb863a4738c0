import { coerceError } from './coerce-error';

/** One clean-up step: closes or releases one thing that was set up. */
export type Releaser = () => unknown;

/**
 * Runs every release step, last set up first, each even when an earlier one threw, then reports
 * the failures: the error itself when one step failed, an AggregateError (message: each failure on
 * its own line) when several did. `releasers` is in the order things were set up.
 */
export async function closeAll(releasers: Iterable<Releaser>): Promise<void> {
  const failures: Error[] = [];
  for (const release of [...releasers].reverse()) {
    try {
      await release();
    } catch (error) {
      failures.push(coerceError(error));
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new AggregateError(failures, `${failures.length} clean-up steps failed:\n${failures.map((e) => `  - ${e.message}`).join('\n')}`);
  }
}
