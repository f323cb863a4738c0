import { redactSensitiveAttributes, type ModuleRegistry } from '@simplecm/modules';
import type { Operation } from '@simplecm/domain';

/**
 * Bull Board's formatter of a host job's data: every attribute its module declares `sensitive`
 * shows as `***` in the job view (the job in Redis keeps the value: the worker needs it). Data
 * that is not a host job (a result job: its output was redacted by the worker) is shown as it is.
 */
export function hostJobDataRedactor(registry: ModuleRegistry): (data: unknown) => unknown {
  return (data) => {
    if (typeof data !== 'object' || data === null || !Array.isArray((data as { operations?: unknown }).operations)) return data;
    const job = data as { operations: unknown[] };
    const operations = job.operations.map((op) => (isOperationLike(op) ? redactSensitiveAttributes(registry, op) : op));
    return { ...job, operations };
  };
}

function isOperationLike(op: unknown): op is Pick<Operation, 'module' | 'attributes'> {
  return typeof op === 'object' && op !== null && typeof (op as { module?: unknown }).module === 'string' && typeof (op as { attributes?: unknown }).attributes === 'object' && (op as { attributes?: unknown }).attributes !== null;
}
