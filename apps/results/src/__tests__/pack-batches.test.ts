import { packBatches } from '../pack-batches';

describe('packBatches', () => {
  const size = (n: number) => n;

  it('keeps order and cuts at the host limit', () => {
    expect(packBatches([1, 1, 1, 1, 1], size, { maxHosts: 2, maxBytes: 100 })).toEqual([[1, 1], [1, 1], [1]]);
  });

  it('cuts before the byte limit would be passed', () => {
    expect(packBatches([40, 40, 40, 10, 60], size, { maxHosts: 10, maxBytes: 100 })).toEqual([[40, 40], [40, 10], [60]]);
  });

  it('gives an item larger than the byte limit a batch of its own, leaving the others together', () => {
    expect(packBatches([10, 500, 20, 30], size, { maxHosts: 10, maxBytes: 100 })).toEqual([[500], [10, 20, 30]]);
  });

  it('writes every host alone with a host limit of 1, and nothing for no items', () => {
    expect(packBatches([1, 2, 3], size, { maxHosts: 1, maxBytes: 100 })).toEqual([[1], [2], [3]]);
    expect(packBatches([], size, { maxHosts: 16, maxBytes: 100 })).toEqual([]);
  });
});
