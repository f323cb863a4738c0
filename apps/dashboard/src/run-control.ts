import { z } from 'zod';

/** What the launch form asks for, checked. */
export const launchRequestSchema = z.object({
  /** A host pattern (`all`, `web*`, `host1,host2`, `group:web`…), as `simplecm run` takes it. */
  target: z.string().trim().min(1, 'a target is required').max(10_000),
  check: z.boolean(),
  diff: z.boolean(),
  keepGoing: z.boolean(),
  tags: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'tags: letters, digits, . _ -')).max(100),
});
export type LaunchRequest = z.infer<typeof launchRequestSchema>;

/** Who asked, for the request's `source` and the run's `launched_by`. */
export interface Launcher {
  readonly user: string;
  readonly address: string;
}

/** A run the master accepted. */
export interface LaunchedRun {
  readonly runId: string;
  readonly hostCount: number;
}

/**
 * What the dashboard needs to act on runs. The implementation submits a run request to the
 * resident master's `run-requests` queue and calls `simplecm cancel`'s function (issue 17); the
 * dashboard itself only checks the role and the CSRF token, records `launched_by` and the audit
 * line. Without one, the launch, relaunch and cancel controls are not shown and answer 503.
 */
export interface RunControl {
  launch(request: LaunchRequest, by: Launcher): Promise<LaunchedRun>;
  /** A new run of the failed and unreachable hosts of `runId`. */
  relaunchFailed(runId: string, by: Launcher): Promise<LaunchedRun>;
  cancel(runId: string, by: Launcher): Promise<void>;
}
