import { SimpleCmError } from '@simplecm/kernel';

/** A page token that is not one the store handed out (forged, corrupt, or from another kind of run). */
export class InvalidPageStateError extends SimpleCmError<'invalid-page-state'> {
  override readonly name = 'InvalidPageStateError';
  readonly code = 'invalid-page-state' as const;
}

/** Version 1 of the merged-page token: this prefix, then the last key of the page. */
const PREFIX = 'k1:';
/** A hostname (`hostnameSchema`): what a token may resume after. */
const KEY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

/**
 * The page token of a page merged across buckets (mergeBucketPages): the page's last key, so
 * the next page starts right after it. Hex, like the driver's paging states, so the CLI's and
 * the dashboard's checks of a token's shape hold for both.
 */
export function encodeMergedPageToken(lastKey: string): string {
  return Buffer.from(`${PREFIX}${lastKey}`, 'utf8').toString('hex');
}

/** The key a merged-page token resumes after; InvalidPageStateError when it is not such a token. */
export function decodeMergedPageToken(token: string): string {
  const text = /^(?:[0-9a-f]{2})+$/.test(token) ? Buffer.from(token, 'hex').toString('utf8') : '';
  const key = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  if (!KEY_PATTERN.test(key)) throw new InvalidPageStateError('not a page token of this run: follow the "next page" links');
  return key;
}
