import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where an installed SimpleCM keeps its modules (as in the original tool). */
export const SYSTEM_MODULES_DIR = '/etc/simple-cm/modules';

/** The modules shipped in this repository: `<repo>/modules`, from packages/modules/src. */
export const BUNDLED_MODULES_DIR = path.resolve(__dirname, '..', '..', '..', 'modules');

/**
 * The modules directory to load: the configured one (`--modules-dir` / SIMPLECM_MODULES_DIR,
 * resolved by the caller) when given, else the system directory when it exists, else the
 * modules bundled with the repository. `systemDir` is there for tests.
 */
export function resolveModulesDir(configured: string | undefined, systemDir: string = SYSTEM_MODULES_DIR): string {
  if (configured !== undefined && configured !== '') return path.resolve(configured);
  if (fs.existsSync(systemDir)) return systemDir;
  return BUNDLED_MODULES_DIR;
}
