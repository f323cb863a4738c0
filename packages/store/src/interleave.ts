/**
 * The values of several async iterators as each comes, so they are all read at once; order is
 * kept within each source only. When the reader stops early or a source fails, every source
 * still running is stopped.
 */
export async function* interleave<T>(sources: ReadonlyArray<AsyncIterator<T>>): AsyncGenerator<T> {
  const pull = (i: number) => sources[i]!.next().then((result) => ({ i, result }));
  const pending = new Map(sources.map((_, i) => [i, pull(i)] as const));
  try {
    while (pending.size > 0) {
      const { i, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(i);
        continue;
      }
      pending.set(i, pull(i));
      yield result.value;
    }
  } finally {
    // A source with a pull under way finishes that pull first, then stops.
    await Promise.allSettled([...pending.keys()].map((i) => sources[i]!.return?.()));
  }
}
