import { z } from 'zod';
import { formatProblem } from '@simplecm/state';
import { ExitCode, modulesDirFlag, parseCommand, type Command } from './command';
import { loadState } from './load-state';

/** `validate DIR`: offline; every problem as `file:line:column: message`, exit 2 if any. */
export const validateCommand: Command = {
  summary: 'check a state directory offline (exit 2 on any problem)',
  help: `usage: state validate DIR [--modules-dir DIR]

Checks the state directory DIR without Redis or Cassandra: YAML syntax, fields, modules and
their attribute schemas, variables, file sources, handlers, duplicates. Prints every problem as
file:line:column: message (paths relative to DIR) and exits 2 if there is any, else prints a
count of hosts and operations and exits 0.`,
  async run(argv, env) {
    const { flags, args } = parseCommand(argv, modulesDirFlag, z.object({ 'modules-dir': z.string().min(1).optional() }), ['DIR']);
    const { state, problems } = loadState(args[0]!, flags['modules-dir'] ?? env.SIMPLECM_MODULES_DIR);
    if (problems.length > 0) {
      for (const p of problems) console.error(formatProblem(p));
      console.error(`${problems.length} problem(s)`);
      return ExitCode.badInput;
    }
    const operations = state.hosts.reduce((n, h) => n + h.operations.length, 0);
    console.log(`valid: ${state.hosts.length} host(s), ${operations} operation(s)`);
    return ExitCode.ok;
  },
};
