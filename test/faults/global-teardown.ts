import fs from 'node:fs';
import path from 'node:path';
import { formatTable } from '@simplecm/terminal';
import { faultRowsFile, faultsArtifactsDir, type FaultRow } from '../support/faults';

/**
 * Prints the fault table from the rows the tests measured in Cassandra (artifacts/faults/rows.jsonl)
 * and keeps it as artifacts/faults/table.txt.
 */
export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(faultRowsFile)) return;
  const rows = fs
    .readFileSync(faultRowsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FaultRow);
  const n = (v: number | undefined) => (v === undefined ? '-' : v);
  const table = formatTable<FaultRow>(
    [
      { header: 'fault injected', value: (r) => r.fault },
      { header: 'hosts', value: (r) => r.hostsInRun, align: 'right' },
      { header: 'recorded', value: (r) => r.hostsRecorded, align: 'right' },
      { header: 'converged', value: (r) => r.hostsConverged, align: 'right' },
      { header: 'results expected', value: (r) => r.resultsExpected, align: 'right' },
      { header: 'written', value: (r) => r.resultsWritten, align: 'right' },
      { header: 'duplicated', value: (r) => r.duplicated, align: 'right' },
      { header: 'lost', value: (r) => r.lost, align: 'right' },
      { header: 'host re-runs', value: (r) => n(r.hostRerun), align: 'right' },
      { header: 'operations executed twice', value: (r) => n(r.opsRunTwice), align: 'right' },
      { header: 're-run after reboot (expected)', value: (r) => n(r.opsRerunAfterReboot), align: 'right' },
      { header: 'recovery s', value: (r) => (r.recoverySeconds === undefined ? '-' : r.recoverySeconds.toFixed(1)), align: 'right' },
    ],
    rows,
  );
  const text = `\nFault suite (counts read from Cassandra after each fault):\n${table}\n`;
  fs.writeFileSync(path.join(faultsArtifactsDir, 'table.txt'), text);
  process.stdout.write(text);
}
