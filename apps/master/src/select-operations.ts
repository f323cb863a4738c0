import type { Operation } from '@simplecm/domain';

/** `enqueue --tags` / `--skip-tags`: which operations of each host a run sends. */
export interface TagSelection {
  /** Only operations having at least one of these tags; absent: every operation. */
  readonly tags?: readonly string[];
  /** Operations having any of these tags are left out (after `tags`). */
  readonly skipTags?: readonly string[];
}

/** Whether the selection keeps every operation. */
export function selectsAll(selection: TagSelection): boolean {
  return selection.tags === undefined && (selection.skipTags === undefined || selection.skipTags.length === 0);
}

/** The selection as the run's target text shows it: ` tags:a,b skip-tags:c`, or '' for all. */
export function describeSelection(selection: TagSelection): string {
  return `${selection.tags ? ` tags:${selection.tags.join(',')}` : ''}${selection.skipTags?.length ? ` skip-tags:${selection.skipTags.join(',')}` : ''}`;
}

/**
 * The operations of a host that a run with this selection sends, in order; the others are not
 * sent at all. Handlers follow their triggers: a selected handler keeps only the names of
 * triggers that are selected too, and is left out when none is (it could never fire, and a
 * `skipped` line for it would only be noise). A handler is itself subject to the selection: to
 * run a handler with its trigger, tag both. Operations kept unchanged are the same objects.
 * Call it on operations already checked (handlerProblems): the checks see the whole list.
 */
export function selectOperations<T extends Pick<Operation, 'name' | 'tags' | 'whenChanged'>>(operations: readonly T[], selection: TagSelection): T[] {
  if (selectsAll(selection)) return [...operations];
  const wanted = selection.tags === undefined ? undefined : new Set(selection.tags);
  const skipped = new Set(selection.skipTags ?? []);
  const selected: T[] = [];
  const names = new Set<string>();
  for (const op of operations) {
    const tags = op.tags ?? [];
    if (wanted !== undefined && !tags.some((t) => wanted.has(t))) continue;
    if (tags.some((t) => skipped.has(t))) continue;
    if (op.whenChanged !== undefined) {
      const triggers = op.whenChanged.filter((name) => names.has(name));
      if (triggers.length === 0) continue;
      selected.push(triggers.length === op.whenChanged.length ? op : { ...op, whenChanged: triggers });
    } else selected.push(op);
    names.add(op.name);
  }
  return selected;
}
