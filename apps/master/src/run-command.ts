import { CommandExit, ConfigError } from '@simplecm/config';
import { coerceError } from '@simplecm/kernel';

/**
 * Runs a command's `main` and exits with its code; a thrown error is printed as `name: message`
 * and exits 2 when it is bad input (ConfigError), else 3 (a service was unavailable).
 */
export function runCommand(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`${name}: ${coerceError(error).message}`);
      process.exit(error instanceof ConfigError ? CommandExit.badInput : CommandExit.unavailable);
    },
  );
}
