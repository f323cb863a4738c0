import { errors, types } from 'cassandra-driver';
import { InvalidPageStateError } from './merged-page-token';

/**
 * What callers of the store tell apart in the driver's failures, so that no app needs the
 * driver itself.
 */

/** No Cassandra node could be reached at all: the client may need replacing (see the results consumer's store session). */
export function isStoreUnreachable(error: unknown): boolean {
  return error instanceof errors.NoHostAvailableError || (error instanceof Error && error.name === 'NoHostAvailableError');
}

/**
 * Whether a failed request says nothing about the request itself: no node, a timeout, an
 * overloaded or unavailable replica, a lost connection. Retrying such a write piece by piece only
 * adds load; any other failure (the coordinator refused the request, a value could not be
 * encoded) may be one request's fault.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (isStoreUnreachable(error)) return true;
  if (!(error instanceof Error)) return false;
  if (error instanceof errors.OperationTimedOutError || error.name === 'OperationTimedOutError' || error.name === 'BusyConnectionError') return true;
  const code = (error as { code?: unknown }).code;
  const c = types.responseErrorCodes;
  return error instanceof errors.ResponseError && [c.serverError, c.unavailableException, c.overloaded, c.isBootstrapping, c.writeTimeout, c.readTimeout, c.writeFailure].includes(code as number);
}

/**
 * A forged or corrupt page token: Cassandra's answer to a bad paging state (a protocol error), or
 * the store's own refusal of a token of a page merged across buckets (merged-page-token.ts).
 */
export function isInvalidPageState(error: unknown): boolean {
  if (error instanceof InvalidPageStateError) return true;
  return error instanceof errors.ResponseError && error.code === types.responseErrorCodes.protocolError;
}
