/**
 * `tsx tools/stack/src/install-debian-packages.ts [--ci]`: what `.ci/run` runs (after npm ci) to
 * install the stack's Debian packages, and with --ci the test-only ones. Exit 1 (with the line to
 * run) as non-root when some are missing.
 */
import { CI_PACKAGES, ensureDebianPackages, STACK_PACKAGES } from './debian-packages';
import { errorMessage } from '@simplecm/kernel';

try {
  ensureDebianPackages(process.argv.includes('--ci') ? CI_PACKAGES : STACK_PACKAGES);
} catch (error) {
  console.error(errorMessage(error));
  process.exit(1);
}
