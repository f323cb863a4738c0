/**
 * SimpleCM's three processes bundled to plain JavaScript with esbuild (the workspace packages
 * inlined, npm dependencies left to node_modules), so the bench can measure what running them
 * without tsx would gain. Built into .bench/build on every run; nothing outside bench/ changes.
 */
import path from 'node:path';
import { buildSync } from 'esbuild';
import { repoRoot } from '../scripts/stack/paths';
import { benchDir } from './bench-system';

export const BUNDLED_ENTRY_POINTS = {
  worker: 'apps/worker/src/main.ts',
  results: 'apps/results/src/main.ts',
  enqueue: 'apps/master/src/enqueue-main.ts',
} as const;

export type BundledRole = keyof typeof BUNDLED_ENTRY_POINTS;

export function bundleFile(role: BundledRole): string {
  return path.join(benchDir, 'build', `${role}.js`);
}

export function buildBundles(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require(path.join(repoRoot, 'package.json')) as { dependencies: Record<string, string> };
  for (const role of Object.keys(BUNDLED_ENTRY_POINTS) as BundledRole[]) {
    buildSync({
      entryPoints: [path.join(repoRoot, BUNDLED_ENTRY_POINTS[role])],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: Object.keys(pkg.dependencies),
      outfile: bundleFile(role),
      logLevel: 'warning',
    });
  }
}
