import fs from 'node:fs';
import { containerFaultRowsFile } from '../../support/faults';
import { compose, composeDown, composeUp, engineScript, log, must, newState, run, writeState } from './engine';

/**
 * Jest global setup of the containers suite (`npm run test:containers`): its own Docker engine
 * (docker/engine.sh up: --bridge=none --iptables=false), the local images (built from nothing on
 * a fresh machine, from the layer cache on a second run), then the whole layout up with three
 * workers. Each step's wall time lands in artifacts/containers/state.json.
 */
export default async function globalSetup(): Promise<void> {
  const state = newState();
  // The fault table's rows of this run only (test 3 appends its row).
  fs.rmSync(containerFaultRowsFile, { force: true });
  const timed = async (step: string, fn: () => Promise<unknown>) => {
    const started = Date.now();
    await fn();
    state.timings[step] = Math.round((Date.now() - started) / 100) / 10;
    log(`${step}: ${state.timings[step]} s`);
  };
  await timed('engine up', () => must(engineScript, ['up'], {}, 120_000));
  await timed('images', async () => {
    const r = await run(engineScript, ['images'], {}, 1_800_000);
    for (const line of r.stderr.split('\n').filter((l) => l.startsWith('[engine]'))) log(line);
    if (r.code !== 0) throw new Error(`docker/engine.sh images exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  });
  writeState(state);
  try {
    // What an interrupted earlier run left (its Cassandra volume holds other credentials) goes first.
    await composeDown(state);
    await timed('compose up (3 workers)', () => composeUp(state, 3));
  } catch (error) {
    // Jest skips global teardown when setup fails: show why, then leave nothing running.
    const logs = await compose(['logs', '--no-color', '--tail', '30'], state.env);
    log(`compose up failed; the services' last lines:\n${logs.stdout}`);
    await composeDown(state).catch(() => undefined);
    await run(engineScript, ['down'], {}, 120_000);
    fs.rmSync(state.secretsDir, { recursive: true, force: true });
    throw error;
  }
  writeState(state);
}
