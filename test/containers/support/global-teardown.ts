import fs from 'node:fs';
import { containerFaultRowsFile, formatFaultTable, readFaultRows } from '../../support/faults';
import { composeDown, engineScript, leftovers, log, must, readState } from './engine';

/**
 * Takes the layout down (`docker-compose down -v`), then stops the engine, which leaves no
 * container, volume, network or mount behind; only the image cache stays (docker/engine.sh).
 */
export default async function globalTeardown(): Promise<void> {
  const state = readState();
  try {
    await composeDown(state);
  } finally {
    await must(engineScript, ['down'], {}, 120_000);
    // The suite's key pair exists only for this run.
    fs.rmSync(state.secretsDir, { recursive: true, force: true });
  }
  const left = leftovers();
  if (left.length > 0) throw new Error(`the engine left behind:\n${left.join('\n')}`);
  log('engine stopped; no mounts left');
  const rows = readFaultRows(containerFaultRowsFile);
  if (rows.length > 0) process.stdout.write(`\nFault table rows of the containers suite (counts read from Cassandra; the faults suite's table adds them):\n${formatFaultTable(rows)}\n`);
}
