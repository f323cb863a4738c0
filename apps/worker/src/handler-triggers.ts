import type { Operation } from '@simplecm/domain';

/**
 * For each of a host's operations (in run order), the seqs of the operations whose change fires
 * it: every earlier operation bearing one of its `whenChanged` names (names need not be unique).
 * `undefined` for an operation that is not a handler. The master has checked that each name is
 * an earlier operation's; a name that is not (a job from elsewhere) simply cannot fire, and a
 * handler left with no trigger at all is always skipped.
 */
export function handlerTriggers(operations: readonly Pick<Operation, 'seq' | 'name' | 'whenChanged'>[]): Array<number[] | undefined> {
  const seqsByName = new Map<string, number[]>();
  return operations.map((op) => {
    const triggers = op.whenChanged === undefined ? undefined : [...new Set(op.whenChanged.flatMap((name) => seqsByName.get(name) ?? []))];
    const seqs = seqsByName.get(op.name);
    if (seqs === undefined) seqsByName.set(op.name, [op.seq]);
    else seqs.push(op.seq);
    return triggers;
  });
}
