import { createHash } from 'node:crypto';

/**
 * The Merkle tree a master signs a batch of host jobs with (RFC 9162's tree, its domain
 * separation: a leaf is SHA-256(0x00 ‖ leaf bytes), a node SHA-256(0x01 ‖ left ‖ right), a lone
 * last node is carried up unchanged). One signature over the root covers every job of the batch;
 * each job carries its index and audit path (log2(size) hashes) and a worker recomputes the root
 * from its own bytes (docs/security.md, "Batch signing").
 */

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export function leafHash(bytes: Buffer): Buffer {
  return createHash('sha256').update(LEAF).update(bytes).digest();
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

/** The root of the leaves (at least one) and each leaf's audit path, bottom up. */
export function merkleTree(leaves: readonly Buffer[]): { readonly root: Buffer; readonly paths: Buffer[][] } {
  if (leaves.length === 0) throw new Error('merkle tree: no leaf');
  const paths: Buffer[][] = leaves.map(() => []);
  let level = [...leaves];
  // Which node of the current level each leaf is under.
  const position = leaves.map((_, i) => i);
  while (level.length > 1) {
    for (let leaf = 0; leaf < leaves.length; leaf += 1) {
      const sibling = position[leaf]! ^ 1;
      if (sibling < level.length) paths[leaf]!.push(level[sibling]!);
      position[leaf] = position[leaf]! >> 1;
    }
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return { root: level[0]!, paths };
}

/** The root a leaf at `index` of a tree of `size` leaves reaches by its path, or null when the path does not fit the tree (RFC 9162, 2.1.3.2). */
export function rootFromPath(leaf: Buffer, index: number, size: number, path: readonly Buffer[]): Buffer | null {
  if (!(Number.isInteger(index) && Number.isInteger(size) && index >= 0 && index < size)) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}
