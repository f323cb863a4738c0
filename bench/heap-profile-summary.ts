/**
 * `npx tsx bench/heap-profile-summary.ts FILE.heapprofile [--top 25] [--depth 4]`: what allocated the bytes
 * in a V8 sampling heap profile (the soak's `--heap-sampling`): the allocation sites by bytes
 * (function, file:line; node_modules paths shortened), and the same bytes by the site and its
 * callers (`--depth 4` frames), so "join allocated it" reads as "join, for which of our calls".
 * The apps run as esbuild bundles (dist/<app>.js), so the line numbers are the bundle's.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { intFlag, parseCli } from '@simplecm/config';

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const where = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*node_modules\//, '').replace(/^.*\/(apps|packages|bench)\//, '$1/').replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : '(native)'}`;
};

function summarise(root: ProfileNode, depth: number): { bySite: Map<string, number>; byStack: Map<string, number>; total: number } {
  const bySite = new Map<string, number>();
  const byStack = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, callers: readonly string[]) => {
    const stack = [where(node), ...callers].slice(0, depth);
    if (node.selfSize > 0) {
      total += node.selfSize;
      bySite.set(stack[0]!, (bySite.get(stack[0]!) ?? 0) + node.selfSize);
      const key = stack.join('\n              ← ');
      byStack.set(key, (byStack.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, stack);
  };
  walk(root, []);
  return { bySite, byStack, total };
}

function main(): void {
  const { flags, positionals } = parseCli(process.argv.slice(2), { top: { type: 'string' }, depth: { type: 'string' } }, z.object({ top: intFlag(1, 1000).optional(), depth: intFlag(1, 50).optional() }), { positionals: true });
  const file = positionals[0];
  if (!file) throw new Error('usage: tsx bench/heap-profile-summary.ts FILE.heapprofile [--top 25] [--depth 4]');
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { head: ProfileNode };
  const { bySite, byStack, total } = summarise(profile.head, flags.depth ?? 4);
  const top = flags.top ?? 25;
  const print = (title: string, map: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    for (const [site, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`${((bytes / total) * 100).toFixed(1).padStart(5)} %  ${(bytes / 1048576).toFixed(1).padStart(7)} MB  ${site}\n`);
    }
  };
  process.stdout.write(`${(total / 1048576).toFixed(1)} MB sampled in all\n`);
  print('allocation sites', bySite);
  print('allocation sites with their callers', byStack);
}

main();
