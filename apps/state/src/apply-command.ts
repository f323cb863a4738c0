import os from 'node:os';
import { z } from 'zod';
import { intFlag } from '@simplecm/config';
import { applySchema, stateRevisionStore } from '@simplecm/store';
import { applyState, formatProblem, stateDigest, type DesiredHost } from '@simplecm/state';
import { ExitCode, modulesDirFlag, parseCommand, type Command } from './command';
import { withFleet } from './fleet-store';
import { gitRevision } from './git-revision';
import { loadState, type LoadedState } from './load-state';

const flagSpec = { ...modulesDirFlag, prune: { type: 'boolean' }, concurrency: { type: 'string' } } as const;
const flagsSchema = z.object({ 'modules-dir': z.string().min(1).optional(), prune: z.boolean().optional(), concurrency: intFlag(1, 256).optional() });

/** Who applies: SIMPLECM_USER, else the OS user. */
function appliedBy(env: NodeJS.ProcessEnv): string {
  if (env.SIMPLECM_USER) return env.SIMPLECM_USER;
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

export interface ApplyDirOptions {
  readonly prune: boolean;
  readonly concurrency?: number;
  /** Changes the compiled hosts before they are written (the seed's addresses for compose). */
  readonly mapHost?: (host: DesiredHost) => DesiredHost;
}

/**
 * Applies a compiled state directory: writes what differs, records the state revision, prints
 * what it did. Exit code 2 (nothing written) when the directory has problems.
 */
export async function applyStateDir(dir: string, loaded: LoadedState, env: NodeJS.ProcessEnv, options: ApplyDirOptions): Promise<ExitCode> {
  if (loaded.problems.length > 0) {
    for (const p of loaded.problems) console.error(formatProblem(p));
    console.error(`${loaded.problems.length} problem(s); nothing written`);
    return ExitCode.badInput;
  }
  const { prune } = options;
  const state = options.mapHost ? { hosts: loaded.state.hosts.map(options.mapHost) } : loaded.state;
  return withFleet(env, async ({ client, config, store }) => {
    await applySchema(client, config.keyspace, config.replication);
    const { diff, kept, summary } = await applyState(store, state, { prune, concurrency: options.concurrency });
    for (const h of diff.added) console.log(`+ host ${h.host.hostname}`);
    for (const c of diff.changed) console.log(`~ host ${c.hostname}`);
    if (prune) for (const h of diff.removed) console.log(`- host ${h.host.hostname}`);
    if (kept.length > 0) console.log(`kept ${kept.length} host(s) not in ${dir} (--prune removes them): ${kept.join(', ')}`);
    const revision = await stateRevisionStore(client, config.keyspace).recordRevision({
      appliedBy: appliedBy(env),
      digest: stateDigest(loaded.files),
      gitCommit: gitRevision(dir),
      summary,
    });
    console.log(summary);
    console.log(`state revision ${revision.revisionId} (digest ${revision.digest?.slice(0, 12)}, git ${revision.gitCommit ?? 'none'})`);
    return ExitCode.ok;
  });
}

/** `apply DIR [--prune]`: validate everything, then write what differs, then record the revision. */
export const applyCommand: Command = {
  summary: 'write a state directory into Cassandra and record a state revision',
  help: `usage: state apply DIR [--prune] [--concurrency N] [--modules-dir DIR]

Compiles DIR first and writes nothing if it has any problem (exit 2, as validate). Then compares
it with Cassandra and writes each added or changed host in one logged batch (host row, group
memberships, operations; rows beyond its new last operation and groups it left are deleted), so
running it again after a crash repairs a half-done apply. Hosts in Cassandra but not in DIR are
kept and listed, unless --prune removes them. Finally records a state revision: a time-based id,
the time, who (SIMPLECM_USER, else the OS user), the sha256 of DIR's files, DIR's git commit (with
-dirty for uncommitted changes) and a one-line summary of the changes.
--concurrency N: host batches written at once (default 16).`,
  async run(argv, env) {
    const { flags, args } = parseCommand(argv, flagSpec, flagsSchema, ['DIR']);
    const dir = args[0]!;
    return applyStateDir(dir, loadState(dir, flags['modules-dir'] ?? env.SIMPLECM_MODULES_DIR), env, { prune: flags.prune ?? false, concurrency: flags.concurrency });
  },
};
