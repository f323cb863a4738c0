import { stackUp } from '../../scripts/stack/stack';

/** Jest global setup: the real local stack, brought up once (fast when it already runs). */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  await stackUp({ hosts: 5, atLeast: true, log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  process.stderr.write(`[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
