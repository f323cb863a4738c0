import type { Host, Operation } from '@simplecm/domain';
import { describeJobIssues, hostJobDataSchema, hostPartSizeProblem, jsonBytes } from '@simplecm/queue';

/** Why the workers would refuse a host's part of its host job (host and operations), or undefined. */
export type CheckHostJob = (host: Host, operations: readonly Operation[]) => string | undefined;

export interface HostJobCheckerLimits {
  /** Characters of remembered operation lists (their keys), default 16 Mi; past it the memory starts again empty. */
  readonly maxChars?: number;
}

/**
 * Checks a host's part of its host job with the workers' own schema (the `host` and
 * `operations` fields of hostJobDataSchema) and byte caps (HOST_JOB_LIMITS: an attribute value,
 * the whole job), so that a desired state the workers would refuse (10,001 operations for a
 * host, a 300 KiB attribute) is a problem of the desired state, before anything is enqueued.
 *
 * The host is parsed for every host; an operation list once. Hosts of one role carry the same
 * checked, frozen Operation objects (see operationChecker), so the list of a thousand such hosts
 * is one list of objects: it is remembered by the objects it holds, in order (numbered here), and
 * a list accepted once is not parsed again (its size in bytes is remembered with it). Refusals are not remembered: they are few and their
 * message is made for each host.
 */
export function hostJobChecker({ maxChars = 16 * 1024 * 1024 }: HostJobCheckerLimits = {}): CheckHostJob {
  const { host: hostField, operations: operationsField } = hostJobDataSchema.shape;
  const numbers = new WeakMap<Operation, number>();
  let next = 0;
  let accepted = new Map<string, number>();
  let chars = 0;
  const numberOf = (op: Operation): number => {
    let n = numbers.get(op);
    if (n === undefined) numbers.set(op, (n = next++));
    return n;
  };
  return (host, operations) => {
    const parsedHost = hostField.safeParse(host);
    if (!parsedHost.success) return describeJobIssues(parsedHost.error, ['host']);
    const key = operations.map(numberOf).join(',');
    let operationsBytes = accepted.get(key);
    if (operationsBytes === undefined) {
      const parsedOperations = operationsField.safeParse(operations);
      if (!parsedOperations.success) return describeJobIssues(parsedOperations.error, ['operations']);
      operationsBytes = jsonBytes(operations);
      if (chars + key.length > maxChars) {
        accepted = new Map();
        chars = 0;
      }
      accepted.set(key, operationsBytes);
      chars += key.length;
    }
    return hostPartSizeProblem(jsonBytes(host), operationsBytes);
  };
}
