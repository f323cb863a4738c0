import fc from 'fast-check';
import { hostBucket, HOSTS_PER_RUN_BUCKET, runBucketCount } from '../run-buckets';
import { mergeBucketPages, type BucketSlice } from '../merge-bucket-pages';
import { decodeMergedPageToken, encodeMergedPageToken, InvalidPageStateError } from '../merged-page-token';
import { isInvalidPageState } from '../store-errors';

/** Hostnames as hostnameSchema allows them, mixed case and punctuation included. */
const hostnameArb = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,14}[A-Za-z0-9])?$/);

describe('run buckets', () => {
  it('B is ⌈hosts / 50,000⌉, at least 1', () => {
    expect(runBucketCount(0)).toBe(1);
    expect(runBucketCount(1)).toBe(1);
    expect(runBucketCount(HOSTS_PER_RUN_BUCKET)).toBe(1);
    expect(runBucketCount(HOSTS_PER_RUN_BUCKET + 1)).toBe(2);
    expect(runBucketCount(1_000_000)).toBe(20);
    expect(runBucketCount(7, 3)).toBe(3);
  });

  it('places hosts with FNV-1a 32 of the UTF-8 name, mod B: these values never change (rows were placed with them)', () => {
    // The FNV spec's test vectors: FNV-1a 32 of "a" is 0xe40c292c, of "foobar" 0xbf9cf968.
    expect(hostBucket('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(hostBucket('foobar', 1_000_003)).toBe(0xbf9cf968 % 1_000_003);
    expect(hostBucket('host1', 1)).toBe(0);
    // Computed apart from this code (Python, the same definition).
    expect(hostBucket('host1', 1_000)).toBe(346);
    expect([1, 2, 3, 4, 5].map((n) => hostBucket(`web-${n}.example.com`, 7))).toEqual([3, 2, 2, 0, 5]);
  });

  it('spreads hosts evenly: 100,000 names over 20 buckets within 3 % of the mean', () => {
    const counts = new Array<number>(20).fill(0);
    for (let i = 0; i < 100_000; i++) counts[hostBucket(`host-${i}.dc1.example.com`, 20)]!++;
    for (const c of counts) expect(Math.abs(c - 5_000)).toBeLessThan(150);
  });

  it('refuses a bucket count that is not a positive integer', () => {
    expect(() => hostBucket('h', 0)).toThrow(RangeError);
    expect(() => hostBucket('h', 1.5)).toThrow(RangeError);
  });
});

describe('merged page tokens', () => {
  it('round-trip a hostname as hex', () => {
    fc.assert(fc.property(hostnameArb, (h) => {
      const token = encodeMergedPageToken(h);
      expect(token).toMatch(/^(?:[0-9a-f]{2})+$/);
      expect(decodeMergedPageToken(token)).toBe(h);
    }));
  });

  it.each(['', 'ff', 'abc', 'zz', Buffer.from('k1:').toString('hex'), Buffer.from('k2:host1').toString('hex'), Buffer.from('k1:bad name').toString('hex')])('refuse %j as a store error the callers recognise', (token) => {
    expect(() => decodeMergedPageToken(token)).toThrow(InvalidPageStateError);
    try {
      decodeMergedPageToken(token);
    } catch (error) {
      expect(isInvalidPageState(error)).toBe(true);
    }
  });
});

/** Buckets in memory, each a sorted list, read as Cassandra reads a clustering slice. */
function memoryBuckets(hosts: readonly string[], buckets: number, reads: { count: number; rows: number }): Array<BucketSlice<string>> {
  const parts = Array.from({ length: buckets }, () => [] as string[]);
  for (const h of hosts) parts[hostBucket(h, buckets)]!.push(h);
  for (const p of parts) p.sort();
  return parts.map((rows) => async (after, limit) => {
    reads.count++;
    const got = rows.filter((h) => after === undefined || h > after).slice(0, limit);
    reads.rows += got.length;
    return got;
  });
}

describe('mergeBucketPages', () => {
  it('pages every host exactly once, in order, whatever B and page size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(hostnameArb, { maxLength: 300 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 40 }), async (hosts, buckets, pageSize) => {
        const reads = { count: 0, rows: 0 };
        const slices = memoryBuckets(hosts, buckets, reads);
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        for (;;) {
          const page = await mergeBucketPages(slices, (h) => h, after, pageSize);
          pages++;
          expect(page.items.length).toBeLessThanOrEqual(pageSize);
          seen.push(...page.items);
          if (!page.more) break;
          // A page followed by another is full, and the last page is never empty unless the run is.
          expect(page.items).toHaveLength(pageSize);
          after = page.items.at(-1);
        }
        expect(seen).toEqual([...hosts].sort());
        expect(pages).toBe(Math.max(1, Math.ceil(hosts.length / pageSize)));
        // Every bucket once, then a lagging one with slices that double: at most 2 + log2(page) rounds.
        expect(reads.count).toBeLessThanOrEqual(buckets * pages * (2 + Math.ceil(Math.log2(pageSize + 1))));
      }),
      { numRuns: 300 },
    );
  });

  it('reads about a page in one query per bucket, not B pages, when hosts are many', async () => {
    const hosts = Array.from({ length: 100_000 }, (_, i) => `host-${String(i).padStart(6, '0')}`);
    const reads = { count: 0, rows: 0 };
    const page = await mergeBucketPages(memoryBuckets(hosts, 20, reads), (h) => h, undefined, 500);
    expect(page.items).toEqual(hosts.slice(0, 500));
    expect(page.more).toBe(true);
    expect(reads.rows).toBeLessThan(1_000);
    expect(reads.count).toBeLessThanOrEqual(22);
  });

  it('refuses a page size below 1', async () => {
    await expect(mergeBucketPages([], (h: string) => h, undefined, 0)).rejects.toThrow(RangeError);
  });
});
