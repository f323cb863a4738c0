import { createHash } from 'node:crypto';
import { leafHash, merkleTree, rootFromPath } from '../job-merkle-tree';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`job ${i}`)));

describe('job Merkle tree', () => {
  it('is RFC 9162 tree: leaves and nodes hashed apart, a lone last node carried up', () => {
    const [a, b, c] = leaves(3) as [Buffer, Buffer, Buffer];
    expect(a).toEqual(sha(Buffer.from([0]), Buffer.from('job 0')));
    expect(merkleTree([a]).root).toEqual(a);
    expect(merkleTree([a, b, c]).root).toEqual(sha(Buffer.from([1]), sha(Buffer.from([1]), a, b), c));
    expect(merkleTree([a, b, c]).paths).toEqual([[b, c], [a, c], [sha(Buffer.from([1]), a, b)]]);
  });

  it('every leaf of every size up to 40 reaches the root by its path, not at another index nor with a path too long (the size is signed with the root)', () => {
    for (let size = 1; size <= 40; size += 1) {
      const all = leaves(size);
      const { root, paths } = merkleTree(all);
      all.forEach((leaf, i) => {
        expect(rootFromPath(leaf, i, size, paths[i]!)).toEqual(root);
        if (size > 1) {
          expect(rootFromPath(leaf, (i + 1) % size, size, paths[i]!)).not.toEqual(root);
          expect(rootFromPath(all[(i + 1) % size]!, i, size, paths[i]!)).not.toEqual(root);
        }
        expect(rootFromPath(leaf, i, size, [...paths[i]!, leaf])).toBeNull();
      });
    }
  });

  it('refuses an index outside the tree', () => {
    const { paths } = merkleTree(leaves(4));
    expect(rootFromPath(leaves(1)[0]!, 4, 4, paths[0]!)).toBeNull();
    expect(rootFromPath(leaves(1)[0]!, -1, 4, paths[0]!)).toBeNull();
    expect(rootFromPath(leaves(1)[0]!, 0, 0, [])).toBeNull();
  });
});
