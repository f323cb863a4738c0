import type { RunMode } from '@simplecm/domain';
import { runRequestSchema, type RunRequest } from '@simplecm/queue';
import type { Launcher, LaunchRequest } from './run-control';

/**
 * What a dashboard launch leaves to the defaults: the same as `simplecm run` without
 * `--operation-timeout` / `--connect-attempts` (apps/master's enqueue-options.ts).
 */
export const DASHBOARD_RUN_DEFAULTS = { operationTimeoutSeconds: 300, connectAttempts: 3 } as const;

/** The request's identity: a fresh id (also the run key) and the time of the request. */
export interface RequestStamp {
  readonly requestId: string;
  readonly now: number;
}

/** `all` is every host; anything else is a host pattern, as `simplecm run --limit` takes it. */
export function launchTarget(target: string): RunRequest['target'] {
  const pattern = target.trim();
  return pattern === 'all' ? { kind: 'all' } : { kind: 'pattern', pattern };
}

/** The `source` of a dashboard request: who asked, shown in the master's log. */
export function dashboardSource(by: Launcher): string {
  return `dashboard:${by.user}`;
}

function request(stamp: RequestStamp, by: Launcher, fields: Pick<RunRequest, 'target' | 'rerunFailed' | 'options' | 'selection'>): RunRequest {
  return runRequestSchema.parse({
    requestId: stamp.requestId,
    ...fields,
    connectAttempts: DASHBOARD_RUN_DEFAULTS.connectAttempts,
    source: dashboardSource(by),
    submittedAt: stamp.now,
  });
}

/**
 * The run request of the launch form. `diff` asks nothing of the master: the run page shows
 * each operation's diff whatever the request.
 */
export function launchRunRequest(launch: LaunchRequest, by: Launcher, stamp: RequestStamp): RunRequest {
  const tags = [...new Set(launch.tags)];
  return request(stamp, by, {
    target: launchTarget(launch.target),
    options: { mode: launch.check ? 'check' : 'apply', keepGoing: launch.keepGoing, operationTimeoutSeconds: DASHBOARD_RUN_DEFAULTS.operationTimeoutSeconds },
    selection: { tags: tags.length > 0 ? tags : undefined },
  });
}

/** A new run of the failed, unreachable and rejected hosts of `runId`, in that run's mode (`check` stays `check`). */
export function relaunchRunRequest(runId: string, mode: Extract<RunMode, 'apply' | 'check'>, by: Launcher, stamp: RequestStamp): RunRequest {
  return request(stamp, by, {
    target: { kind: 'all' },
    rerunFailed: runId,
    options: { mode, keepGoing: false, operationTimeoutSeconds: DASHBOARD_RUN_DEFAULTS.operationTimeoutSeconds },
    selection: {},
  });
}
