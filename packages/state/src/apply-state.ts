import type { Host, Operation } from '@simplecm/domain';
import { desiredState, type DesiredHost, type DesiredState } from './desired-state';
import { diffStates, summarizeDiff, type StateDiff } from './diff-state';

/** The storage `applyState` works through (the store's desiredStateStore fits). */
export interface ApplyStateDeps {
  /** Every host with its operations, as stored now. */
  readAll(): Promise<readonly DesiredHost[]>;
  /** Writes one host whole (row, memberships, operations); removes memberships of `previousGroups` it left. */
  writeHost(write: { readonly host: Host; readonly operations: readonly Operation[]; readonly previousGroups: readonly string[] }): Promise<void>;
  deleteHost(hostname: string): Promise<void>;
}

export interface ApplyStateOptions {
  /** Delete stored hosts the desired state does not have. Default false: they are kept. */
  readonly prune?: boolean;
  /** Hosts written at once. Default 16. */
  readonly concurrency?: number;
}

export interface ApplyStateResult {
  /** What differed before the apply. */
  readonly diff: StateDiff;
  /** Hosts stored but not desired, left in place (without prune). */
  readonly kept: readonly string[];
  /** One line for the state revision. */
  readonly summary: string;
}

/** Runs `fn` on every item, at most `limit` at once; the first failure is thrown once all have settled. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      await fn(item).catch((error: unknown) => (failure ??= error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure;
}

/**
 * Makes the store hold `desired`: reads what it holds, writes every host that is new or differs
 * (nothing else), and deletes hosts it should not have only with `prune`. Each host is written
 * whole, so running it again after a failure half-way finishes the job.
 */
export async function applyState(deps: ApplyStateDeps, desired: DesiredState, { prune = false, concurrency = 16 }: ApplyStateOptions = {}): Promise<ApplyStateResult> {
  const diff = diffStates(desiredState(await deps.readAll()), desired);
  const writes = [
    ...diff.added.map((h) => ({ host: h.host, operations: h.operations, previousGroups: [] })),
    ...diff.changed.map((c) => ({ host: c.desired.host, operations: c.desired.operations, previousGroups: c.currentGroups })),
  ];
  await forEachLimited(writes, concurrency, (w) => deps.writeHost(w));
  const gone = diff.removed.map((h) => h.host.hostname);
  if (prune) await forEachLimited(gone, concurrency, (h) => deps.deleteHost(h));
  // Without prune nothing is removed: the summary says what was kept instead.
  const summary = prune || gone.length === 0 ? summarizeDiff(diff) : `${summarizeDiff({ ...diff, removed: [] })}; ${gone.length} not in the directory kept (no --prune)`;
  return { diff, kept: prune ? [] : gone, summary };
}
