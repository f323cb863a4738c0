import fs from 'node:fs';
import path from 'node:path';
import { containerFaultRowsFile, faultRowsFile, faultsArtifactsDir, formatFaultTable, readFaultRows } from '../support/faults';

/**
 * Prints the fault table from the rows the tests measured in Cassandra (artifacts/faults/rows.jsonl)
 * and keeps it as artifacts/faults/table.txt. The containers suite's rows (a worker container
 * killed mid-host, artifacts/containers/fault-rows.jsonl) follow, from its last run, when there is one.
 */
export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(faultRowsFile)) return;
  const containerRows = readFaultRows(containerFaultRowsFile).map((r) => ({ ...r, fault: `${r.fault} (containers suite)` }));
  const table = formatFaultTable([...readFaultRows(faultRowsFile), ...containerRows]);
  const text = `\nFault suite (counts read from Cassandra after each fault):\n${table}\n`;
  fs.writeFileSync(path.join(faultsArtifactsDir, 'table.txt'), text);
  process.stdout.write(text);
}
