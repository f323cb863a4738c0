import { CommandExit, ConfigError } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { driftCommand } from './drift-command';
import { resultsCommand } from './results-command';
import { runsCommand } from './runs-command';

/**
 * SimpleCM's history, for people: `runs` lists recent runs, `results` a run's hosts or one
 * host's operations (`npm run runs`, `npm run results`), `drift` the hosts that drifted. Exit codes: 0 done; 2 bad input; 3 error.
 */
const commands: Record<string, (argv: string[]) => Promise<void>> = { runs: runsCommand, results: resultsCommand, drift: driftCommand };
const [name, ...rest] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error('usage: history runs|results|drift …');
  process.exit(2);
}
command(rest).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`${name}: ${error instanceof ConfigError ? errorMessage(error) : errorMessage(error).split('\n')[0]}`);
    // The driver's "all hosts tried" error carries a dump per node: its first line says it all.
    process.exit(error instanceof ConfigError ? CommandExit.badInput : CommandExit.unavailable);
  },
);
