import { interleave } from '../interleave';
import { tokenRanges } from '../token-ranges';

describe('token ranges', () => {
  it.each([1, 2, 3, 7])('cut the whole Murmur3 ring into %i contiguous parts', (parts) => {
    const ranges = tokenRanges(parts);
    expect(ranges).toHaveLength(parts);
    expect(ranges[0]![0].toString()).toBe('-9223372036854775808');
    expect(ranges[parts - 1]![1].toString()).toBe('9223372036854775807');
    for (let i = 1; i < parts; i++) expect(ranges[i]![0].equals(ranges[i - 1]![1])).toBe(true);
    for (const [start, end] of ranges) expect(start.lessThan(end)).toBe(true);
  });

  it('refuses a part count that is not a positive integer', () => {
    expect(() => tokenRanges(0)).toThrow(RangeError);
    expect(() => tokenRanges(1.5)).toThrow(RangeError);
  });
});

describe('interleave', () => {
  async function* source(name: string, n: number, log: string[]): AsyncGenerator<string> {
    try {
      for (let i = 0; i < n; i++) {
        await new Promise((r) => setImmediate(r));
        yield `${name}${i}`;
      }
    } finally {
      log.push(`${name} closed`);
    }
  }

  it('gives every value of every source, each source in its own order', async () => {
    const log: string[] = [];
    const seen: string[] = [];
    for await (const v of interleave([source('a', 5, log), source('b', 3, log), source('c', 0, log)])) seen.push(v);
    expect([...seen].sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2']);
    expect(seen.filter((v) => v.startsWith('a'))).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(seen.filter((v) => v.startsWith('b'))).toEqual(['b0', 'b1', 'b2']);
  });

  it('stops every source when the reader stops early', async () => {
    const log: string[] = [];
    for await (const v of interleave([source('a', 100, log), source('b', 100, log)])) if (v === 'a2') break;
    expect([...log].sort()).toEqual(['a closed', 'b closed']);
  });

  it('passes a source failure on and stops the others', async () => {
    const log: string[] = [];
    async function* failing(): AsyncGenerator<string> {
      yield 'x';
      throw new Error('node down');
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const v of interleave([source('a', 100, log), failing()])) seen.push(v);
      })(),
    ).rejects.toThrow('node down');
    expect(log).toEqual(['a closed']);
  });
});
