import fs from 'node:fs';
import stackSetup from '../support/global-setup';
import { faultRowsFile, faultsArtifactsDir } from '../support/faults';

/** The stack, as for the integration tests, and an empty table for this run of the fault suite. */
export default async function globalSetup(): Promise<void> {
  await stackSetup();
  fs.mkdirSync(faultsArtifactsDir, { recursive: true });
  fs.rmSync(faultRowsFile, { force: true });
}
