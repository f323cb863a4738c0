import { redactSensitiveAttributes, type ModuleRegistry } from '@simplecm/modules';
import type { Operation } from '@simplecm/domain';

/**
 * Bull Board's formatter of a job's data. A job travels as its payload's JSON string beside a
 * signature or MAC (host-job.ts, result-mac.ts): the view shows the payload parsed. In a host
 * job every attribute its module declares `sensitive` shows as `***` (in Redis it is sealed, the
 * place left '', and only workers can open it). Data that is not a host job (a result job: its
 * output was redacted by the worker) is shown as it is.
 */
export function hostJobDataRedactor(registry: ModuleRegistry): (data: unknown) => unknown {
  return (raw) => {
    const data = withPayloadParsed(raw);
    if (typeof data !== 'object' || data === null || !Array.isArray((data as { operations?: unknown }).operations)) return data;
    const job = data as { operations: unknown[] };
    const operations = job.operations.map((op) => (isOperationLike(op) ? redactSensitiveAttributes(registry, op) : op));
    return { ...job, operations };
  };
}

function isOperationLike(op: unknown): op is Pick<Operation, 'module' | 'attributes'> {
  return typeof op === 'object' && op !== null && typeof (op as { module?: unknown }).module === 'string' && typeof (op as { attributes?: unknown }).attributes === 'object' && (op as { attributes?: unknown }).attributes !== null;
}

/** `{ payload: '<json>', signature }` as `{ ...payload, signature }`; anything else as it is. */
function withPayloadParsed(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || typeof (data as { payload?: unknown }).payload !== 'string') return data;
  const { payload, ...rest } = data as { payload: string };
  try {
    const parsed: unknown = JSON.parse(payload);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { ...parsed, ...rest } : data;
  } catch {
    return data;
  }
}
