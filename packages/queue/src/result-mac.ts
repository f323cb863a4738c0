import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson } from './canonical-json';
import { JobKeyError } from './job-signature';

/**
 * Result job authentication: HMAC-SHA256, with a key shared by workers and results consumers
 * (SIMPLECM_RESULT_KEY), over canonicalJson of the job id and its data without the MAC. Why a
 * MAC and not per-worker signatures: docs/security.md.
 */
export interface ResultSealer {
  /** The data with its `mac` added. */
  seal<T extends Record<string, unknown>>(jobId: string, data: T): T & { readonly mac: string };
  /** Null when the job is as a worker sealed it, else why not. */
  check(jobId: string, data: unknown): string | null;
}

/** Bytes a key must have at least. */
const MIN_KEY_BYTES = 32;

export function resultSealer(key: Buffer): ResultSealer {
  if (key.length < MIN_KEY_BYTES) throw new JobKeyError(`result key: at least ${MIN_KEY_BYTES} bytes are needed, not ${key.length}`);
  const macOf = (jobId: string, data: Readonly<Record<string, unknown>>): Buffer => {
    const { mac: _notMacced, ...macced } = data;
    return createHmac('sha256', key).update(canonicalJson({ jobId, data: macced })).digest();
  };
  return {
    seal: (jobId, data) => ({ ...data, mac: macOf(jobId, data).toString('base64') }),
    check(jobId, data) {
      if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'result data is not an object';
      const record = data as Record<string, unknown>;
      if (typeof record.mac !== 'string') return 'result without a MAC';
      const given = Buffer.from(record.mac, 'base64');
      const expected = macOf(jobId, record);
      return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'bad MAC: the result is not as a worker sent it';
    },
  };
}

/** The shared result key from its file (the bytes as they are, a trailing newline dropped). */
export function readResultKey(file: string): Buffer {
  return Buffer.from(readFileSync(file, 'utf8').trimEnd(), 'utf8');
}
