import { z } from 'zod';
import { diffStates, formatDiff, formatProblem, isEmptyDiff } from '@simplecm/state';
import { ExitCode, modulesDirFlag, parseCommand, type Command } from './command';
import { readFleet, withFleet } from './fleet-store';
import { loadState } from './load-state';

/** `diff DIR`: what `apply DIR` would change; exit 0 when nothing, 1 when something. */
export const diffCommand: Command = {
  summary: 'show how Cassandra differs from a state directory (exit 1 if it does)',
  help: `usage: state diff DIR [--modules-dir DIR]

Compiles DIR (exit 2 on any problem, as validate) and compares it with the desired state in
Cassandra (SIMPLECM_CASSANDRA_*, SIMPLECM_KEYSPACE): hosts added (+), removed (-, which apply
removes only with --prune) and changed (~) with their fields; per host, operations added,
removed, reordered and changed, with the changed fields and attributes as a line diff.
Exits 0 when nothing differs, 1 when something does, 3 when Cassandra cannot be reached.`,
  async run(argv, env) {
    const { flags, args } = parseCommand(argv, modulesDirFlag, z.object({ 'modules-dir': z.string().min(1).optional() }), ['DIR']);
    const { state, problems } = loadState(args[0]!, flags['modules-dir'] ?? env.SIMPLECM_MODULES_DIR);
    if (problems.length > 0) {
      for (const p of problems) console.error(formatProblem(p));
      return ExitCode.badInput;
    }
    const diff = await withFleet(env, async ({ store }) => diffStates(await readFleet(store), state));
    console.log(formatDiff(diff));
    if (diff.removed.length > 0) console.log('(hosts marked - are removed by `apply --prune` only)');
    return isEmptyDiff(diff) ? ExitCode.ok : ExitCode.differs;
  },
};
