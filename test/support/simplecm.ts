import { spawn } from 'node:child_process';
import path from 'node:path';
import { z } from 'zod';
import { operationResultSchema } from '@simplecm/domain';

const repoRoot = path.resolve(__dirname, '..', '..');

export interface CommandOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `simplecm args…` (bin/simplecm.cjs, as a person would) in the repo with `env` over this
 * process's environment, stdout and stderr piped (so never a terminal); NO_COLOR is set unless
 * `env` says otherwise.
 */
export function simplecm(args: readonly string[], env: Record<string, string>): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'simplecm.cjs'), ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The run id a command printed (`run <id>: …`). */
export function printedRunId(text: string): string | undefined {
  return /run ([0-9a-f-]{36})/.exec(text)?.[1];
}

/** A run as `--json` prints it (runs, results, run, exec). */
export const runJsonSchema = z.object({
  runId: z.string().uuid(),
  createdAt: z.string(),
  mode: z.enum(['apply', 'check', 'adhoc']),
  target: z.string(),
  hostCount: z.number().int(),
  status: z.string(),
  counts: z.object({ ok: z.number(), changed: z.number(), failed: z.number(), skipped: z.number(), unreachable: z.number() }),
  hostsDone: z.number().int(),
});

/** `simplecm run --json` and `simplecm exec --json` (README: JSON output). */
export const masterRunJsonSchema = z.strictObject({
  runId: z.string().uuid(),
  mode: z.enum(['apply', 'check', 'adhoc']),
  hostCount: z.number().int().min(1),
  stateRevision: z.string().nullable(),
  waited: z.boolean(),
  run: runJsonSchema.nullable(),
  hosts: z.array(z.object({ hostname: z.string(), status: z.enum(['ok', 'changed', 'failed', 'unreachable']), worker: z.string(), cause: z.string().nullable() }).passthrough()),
  moreHosts: z.boolean(),
  operations: z.array(z.object({ hostname: z.string(), operations: z.array(operationResultSchema) })),
});
