import { z } from 'zod';
import { ConfigError, intFlag, parseCli, zodIssues } from '@simplecm/config';
import { hostnameSchema, groupNameSchema, RUN_ID_PATTERN, type RunTarget } from '@simplecm/domain';
import type { RunOptions } from '@simplecm/queue';

/**
 * `enqueue` flags:
 * - `--hosts h1,h2`: only these hosts; `--group g`: only this group; neither: every host.
 * - `--check`: check mode (report what would change, change nothing). Default apply.
 * - `--keep-going`: run a host's later operations after one fails. Default: skip them.
 * - `--operation-timeout S`: kill an operation on the host after S seconds. Default 300.
 * - `--run-id ID`: re-enqueue an existing run (after a crash); jobs already there are not added twice.
 * - `--run-key KEY`: an idempotency key. The first enqueue with a key creates the run and records
 *   its id under the key (Redis SET NX, 30 days); any later or concurrent enqueue with the same key
 *   joins that run, so a retried or duplicated master never adds a second job for a host.
 * - `--connect-attempts N`: tries to reach a host before it is recorded unreachable (connection
 *   errors only; a failed operation is never retried). Default 3.
 * - `--wait`: show progress until every host is done, then a recap; exit 1 if any host failed.
 * - `--modules-dir DIR`: as the workers' (default SIMPLECM_MODULES_DIR, /etc/simple-cm/modules, the repo's modules/).
 * - SIMPLECM_ENQUEUE_BATCH_SIZE: host jobs added per Redis round trip, default 200.
 * - SIMPLECM_ENQUEUE_BATCH_PAUSE_MS: pause after each batch, default 0; lets fault tests kill a
 *   master half-way through enqueuing.
 */
export interface EnqueueOptions {
  readonly target: RunTarget;
  readonly run: RunOptions;
  readonly runId: string | undefined;
  readonly runKey: string | undefined;
  readonly connectAttempts: number;
  readonly batchSize: number;
  readonly batchPauseMs: number;
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
  'run-key': { type: 'string' },
  'connect-attempts': { type: 'string' },
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
  'run-id': z.string().regex(RUN_ID_PATTERN, 'must be a run id printed by enqueue').optional(),
  'run-key': z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/, 'letters, digits and . _ : @ / - (at most 200)').optional(),
  'connect-attempts': intFlag(1, 20).optional(),
  wait: z.boolean().optional(),
  'modules-dir': z.string().min(1).optional(),
});

const envSchema = z.object({
  SIMPLECM_ENQUEUE_BATCH_SIZE: intFlag(1, 5_000).optional(),
  SIMPLECM_ENQUEUE_BATCH_PAUSE_MS: intFlag(0, 600_000).optional(),
});

export function compileEnqueueOptions(argv: readonly string[], env: NodeJS.ProcessEnv): EnqueueOptions {
  const { flags } = parseCli(argv, flagSpec, flagsSchema);
  if (flags.hosts && flags.group) throw new ConfigError('--hosts and --group: give one or the other');
  if (flags['run-id'] && flags['run-key']) throw new ConfigError('--run-id and --run-key: give one or the other');
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) throw new ConfigError(`invalid environment:\n${zodIssues(parsedEnv.error, (p) => String(p[0]))}`);
  const target: RunTarget = flags.hosts ? { kind: 'hosts', hosts: [...new Set(flags.hosts)] } : flags.group ? { kind: 'group', group: flags.group } : { kind: 'all' };
  return {
    target,
    run: { mode: flags.check ? 'check' : 'apply', keepGoing: flags['keep-going'] ?? false, operationTimeoutSeconds: flags['operation-timeout'] ?? 300 },
    runId: flags['run-id'],
    runKey: flags['run-key'],
    connectAttempts: flags['connect-attempts'] ?? 3,
    batchSize: parsedEnv.data.SIMPLECM_ENQUEUE_BATCH_SIZE ?? 200,
    batchPauseMs: parsedEnv.data.SIMPLECM_ENQUEUE_BATCH_PAUSE_MS ?? 0,
    wait: flags.wait ?? false,
    modulesDir: flags['modules-dir'] ?? env.SIMPLECM_MODULES_DIR,
  };
}
