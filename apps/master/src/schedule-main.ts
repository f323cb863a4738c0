import { Queue } from 'bullmq';
import { z } from 'zod';
import { CommandExit, ConfigError, connectionConfigFromEnv, parseCli, wantsHelp } from '@simplecm/config';
import { describeTarget, groupNameSchema, hostPatternTextSchema } from '@simplecm/domain';
import { closeAll, errorMessage, type Releaser } from '@simplecm/kernel';
import {
  deleteSchedule,
  getSchedule,
  HOST_JOB_ATTEMPTS,
  lastScheduleRun,
  listSchedules,
  OverlapPolicy,
  parseEvery,
  probeRedis,
  putSchedule,
  redisConnection,
  RUN_REQUESTS_QUEUE,
  SCHEDULE_JOB_NAME,
  scheduleNameSchema,
  scheduleSchedulerId,
  scheduleSchema,
  type Schedule,
  type ScheduleFiring,
} from '@simplecm/queue';
import { formatTable, type Column } from '@simplecm/terminal';
import { runCommand } from './run-command';

const HELP = `usage: simplecm schedule add NAME (--every 30m | --cron 'M H DoM Mon DoW') [--limit PATTERN] [--check] [--tags T1,T2] [--skip-tags T1,T2] [--keep-going] [--overlap skip|queue]
       simplecm schedule list [--json]
       simplecm schedule remove|pause|resume NAME

Runs asked again and again, planned by the resident masters (simplecm master; a schedule fires
only while one runs). Kept in Redis as BullMQ job schedulers on the run-requests queue; each run
a schedule starts shows "schedule:NAME" at the end of its target (simplecm runs).

  --every D        every D: 45s, 30m, 2h, 1d (at least 1s)
  --cron EXPR      on a cron expression (UTC), e.g. '0 * * * *' for every hour
  --overlap P      skip (default): a firing starts no run while the schedule's previous run still
                   has hosts waiting; queue: it starts one anyway
  --limit, --check, --tags, --skip-tags, --keep-going: as simplecm run
  add replaces a schedule of the same name.

The documented default recipe, a fleet-wide drift probe every hour:
  simplecm schedule add hourly-drift --cron '0 * * * *' --check   # then: simplecm drift

exit codes: 0 done; 2 bad input or no such schedule; 3 Redis unavailable
`;

const addFlags = z.object({
  every: z.string().optional(),
  cron: z.string().min(1).max(200).optional(),
  limit: hostPatternTextSchema.optional(),
  check: z.boolean().optional(),
  tags: z.string().optional(),
  'skip-tags': z.string().optional(),
  'keep-going': z.boolean().optional(),
  overlap: z.enum(OverlapPolicy).optional(),
  json: z.boolean().optional(),
});

function tagList(text: string | undefined, flag: string): string[] | undefined {
  if (text === undefined) return undefined;
  const tags = [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
  for (const t of tags) if (!groupNameSchema.safeParse(t).success) throw new ConfigError(`--${flag}: "${t}" is not a tag name`);
  if (tags.length === 0) throw new ConfigError(`--${flag}: name at least one tag`);
  return tags;
}

/** The schedule `add` describes, checked. */
function scheduleFromFlags(name: string, flags: z.infer<typeof addFlags>, now = Date.now()): Schedule {
  const everyMs = flags.every === undefined ? undefined : parseEvery(flags.every);
  if (flags.every !== undefined && everyMs === undefined) throw new ConfigError(`--every: "${flags.every}" is not a duration such as 45s, 30m, 2h or 1d`);
  const parsed = scheduleSchema.safeParse({
    name,
    everyMs,
    cron: flags.cron,
    target: flags.limit === undefined ? { kind: 'all' } : { kind: 'pattern', pattern: flags.limit },
    options: { mode: flags.check ? 'check' : 'apply', keepGoing: flags['keep-going'] ?? false, operationTimeoutSeconds: 300 },
    selection: { tags: tagList(flags.tags, 'tags'), skipTags: tagList(flags['skip-tags'], 'skip-tags') },
    connectAttempts: HOST_JOB_ATTEMPTS,
    overlap: flags.overlap ?? 'skip',
    paused: false,
    createdAt: now,
  });
  if (!parsed.success) throw new ConfigError(`schedule ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

interface ScheduleLine {
  readonly schedule: Schedule;
  readonly next: number | null;
  readonly lastRunId: string | null;
}

const scheduleColumns: ReadonlyArray<Column<ScheduleLine>> = [
  { header: 'name', value: (l) => l.schedule.name },
  { header: 'when', value: (l) => (l.schedule.cron !== undefined ? `cron ${l.schedule.cron}` : `every ${l.schedule.everyMs! / 1000}s`) },
  { header: 'mode', value: (l) => l.schedule.options.mode },
  { header: 'target', value: (l) => describeTarget(l.schedule.target), maxWidth: 40 },
  { header: 'overlap', value: (l) => l.schedule.overlap },
  { header: 'state', value: (l) => (l.schedule.paused ? 'paused' : 'active') },
  { header: 'next', value: (l) => (l.next === null ? '-' : new Date(l.next).toISOString().replace(/\.\d+Z$/, 'Z')) },
  { header: 'last run', value: (l) => l.lastRunId ?? '-' },
];

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || wantsHelp(argv)) {
    process.stdout.write(HELP);
    return argv.length === 0 ? CommandExit.badInput : 0;
  }
  const { flags, positionals } = parseCli(
    argv,
    {
      every: { type: 'string' },
      cron: { type: 'string' },
      limit: { type: 'string' },
      check: { type: 'boolean' },
      tags: { type: 'string' },
      'skip-tags': { type: 'string' },
      'keep-going': { type: 'boolean' },
      overlap: { type: 'string' },
      json: { type: 'boolean' },
    },
    addFlags,
    { positionals: true },
  );
  const [action, rawName, ...extra] = positionals;
  if (extra.length > 0 || !['add', 'list', 'remove', 'pause', 'resume'].includes(action ?? '')) throw new ConfigError('usage: simplecm schedule add|list|remove|pause|resume [NAME] (--help for more)');
  const name = action === 'list' ? undefined : scheduleNameSchema.safeParse(rawName);
  if (name !== undefined && !name.success) throw new ConfigError(`schedule ${action}: name the schedule (${name.error.issues[0]?.message})`);
  const config = connectionConfigFromEnv(process.env);
  const prefix = config.redis.prefix;
  await probeRedis(config.redis, 10_000);
  const redis = redisConnection(config.redis);
  const queue = new Queue<ScheduleFiring>(RUN_REQUESTS_QUEUE, { connection: redis, prefix });
  const releasers: Releaser[] = [() => redis.disconnect(), () => queue.close()];
  const start = (s: Schedule) =>
    queue.upsertJobScheduler(scheduleSchedulerId(s.name), s.cron !== undefined ? { pattern: s.cron, tz: 'UTC' } : { every: s.everyMs! }, {
      name: SCHEDULE_JOB_NAME,
      data: { schedule: s.name },
      opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    });
  const existing = async (n: string): Promise<Schedule> => {
    const s = await getSchedule(redis, prefix, n);
    if (!s) throw new ConfigError(`there is no schedule ${n} (simplecm schedule list)`);
    return s;
  };
  try {
    const n = name?.success ? name.data : '';
    switch (action) {
      case 'add': {
        const schedule = scheduleFromFlags(n, flags);
        try {
          await start(schedule);
        } catch (error) {
          throw new ConfigError(`schedule ${n}: ${errorMessage(error)}`);
        }
        await putSchedule(redis, prefix, schedule);
        console.log(`schedule ${n}: ${schedule.options.mode} of ${describeTarget(schedule.target)} ${schedule.cron !== undefined ? `on cron ${schedule.cron} (UTC)` : `every ${flags.every}`}`);
        return 0;
      }
      case 'remove': {
        await existing(n);
        await queue.removeJobScheduler(scheduleSchedulerId(n));
        await deleteSchedule(redis, prefix, n);
        console.log(`schedule ${n}: removed`);
        return 0;
      }
      case 'pause': {
        const schedule = await existing(n);
        await putSchedule(redis, prefix, { ...schedule, paused: true });
        await queue.removeJobScheduler(scheduleSchedulerId(n));
        console.log(`schedule ${n}: paused`);
        return 0;
      }
      case 'resume': {
        const schedule = await existing(n);
        await start(schedule);
        await putSchedule(redis, prefix, { ...schedule, paused: false });
        console.log(`schedule ${n}: resumed`);
        return 0;
      }
      default: {
        const lines: ScheduleLine[] = await Promise.all(
          (await listSchedules(redis, prefix)).map(async (schedule) => ({
            schedule,
            next: schedule.paused ? null : ((await queue.getJobScheduler(scheduleSchedulerId(schedule.name)))?.next ?? null),
            lastRunId: await lastScheduleRun(redis, prefix, schedule.name),
          })),
        );
        if (flags.json) console.log(JSON.stringify({ schedules: lines }));
        else console.log(lines.length === 0 ? 'no schedules (simplecm schedule add --help)' : formatTable(scheduleColumns, lines));
        return 0;
      }
    }
  } finally {
    await closeAll(releasers).catch(() => undefined);
  }
}

runCommand('schedule', main);
