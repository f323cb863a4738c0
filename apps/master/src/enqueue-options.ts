import { z } from 'zod';
import { ConfigError, intFlag, parseCli } from '@simplecm/config';
import { hostnameSchema, groupNameSchema, type RunOptions, type RunTarget } from '@simplecm/domain';

/**
 * `enqueue` flags:
 * - `--hosts h1,h2`: only these hosts; `--group g`: only this group; neither: every host.
 * - `--check`: check mode (report what would change, change nothing). Default apply.
 * - `--keep-going`: run a host's later operations after one fails. Default: skip them.
 * - `--operation-timeout S`: kill an operation on the host after S seconds. Default 300.
 * - `--run-id ID`: re-enqueue an existing run (after a crash); jobs already there are not added twice.
 * - `--wait`: show progress until every host is done, then a recap; exit 1 if any host failed.
 * - `--modules-dir DIR`: as the workers' (default SIMPLECM_MODULES_DIR, /etc/simple-cm/modules, the repo's modules/).
 */
export interface EnqueueOptions {
  readonly target: RunTarget;
  readonly run: RunOptions;
  readonly runId: string | undefined;
  readonly wait: boolean;
  readonly modulesDir: string | undefined;
}

const flagSpec = {
  hosts: { type: 'string' },
  group: { type: 'string' },
  check: { type: 'boolean' },
  'keep-going': { type: 'boolean' },
  'operation-timeout': { type: 'string' },
  'run-id': { type: 'string' },
  wait: { type: 'boolean' },
  'modules-dir': { type: 'string' },
} as const;

const flagsSchema = z.object({
  hosts: z
    .string()
    .transform((s) => s.split(',').map((h) => h.trim()).filter(Boolean))
    .pipe(z.array(hostnameSchema).min(1, 'name at least one host')
    )
    .optional(),
  group: groupNameSchema.optional(),
  check: z.boolean().optional(),
  'keep-going': z.boolean().optional(),
  'operation-timeout': intFlag(1, 86_400).optional(),
  'run-id': z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a run id printed by enqueue').optional(),
  wait: z.boolean().optional(),
  'modules-dir': z.string().min(1).optional(),
});

export function compileEnqueueOptions(argv: readonly string[], env: NodeJS.ProcessEnv): EnqueueOptions {
  const { flags } = parseCli(argv, flagSpec, flagsSchema);
  if (flags.hosts && flags.group) throw new ConfigError('--hosts and --group: give one or the other');
  const target: RunTarget = flags.hosts ? { kind: 'hosts', hosts: [...new Set(flags.hosts)] } : flags.group ? { kind: 'group', group: flags.group } : { kind: 'all' };
  return {
    target,
    run: { mode: flags.check ? 'check' : 'apply', keepGoing: flags['keep-going'] ?? false, operationTimeoutSeconds: flags['operation-timeout'] ?? 300 },
    runId: flags['run-id'],
    wait: flags.wait ?? false,
    modulesDir: flags['modules-dir'] ?? env.SIMPLECM_MODULES_DIR,
  };
}
