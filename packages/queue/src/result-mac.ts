import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { JobKeyError } from './job-signature';

/**
 * Result authentication: HMAC-SHA256, with a key shared by workers and results consumers
 * (SIMPLECM_RESULT_KEY). The worker serialises the result's data once and MACs the result id
 * and those exact bytes; the result stream entry carries the payload string and the MAC, and the consumer checks
 * the MAC over the bytes as read before it parses them. Why a MAC and not per-worker
 * signatures: docs/security.md.
 */

/** A result as it sits in Redis (a result stream entry, result-stream.ts): its data (resultJobDataSchema) as a JSON string, and the MAC. */
export const resultJobWireSchema = z.object({ payload: z.string(), mac: z.string().max(100) });
export type ResultJobWire = z.infer<typeof resultJobWireSchema>;

export interface ResultSealer {
  /** The data serialised once, with the MAC of the job id and those bytes. */
  seal(jobId: string, data: Readonly<Record<string, unknown>>): ResultJobWire;
  /** The data (parsed JSON, not yet checked against its schema) when the job is as a worker sealed it, else why not (a string). */
  open(jobId: string, raw: unknown): { readonly data: unknown } | string;
}

/** Bytes a key must have at least. */
const MIN_KEY_BYTES = 32;

export function resultSealer(key: Buffer): ResultSealer {
  if (key.length < MIN_KEY_BYTES) throw new JobKeyError(`result key: at least ${MIN_KEY_BYTES} bytes are needed, not ${key.length}`);
  const macOf = (jobId: string, payload: string): Buffer => createHmac('sha256', key).update(`simplecm result\n${jobId}\n`).update(payload).digest();
  return {
    seal(jobId, data) {
      const payload = JSON.stringify(data);
      return { payload, mac: macOf(jobId, payload).toString('base64') };
    },
    open(jobId, raw) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'result data is not an object';
      const record = raw as Record<string, unknown>;
      if (typeof record.payload !== 'string') return 'result without a payload';
      if (typeof record.mac !== 'string') return 'result without a MAC';
      const given = Buffer.from(record.mac, 'base64');
      const expected = macOf(jobId, record.payload);
      if (!(given.length === expected.length && timingSafeEqual(given, expected))) return 'bad MAC: the result is not as a worker sent it';
      try {
        return { data: JSON.parse(record.payload) as unknown };
      } catch {
        return 'result payload is not JSON';
      }
    },
  };
}

/** The shared result key from its file (the bytes as they are, a trailing newline dropped). */
export function readResultKey(file: string): Buffer {
  return Buffer.from(readFileSync(file, 'utf8').trimEnd(), 'utf8');
}
