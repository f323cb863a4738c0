import type { RunRequestAnswer, Schedule } from '@simplecm/queue';
import type { RunPlan } from './run-planner';

/** What firing a schedule reads and writes (Redis behind them). */
export interface ScheduleDeps {
  readonly getSchedule: (name: string) => Promise<Schedule | undefined>;
  readonly lastRun: (name: string) => Promise<string | null>;
  readonly recordRun: (name: string, runId: string) => Promise<void>;
  /** Whether the run still has host jobs waiting to be taken. */
  readonly hasWaitingHosts: (runId: string) => Promise<boolean>;
  readonly plan: (plan: RunPlan) => Promise<RunRequestAnswer>;
}

/** A firing's outcome: the run it started, or why it started none. */
export type FiringOutcome = { readonly started: RunRequestAnswer } | { readonly skipped: string };

/**
 * One firing of schedule `name` (job `firingId`): plans its run unless the schedule is gone or
 * paused, or (overlap `skip`) its previous run still has hosts waiting. The firing id is the
 * request id, so a firing redelivered after a master died joins the run it started.
 */
export async function fireSchedule(deps: ScheduleDeps, name: string, firingId: string): Promise<FiringOutcome> {
  const schedule = await deps.getSchedule(name);
  if (!schedule) return { skipped: `schedule ${name} no longer exists` };
  if (schedule.paused) return { skipped: `schedule ${name} is paused` };
  if (schedule.overlap === 'skip') {
    const previous = await deps.lastRun(name);
    if (previous !== null && (await deps.hasWaitingHosts(previous))) return { skipped: `schedule ${name}: its previous run ${previous} still has hosts waiting` };
  }
  // The firing id as run key: redelivered, the firing joins the run it started.
  const answer = await deps.plan({
    target: schedule.target,
    options: schedule.options,
    selection: schedule.selection,
    connectAttempts: schedule.connectAttempts,
    runKey: firingId,
    origin: `schedule:${name}`,
  });
  await deps.recordRun(name, answer.runId);
  return { started: answer };
}
