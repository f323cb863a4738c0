import { z } from 'zod';
import { intFlag } from '@simplecm/config';
import { stateRevisionStore, type StateRevisionRecord } from '@simplecm/store';
import { formatTable } from '@simplecm/terminal';
import { ExitCode, parseCommand, type Command } from './command';
import { withFleet } from './fleet-store';

/** `revisions`: the state revisions applied, newest first. */
export const revisionsCommand: Command = {
  summary: 'list the state revisions applied, newest first',
  help: `usage: state revisions [--limit N]

Lists the revisions recorded by apply (newest first, default 20): id, when, who, git commit,
digest and summary.`,
  async run(argv, env) {
    const { flags } = parseCommand(argv, { limit: { type: 'string' } }, z.object({ limit: intFlag(1, 10_000).optional() }), []);
    const revisions = await withFleet(env, ({ client, config }) => stateRevisionStore(client, config.keyspace).listRevisions(flags.limit ?? 20));
    if (revisions.length === 0) {
      console.log('no state revision applied yet');
      return ExitCode.ok;
    }
    console.log(
      formatTable<StateRevisionRecord>(
        [
          { header: 'revision', value: (r) => r.revisionId },
          { header: 'applied at', value: (r) => r.appliedAt?.toISOString() ?? '-' },
          { header: 'by', value: (r) => r.appliedBy ?? '-', maxWidth: 16 },
          { header: 'git', value: (r) => (r.gitCommit === null ? '-' : r.gitCommit.replace(/^([0-9a-f]{12})[0-9a-f]*/, '$1')) },
          { header: 'digest', value: (r) => r.digest?.slice(0, 12) ?? '-' },
          { header: 'summary', value: (r) => r.summary ?? '' },
        ],
        revisions,
      ),
    );
    return ExitCode.ok;
  },
};
