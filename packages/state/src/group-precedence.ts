/** The implicit group of every host. */
export const ALL_GROUP = 'all';

/**
 * Group membership and variable precedence over a group tree (groups with child groups), shared
 * by the inventory compiler and the Ansible import so both order group vars alike.
 */
export interface GroupTree {
  /**
   * A host's groups: `own` with every ancestor, in precedence order (lowest first): `all`, then
   * from the top of the tree down (a child after all of its parents), equal depths by name.
   */
  groupsOf(own: Iterable<string>): string[];
}

/** A tree from each group's children (cycles tolerated: they are reported elsewhere). */
export function groupTree(children: Iterable<readonly [string, Iterable<string>]>): GroupTree {
  const parents = new Map<string, string[]>();
  for (const [name, kids] of children) {
    for (const child of kids) parents.set(child, [...(parents.get(child) ?? []), name]);
  }
  const depth = new Map<string, number>();
  const depthOf = (g: string, seen: Set<string>): number => {
    const known = depth.get(g);
    if (known !== undefined) return known;
    if (seen.has(g)) return 0;
    seen.add(g);
    const d = Math.max(-1, ...(parents.get(g) ?? []).map((p) => depthOf(p, seen))) + 1;
    seen.delete(g);
    depth.set(g, d);
    return d;
  };
  return {
    groupsOf(own) {
      const found = new Set<string>();
      const visit = (g: string) => {
        if (found.has(g)) return;
        found.add(g);
        for (const p of parents.get(g) ?? []) visit(p);
      };
      for (const g of own) visit(g);
      found.delete(ALL_GROUP);
      const ordered = [...found].sort((a, b) => depthOf(a, new Set()) - depthOf(b, new Set()) || (a < b ? -1 : a > b ? 1 : 0));
      return [ALL_GROUP, ...ordered];
    },
  };
}
