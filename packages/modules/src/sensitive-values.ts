import type { Operation } from '@simplecm/domain';
import type { ModuleRegistry } from './module-registry';

/**
 * The values of an operation's attributes that its module declares `sensitive` (list items one
 * by one), longest first, so that a value holding another is replaced whole. Empty values are
 * left out: there is nothing to hide.
 */
export function sensitiveValuesOf(registry: ModuleRegistry, op: Pick<Operation, 'module' | 'attributes'>): string[] {
  const module = registry.modules.get(op.module);
  if (!module) return [];
  const values: string[] = [];
  for (const [name, spec] of Object.entries(module.attributes)) {
    if (spec.sensitive !== true) continue;
    const value: unknown = op.attributes[name];
    for (const item of Array.isArray(value) ? value : [value]) if (typeof item === 'string' && item !== '') values.push(item);
  }
  return values.sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each of `values` (longest first, as sensitiveValuesOf gives) replaced by `***`. */
export function redactSensitive(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (out.includes(value)) out = out.split(value).join('***');
  return out;
}
