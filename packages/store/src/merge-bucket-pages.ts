/**
 * Reads up to `limit` rows of one bucket in key order, only rows whose key is greater than
 * `after` (all rows when undefined): a clustering-key slice of one partition.
 */
export type BucketSlice<T> = (after: string | undefined, limit: number) => Promise<T[]>;

/** One page of rows merged across buckets, and whether rows remain after it. */
export interface MergedPage<T> {
  readonly items: T[];
  readonly more: boolean;
}

/**
 * Keys compared as Cassandra orders a text clustering column (UTF-8 bytes). Hostnames are ASCII
 * (`hostnameSchema`), where UTF-16 order, which `<` uses, is the same.
 */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface BucketState<T> {
  readonly rows: T[];
  exhausted: boolean;
}

/**
 * The first `pageSize` rows after the key `after`, across every bucket, in key order: a k-way
 * merge of the buckets' slices. A key lives in one bucket only, so the page can be resumed
 * exactly from its last key (`after` of the next call), with no gap and no repeat.
 *
 * Rows are spread evenly over the buckets (a hash), so each bucket is first asked for its share
 * of the page and a margin. A bucket that may still hold rows before the page's end (it filled
 * its slices and its last key is below the (pageSize + 1)-th key merged so far) is asked for more,
 * until every bucket either ran out or reaches past that key: then nothing below the page's end
 * is unread. One more row than the page tells whether another page follows (so the last page is
 * never followed by an empty one).
 */
export async function mergeBucketPages<T>(
  buckets: ReadonlyArray<BucketSlice<T>>,
  key: (row: T) => string,
  after: string | undefined,
  pageSize: number,
): Promise<MergedPage<T>> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`page size must be a positive integer, got ${pageSize}`);
  const need = pageSize + 1;
  const states: Array<BucketState<T>> = buckets.map(() => ({ rows: [], exhausted: false }));
  const read = async (i: number, limit: number): Promise<void> => {
    const state = states[i]!;
    const last = state.rows.at(-1);
    const rows = await buckets[i]!(last === undefined ? after : key(last), limit);
    state.rows.push(...rows);
    if (rows.length < limit) state.exhausted = true;
  };
  // A bucket's count among the first `need` rows is about binomial, mean m = need / B: its first
  // slice covers m plus two standard deviations, so few buckets need a second read.
  const mean = need / Math.max(buckets.length, 1);
  const share = Math.min(need, Math.ceil(mean + 2 * Math.sqrt(mean)) + 2);
  await Promise.all(states.map((_, i) => read(i, share)));
  for (;;) {
    const merged = states.flatMap((s) => s.rows).sort((a, b) => compareKeys(key(a), key(b)));
    const bound = merged.length >= need ? key(merged[need - 1]!) : undefined;
    const lagging = states.flatMap((s, i) => (!s.exhausted && (bound === undefined || compareKeys(key(s.rows.at(-1)!), bound) < 0) ? [i] : []));
    if (lagging.length === 0) return { items: merged.slice(0, pageSize), more: merged.length > pageSize };
    // As many rows again as the bucket gave so far, up to `need` in all (a bucket contributes at
    // most `need` rows to the page: with that many read, its last key is past the bound), so a
    // bucket is read at most 1 + log2(need / share) more times.
    await Promise.all(lagging.map((i) => read(i, Math.min(need - states[i]!.rows.length, states[i]!.rows.length))));
  }
}
