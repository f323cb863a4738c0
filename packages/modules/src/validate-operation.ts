import type { Attributes, Operation } from '@simplecm/domain';
import type { z } from 'zod';
import { InvalidOperationError } from './errors';
import { moduleNames, type LoadedModule, type ModuleRegistry } from './module-registry';

/** The registry's module for an operation, or InvalidOperationError `unknown-module`. */
export function moduleFor(registry: ModuleRegistry, hostname: string, operation: Operation): LoadedModule {
  const mod = registry.modules.get(operation.module);
  if (mod === undefined || !registry.modules.has(operation.module)) {
    const known = moduleNames(registry).join(', ') || 'none';
    throw new InvalidOperationError('unknown-module', hostname, operation, 'module', `unknown module "${operation.module}" (known: ${known})`);
  }
  return mod;
}

/** The first zod issue as the attribute it concerns and a sentence about it. */
function describeIssue(issue: z.core.$ZodIssue, mod: LoadedModule): { field: string; problem: string } {
  if (issue.code === 'unrecognized_keys') {
    const takes = Object.keys(mod.attributes).sort().join(', ') || 'no attributes';
    return { field: issue.keys[0] ?? '?', problem: `unknown attribute (module "${mod.name}" takes: ${takes})` };
  }
  const [field, ...rest] = issue.path;
  if (field === undefined) return { field: '?', problem: issue.message };
  // A list item: `attribute "names": item 2: must not contain a NUL byte`.
  const where = rest.length > 0 ? `item ${rest.map(String).join('.')}: ` : '';
  return { field: String(field), problem: `${where}${issue.message}` };
}

/**
 * Checks an operation against its module's attribute schema and returns its attributes with
 * defaults applied (absent optional attributes are left out). Throws InvalidOperationError whose
 * message names the host, the operation and the attribute.
 */
export function validateOperation(registry: ModuleRegistry, hostname: string, operation: Operation): Attributes {
  const mod = moduleFor(registry, hostname, operation);
  const parsed = mod.schema.safeParse(operation.attributes);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const { field, problem } = issue === undefined ? { field: '?', problem: parsed.error.message } : describeIssue(issue, mod);
    throw new InvalidOperationError('invalid-attribute', hostname, operation, field, problem);
  }
  const attributes: Attributes = {};
  for (const [name, value] of Object.entries(parsed.data)) {
    if (value !== undefined) attributes[name] = value;
  }
  return attributes;
}
