import { describeJobIssues } from './job-issues';
import { hostJobDataSchema, hostJobId, hostJobWireSchema, type HostJobData } from './host-job';
import { hostJobSizeProblem } from './host-job-limits';
import type { JobVerifier } from './job-signature';
import { sealedExtraBytes, withValues, type ValueOpener } from './sealed-values';

/**
 * A host job as a worker reads it from Redis, in one place: parse the payload string once, check
 * the size, the id, the signature over the bytes as read and the expiry, then open the sealed
 * values. `malformed`: there is no run or host to record it under (it fails for good);
 * `refused`: it runs nothing and its host is recorded `rejected` with the refusal; `valid`: the
 * payload with its sensitive values in place, ready to render.
 */
export type HostJobReading =
  | { readonly kind: 'malformed'; readonly message: string }
  | { readonly kind: 'refused'; readonly data: HostJobData; readonly refusal: string }
  | { readonly kind: 'valid'; readonly data: HostJobData };

/** The payload of a host job as read from Redis, parsed without any check of its signature (to record a job given up), or why it does not parse. */
export function parseHostJobPayload(raw: unknown): { readonly data: HostJobData; readonly payload: string; readonly signature: unknown } | string {
  const wire = hostJobWireSchema.safeParse(raw);
  if (!wire.success) return describeJobIssues(wire.error);
  let json: unknown;
  try {
    json = JSON.parse(wire.data.payload);
  } catch {
    return 'payload: not JSON';
  }
  const parsed = hostJobDataSchema.safeParse(json);
  if (!parsed.success) return describeJobIssues(parsed.error);
  return { data: parsed.data, payload: wire.data.payload, signature: wire.data.signature };
}

export type ReadHostJob = (jobId: string, raw: unknown, now?: number) => HostJobReading;

/** Reads host jobs with the masters' public keys (verifier) and the workers' seal keys (opener). */
export function hostJobReader(verifier: JobVerifier, opener: ValueOpener): ReadHostJob {
  return (jobId, raw, now = Date.now()) => {
    const parsed = parseHostJobPayload(raw);
    if (typeof parsed === 'string') return { kind: 'malformed', message: parsed };
    const { data, payload, signature } = parsed;
    const refused = (refusal: string): HostJobReading => ({ kind: 'refused', data, refusal });
    // A job past the byte caps (one the master would not have enqueued) is refused the same way.
    const tooBig = hostJobSizeProblem(Buffer.byteLength(payload, 'utf8') - sealedExtraBytes(data.sealed));
    if (tooBig !== undefined) return refused(tooBig);
    const refusal = verifier.verify({ jobId, payload, signature, expectedJobId: hostJobId(data.runId, data.host.hostname), expiresAt: data.expiresAt }, now);
    if (refusal !== null) return refused(refusal);
    if (!data.sealed) return { kind: 'valid', data };
    // Opened only once the signature holds: the master sealed them, for this job.
    const values = opener.open(jobId, data.sealed);
    if (typeof values === 'string') return refused(values);
    const operations = withValues(data.operations, values);
    if (typeof operations === 'string') return refused(operations);
    const { sealed: _opened, ...rest } = data;
    return { kind: 'valid', data: { ...rest, operations } };
  };
}
