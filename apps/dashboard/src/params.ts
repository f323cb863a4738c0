import { z } from 'zod';
import { hostnameSchema, hostStatusSchema, RUN_ID_PATTERN } from '@simplecm/domain';
import { liveEntryIdSchema } from '@simplecm/queue';
import { HttpError } from './http-error';

/** A run id as enqueue prints it: a version-1 (time-based) UUID, which is what Cassandra stores. */
export const runIdSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(RUN_ID_PATTERN, 'expected a time-based UUID as printed by enqueue (like 1e7f4c70-ca3b-11f0-9d3a-5f1c6c0e2b1a)');

/** A Cassandra paging state as the store hands it out: hex. */
export const pageTokenSchema = z
  .string()
  .regex(/^(?:[0-9a-f]{2}){1,1024}$/, 'must be a page token from a "next page" link');

const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

export const runParamsSchema = z.object({ runId: runIdSchema });
export const runHostParamsSchema = z.object({ runId: runIdSchema, hostname: hostnameSchema });
export const hostParamsSchema = z.object({ hostname: hostnameSchema });

const dateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2026-11-29');
const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
export const runsQuerySchema = z.object({
  before: runIdSchema.optional(),
  status: z.preprocess(emptyAsUndefined, z.enum(['running', 'finished', 'failed']).optional()),
  mode: z.preprocess(emptyAsUndefined, z.enum(['apply', 'check']).optional()),
  target: z.preprocess(emptyAsUndefined, z.string().max(200).optional()),
  who: z.preprocess(emptyAsUndefined, z.string().max(200).optional()),
  from: z.preprocess(emptyAsUndefined, dateSchema.optional()),
  to: z.preprocess(emptyAsUndefined, dateSchema.optional()),
});
/** A host's outcome; operations can be skipped, hosts cannot. */
const hostStatusFilterSchema = z.enum(hostStatusSchema.options, { error: 'expected ok, changed, failed, unreachable or rejected' });

export const runQuerySchema = z.object({
  status: z.preprocess(emptyAsUndefined, hostStatusFilterSchema.optional()),
  /** Host names containing this. */
  name: z.preprocess(emptyAsUndefined, z.string().trim().max(253).optional()),
  page: pageTokenSchema.optional(),
  /** Page number, only for display (Cassandra pages have no numbers). */
  n: positiveInt(1_000_000).optional(),
  size: positiveInt(1_000).optional(),
});
/** `/api/runs/:runId/live`: entries after a stream id, of one host or all. */
export const liveQuerySchema = z.object({
  after: z.preprocess(emptyAsUndefined, liveEntryIdSchema.optional()),
  host: z.preprocess(emptyAsUndefined, hostnameSchema.optional()),
});
export const hostQuerySchema = z.object({ page: pageTokenSchema.optional(), n: positiveInt(1_000_000).optional() });
/** The drift page: host names containing `name`. */
export const driftQuerySchema = z.object({ name: z.preprocess(emptyAsUndefined, z.string().trim().max(253).optional()) });
export const hostSearchSchema = z.object({ hostname: z.string().trim().pipe(hostnameSchema) });

/** Parses route params or a query string; a bad value is a 400 naming the parameter. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'path' | 'query'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => {
    const name = i.path.map(String).join('.') || where;
    const label = where === 'query' ? `?${name}=` : name === 'runId' ? 'run id' : name;
    return `${label}: ${i.message}`;
  });
  throw new HttpError('bad-request', issues.join('\n'));
}
