import { buildStaleApps, stackUp } from '@simplecm/stack';

/** Jest global setup: the real local stack, brought up once (fast when it already runs). */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  // Built once here, not by the first processes the tests start, all at once.
  const [built] = await Promise.all([buildStaleApps(), stackUp({ hosts: 5, atLeast: true, log: (line) => process.stderr.write(`[stack] ${line}\n`) })]);
  if (built.length > 0) process.stderr.write(`[build] ${built.join(', ')} bundled into dist/\n`);
  process.stderr.write(`[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
