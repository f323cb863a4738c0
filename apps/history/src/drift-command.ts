import { formatCommandHelp, readSettings, resolveSettings, switchSetting, textSetting, type SettingSpec } from '@simplecm/config';
import { hostPatternTextSchema } from '@simplecm/domain';
import { driftStore, inventoryStore, runStore, type DriftedHost } from '@simplecm/store';
import { formatTable, type Column } from '@simplecm/terminal';
import { connectHistory, HISTORY_ENV } from './history-connect';

interface DriftOptions {
  limit?: string;
  json?: boolean;
}

const driftSettings: SettingSpec<DriftOptions> = {
  limit: textSetting(
    { flag: 'limit', valueName: 'PATTERN', about: "only the hosts the pattern selects (as simplecm run --limit), e.g. 'web:!web3'" },
    hostPatternTextSchema,
  ),
  json: switchSetting({ flag: 'json', about: 'one JSON object {"hosts": [...]}' }),
};
const driftDefaults = { json: false } satisfies DriftOptions;

/** A drifted host as printed: with the state revision its check run converged against. */
export type DriftLine = DriftedHost & { readonly stateRevision: string | null };

const driftColumns: ReadonlyArray<Column<DriftLine>> = [
  { header: 'host', value: (d) => d.hostname, maxWidth: 40 },
  { header: 'drifted since', value: (d) => d.driftedSince.toISOString().replace(/\.\d+Z$/, 'Z') },
  { header: 'last check', value: (d) => d.checkedAt.toISOString().replace(/\.\d+Z$/, 'Z') },
  { header: 'pending', value: (d) => d.pending, align: 'right' },
  { header: 'operations', value: (d) => d.pendingOperations.join(', '), maxWidth: 60 },
  { header: 'run', value: (d) => d.runId },
  { header: 'state revision', value: (d) => d.stateRevision ?? 'none' },
];

/**
 * `simplecm drift [--limit PATTERN] [--json]`: the hosts whose latest check run found something
 * to change, with since when (their first such check after they were last found or made clean).
 */
export async function driftCommand(argv: string[]): Promise<void> {
  const help = () =>
    formatCommandHelp(
      {
        usage: 'simplecm drift [options]',
        summary:
          'Lists the hosts that drifted from the desired state: those whose latest check run (simplecm run --check) found operations that would change, with since when. An apply run that converges a host clears it.',
        examples: ['simplecm run --check --wait && simplecm drift', "simplecm drift --limit 'web:'", 'simplecm drift --json | jq .hosts[0]'],
        env: HISTORY_ENV,
      },
      driftSettings,
      driftDefaults,
    );
  const flags = resolveSettings(driftSettings, driftDefaults, readSettings(argv, {}, driftSettings, help));
  const { cassandra, keyspace } = await connectHistory(process.env);
  try {
    let drifted = await driftStore(cassandra, keyspace).listDrifted();
    if (flags.limit !== undefined) {
      const selected = new Set<string>();
      for await (const host of inventoryStore(cassandra, keyspace).streamHosts({ kind: 'pattern', pattern: flags.limit })) selected.add(host.hostname);
      drifted = drifted.filter((d) => selected.has(d.hostname));
    }
    // One read per distinct run: the state revision it converged against.
    const runs = runStore(cassandra, keyspace);
    const revisions = new Map<string, string | null>();
    for (const runId of new Set(drifted.map((d) => d.runId))) revisions.set(runId, (await runs.getRun(runId))?.stateRevision ?? null);
    const lines: DriftLine[] = drifted.map((d) => ({ ...d, stateRevision: revisions.get(d.runId) ?? null }));
    if (flags.json) {
      console.log(JSON.stringify({ hosts: lines }));
      return;
    }
    console.log(lines.length === 0 ? 'no drifted host (as of each host\'s latest check run)' : formatTable(driftColumns, lines));
  } finally {
    await cassandra.shutdown();
  }
}
