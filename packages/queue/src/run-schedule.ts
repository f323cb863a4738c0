import type { Redis } from 'ioredis';
import { z } from 'zod';
import { runTargetSchema, runRequestSchema } from './run-request';

/**
 * Schedules (`simplecm schedule`): a run asked again and again. Each one is a BullMQ job
 * scheduler on the run-requests queue (id `schedule.<name>`) whose jobs, named `schedule`, carry
 * only the schedule's name; the definition (what to run, how often, paused or not) is kept in
 * the hash `<prefix>:schedules`, the one place masters and the command read it from. Pausing
 * removes the job scheduler and keeps the definition; resuming puts the scheduler back.
 */
export const scheduleNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and - (at most 64)');

/** When a schedule fires while its previous run still has hosts waiting: skip this firing (default) or plan it anyway. */
export const OverlapPolicy = { skip: 'skip', queue: 'queue' } as const;
export type OverlapPolicy = (typeof OverlapPolicy)[keyof typeof OverlapPolicy];

const planPart = runRequestSchema.pick({ options: true, selection: true, connectAttempts: true });

export const scheduleSchema = z
  .object({
    name: scheduleNameSchema,
    /** Exactly one of `everyMs` and `cron`. */
    everyMs: z.number().int().min(1_000).max(366 * 24 * 3600_000).optional(),
    cron: z.string().min(1).max(200).optional(),
    target: runTargetSchema,
    options: planPart.shape.options,
    selection: planPart.shape.selection,
    connectAttempts: planPart.shape.connectAttempts,
    overlap: z.enum(OverlapPolicy),
    paused: z.boolean(),
    createdAt: z.number().int().nonnegative(),
  })
  .strict()
  .refine((s) => (s.everyMs === undefined) !== (s.cron === undefined), 'give --every or --cron, not both');
export type Schedule = z.infer<typeof scheduleSchema>;

/** The data of a job a schedule fires. */
export const scheduleFiringSchema = z.object({ schedule: scheduleNameSchema }).strict();
export type ScheduleFiring = z.infer<typeof scheduleFiringSchema>;

/** The name BullMQ gives jobs a schedule fires (run requests are named `run`). */
export const SCHEDULE_JOB_NAME = 'schedule';

export function scheduleSchedulerId(name: string): string {
  return `schedule.${name}`;
}

export function schedulesKey(prefix: string): string {
  return `${prefix}:schedules`;
}

export function scheduleLastRunKey(prefix: string, name: string): string {
  return `${prefix}:schedule:${name}:last-run`;
}

export async function putSchedule(redis: Redis, prefix: string, schedule: Schedule): Promise<void> {
  await redis.hset(schedulesKey(prefix), schedule.name, JSON.stringify(scheduleSchema.parse(schedule)));
}

export async function deleteSchedule(redis: Redis, prefix: string, name: string): Promise<boolean> {
  const [removed] = (await redis.multi().hdel(schedulesKey(prefix), name).del(scheduleLastRunKey(prefix, name)).exec()) ?? [];
  return removed?.[1] === 1;
}

/** A schedule's definition; undefined when there is none (or it no longer parses). */
export async function getSchedule(redis: Redis, prefix: string, name: string): Promise<Schedule | undefined> {
  const text = await redis.hget(schedulesKey(prefix), name);
  if (text === null) return undefined;
  const parsed = scheduleSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export async function listSchedules(redis: Redis, prefix: string): Promise<Schedule[]> {
  const all = await redis.hgetall(schedulesKey(prefix));
  return Object.values(all)
    .map((text) => scheduleSchema.safeParse(JSON.parse(text)))
    .flatMap((p) => (p.success ? [p.data] : []))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The run a schedule started last (the overlap check reads it); kept 30 days. */
export async function recordScheduleRun(redis: Redis, prefix: string, name: string, runId: string): Promise<void> {
  await redis.set(scheduleLastRunKey(prefix, name), runId, 'EX', 30 * 24 * 3600);
}

export async function lastScheduleRun(redis: Redis, prefix: string, name: string): Promise<string | null> {
  return redis.get(scheduleLastRunKey(prefix, name));
}

/** `30m`, `2h`, `45s`, `1d` in milliseconds; undefined when it is not such a duration. */
export function parseEvery(text: string): number | undefined {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
