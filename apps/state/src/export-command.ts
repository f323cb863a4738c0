import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '@simplecm/config';
import { exportState, writeStateDir } from '@simplecm/state';
import { ExitCode, parseCommand, type Command } from './command';
import { readFleet, withFleet } from './fleet-store';

/** `export DIR`: Cassandra's desired state as a state directory. */
export const exportCommand: Command = {
  summary: 'write the desired state held in Cassandra as a state directory',
  help: `usage: state export DIR

Reads every host and its operations from Cassandra (SIMPLECM_CASSANDRA_*, SIMPLECM_KEYSPACE) and
writes them to DIR, which must not exist or be empty: inventory.yaml (every host with its vars
and groups), one role per distinct list of operations (roles/ops-N.yaml) and site.yaml. Applying
DIR again changes nothing (state diff DIR exits 0).`,
  async run(argv, env) {
    const { args } = parseCommand(argv, {}, z.object({}), ['DIR']);
    const dir = args[0]!;
    if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new ConfigError(`${dir}: exists and is not empty`);
    const state = await withFleet(env, async ({ store }) => readFleet(store));
    const files = exportState(state);
    writeStateDir(dir, files);
    const operations = state.hosts.reduce((n, h) => n + h.operations.length, 0);
    console.log(`exported ${state.hosts.length} host(s), ${operations} operation(s) into ${dir} (${files.size} files)`);
    return ExitCode.ok;
  },
};
