import { ConfigError } from '@simplecm/config';
import { EmptyTargetError } from './enqueue';
import { InvalidDesiredStateError, isDesiredStateProblem } from './plan-run';

/**
 * Whether planning failed because of what was asked or what the desired state says (exit 2;
 * a master refuses the request for good) rather than because a service failed (exit 3).
 */
export function isBadInputError(error: unknown): boolean {
  return error instanceof ConfigError || error instanceof InvalidDesiredStateError || error instanceof EmptyTargetError || isDesiredStateProblem(error);
}
