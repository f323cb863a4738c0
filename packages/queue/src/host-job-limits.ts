import { z } from 'zod';
import { operationSchema, type AttributeValue, type Operation } from '@simplecm/domain';

/**
 * The byte caps of a host job, in one place: the workers refuse a job past any of them, and the
 * master checks the same numbers before it records or enqueues anything (exit 2), so a desired
 * state the workers would refuse is a problem of the desired state, not a run that never ends.
 */
export const HOST_JOB_LIMITS = {
  /** Operations one host job may carry. */
  maxOperations: 10_000,
  /** UTF-8 bytes of one attribute value (a list counts as its JSON). */
  maxAttributeValueBytes: 256 * 1024,
  /** UTF-8 bytes of a whole host job's data as JSON, as it sits in Redis. */
  maxHostJobBytes: 8 * 1024 * 1024,
  /**
   * What the master keeps free, within maxHostJobBytes, for the part of a job that is not the
   * host or its operations (run id, options, host count, expiry, signature, JSON punctuation):
   * host + operations must fit in maxHostJobBytes minus this.
   */
  envelopeBytes: 2 * 1024,
} as const;

/** HOST_JOB_LIMITS.maxOperations, by the name callers already use. */
export const MAX_HOST_JOB_OPERATIONS = HOST_JOB_LIMITS.maxOperations;

/** Bytes of an attribute value as it travels: a string's UTF-8, anything else its JSON. */
export function attributeValueBytes(value: AttributeValue): number {
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}

/** Bytes of a value as JSON (UTF-8): what it takes in a job in Redis. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** An operation as a host job carries it: the domain's schema, each attribute value within its cap. */
export const limitedOperationSchema = operationSchema.superRefine((op: Operation, ctx) => {
  for (const [name, value] of Object.entries(op.attributes)) {
    const bytes = attributeValueBytes(value);
    if (bytes > HOST_JOB_LIMITS.maxAttributeValueBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['attributes', name],
        message: `operation #${op.seq} "${op.name}": attribute ${name} is ${bytes} bytes, more than the ${HOST_JOB_LIMITS.maxAttributeValueBytes} an attribute value may have`,
      });
    }
  }
});

/** The operations of a host job: at most maxOperations, each checked by limitedOperationSchema. */
export const limitedOperationsSchema = z.array(limitedOperationSchema).max(HOST_JOB_LIMITS.maxOperations, {
  error: (issue) => `${Array.isArray(issue.input) ? issue.input.length : 'too many'} operations, more than the ${HOST_JOB_LIMITS.maxOperations} a host job may carry`,
});

/** Why a host job of this many bytes (its payload as read from Redis, sealed values counted as the values) is too big for a worker, or undefined. */
export function hostJobSizeProblem(bytes: number): string | undefined {
  return bytes > HOST_JOB_LIMITS.maxHostJobBytes ? `host job of ${bytes} bytes, more than the ${HOST_JOB_LIMITS.maxHostJobBytes} a host job may have` : undefined;
}

/**
 * The master's side of the job-size cap, from the bytes of the host and of its operations as
 * JSON: a job whose host and operations fit within maxHostJobBytes − envelopeBytes is one the
 * workers accept. Undefined when it fits, else why not.
 */
export function hostPartSizeProblem(hostBytes: number, operationsBytes: number): string | undefined {
  const room = HOST_JOB_LIMITS.maxHostJobBytes - HOST_JOB_LIMITS.envelopeBytes;
  const bytes = hostBytes + operationsBytes;
  return bytes > room ? `host and operations are ${bytes} bytes, more than the ${room} a host job has room for (${HOST_JOB_LIMITS.maxHostJobBytes} in all)` : undefined;
}
