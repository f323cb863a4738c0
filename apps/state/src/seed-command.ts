import path from 'node:path';
import { z } from 'zod';
import { modulesDirFlag, parseCommand, type Command } from './command';
import { applyStateDir } from './apply-command';
import { loadState } from './load-state';

/** The example desired state shipped with SimpleCM: five hosts at the local stack's addresses. */
export const EXAMPLE_STATE_DIR = path.resolve(__dirname, '..', '..', '..', 'examples', 'demo-state');

const flagSpec = { ...modulesDirFlag } as const;
const flagsSchema = z.object({ 'modules-dir': z.string().min(1).optional() });

/**
 * `seed`: what the demo, `npm run seed` and docker compose's seed job load. It is `apply --prune`
 * of the example directory, so whatever was applied before (other experiments) is replaced and
 * the demo converges the same fleet every time.
 */
export const seedCommand: Command = {
  summary: 'apply the example desired state (examples/demo-state) with --prune',
  help: `usage: state seed [--modules-dir DIR]

Applies the example state directory (${path.relative(process.cwd(), EXAMPLE_STATE_DIR) || EXAMPLE_STATE_DIR}, or SIMPLECM_SEED_DIR) as
"state apply DIR --prune" does, schema included: five hosts, host1…host5, at the local stack's
addresses 127.10.0.1…5. SIMPLECM_SEED_ADDRESSES=hostnames reaches them by name instead (host1…,
as docker compose names its SSH hosts).`,
  async run(argv, env) {
    const { flags } = parseCommand(argv, flagSpec, flagsSchema, []);
    const dir = env.SIMPLECM_SEED_DIR || EXAMPLE_STATE_DIR;
    const byName = env.SIMPLECM_SEED_ADDRESSES === 'hostnames';
    const loaded = loadState(dir, flags['modules-dir'] ?? env.SIMPLECM_MODULES_DIR);
    const status = await applyStateDir(dir, loaded, env, {
      prune: true,
      mapHost: byName ? (h) => ({ ...h, host: { ...h.host, address: h.host.hostname } }) : undefined,
    });
    return status;
  },
};
