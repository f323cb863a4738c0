import { z } from 'zod';
import { formatCommandHelp, intSetting, readSettings, resolveSettings, switchSetting, textSetting, type SettingSpec } from '@simplecm/config';
import { runStore } from '@simplecm/store';
import { formatTable, painterFor, runColumns } from '@simplecm/terminal';
import { connectHistory, HISTORY_ENV } from './history-connect';

interface RunsOptions {
  limit?: number;
  before?: string;
  json?: boolean;
}

const runsSettings: SettingSpec<RunsOptions> = {
  limit: intSetting({ flag: 'limit', valueName: 'N', about: 'runs listed' }, 1, 1000),
  before: textSetting({ flag: 'before', valueName: 'RUN_ID', about: 'only runs older than this one (the next page)' }, z.string().uuid()),
  json: switchSetting({ flag: 'json', about: 'one JSON object {"runs": [...], "nextBefore"} (see README: JSON output)' }),
};
const runsDefaults = { limit: 20, json: false } satisfies RunsOptions;

/** `simplecm runs [--limit N] [--before RUN] [--json]`: recent runs, newest first. */
export async function runsCommand(argv: string[]): Promise<void> {
  const help = () =>
    formatCommandHelp(
      { usage: 'simplecm runs [options]', summary: 'Lists recent runs, newest first.', examples: ['simplecm runs --limit 5', 'simplecm runs --json | jq .runs[0]'], env: HISTORY_ENV },
      runsSettings,
      runsDefaults,
    );
  const flags = resolveSettings(runsSettings, runsDefaults, readSettings(argv, {}, runsSettings, help));
  const { cassandra, keyspace } = await connectHistory(process.env);
  try {
    const runs = await runStore(cassandra, keyspace).listRuns({ limit: flags.limit, before: flags.before });
    const last = runs.at(-1);
    const nextBefore = last && runs.length === flags.limit ? last.runId : null;
    if (flags.json) {
      console.log(JSON.stringify({ runs, nextBefore }));
      return;
    }
    console.log(runs.length === 0 ? 'no runs yet' : formatTable(runColumns, runs, painterFor(process.stdout, process.env)));
    if (nextBefore) console.log(`next page: simplecm runs --before ${nextBefore}`);
  } finally {
    await cassandra.shutdown();
  }
}
