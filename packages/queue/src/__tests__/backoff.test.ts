import { CAPPED_BACKOFF, cappedBackoffDelay, cappedBackoffStrategy } from '../backoff';

describe('capped backoff', () => {
  const mid = () => 0.5; // no jitter

  it('doubles from the base and never passes the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 50, 1_000_000].map((n) => cappedBackoffDelay(n, { baseMs: 500, capMs: 5_000 }, mid));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000]);
  });

  it('jitters within ±20 %', () => {
    expect(cappedBackoffDelay(10, { baseMs: 500, capMs: 5_000 }, () => 0)).toBe(4_000);
    expect(cappedBackoffDelay(10, { baseMs: 500, capMs: 5_000 }, () => 1)).toBe(6_000);
  });

  it("uses the job's delay as base, the consumer's cap as cap", () => {
    const strategy = cappedBackoffStrategy({ baseMs: 100, capMs: 3_000 });
    const job = { opts: { backoff: { type: CAPPED_BACKOFF, delay: 1_000 } } } as never;
    for (let i = 0; i < 50; i++) {
      const delay = strategy(30, CAPPED_BACKOFF, undefined, job) as number;
      expect(delay).toBeGreaterThanOrEqual(2_400);
      expect(delay).toBeLessThanOrEqual(3_600);
    }
    expect(strategy(1, 'something-else', undefined, job)).toBe(100);
  });
});
