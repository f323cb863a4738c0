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

/**
 * The operation with each attribute its module declares `sensitive` replaced by `***` (each list
 * item), for a view of a job rather than of its output (Bull Board's job data). Unknown modules
 * and other attributes are left as they are.
 */
export function redactSensitiveAttributes<T extends Pick<Operation, 'module' | 'attributes'>>(registry: ModuleRegistry, op: T): T {
  const module = registry.modules.get(op.module);
  if (!module) return op;
  let attributes: Operation['attributes'] | undefined;
  for (const [name, spec] of Object.entries(module.attributes)) {
    if (spec.sensitive !== true || !(name in op.attributes)) continue;
    const value = op.attributes[name];
    attributes ??= { ...op.attributes };
    attributes[name] = Array.isArray(value) ? value.map(() => '***') : '***';
  }
  return attributes ? { ...op, attributes } : op;
}

/** A sensitive value of a list of operations, at its place: what a master seals (the shape of @simplecm/queue's PlacedValue). */
export interface SensitivePlace {
  /** Index of the operation in the list. */
  readonly op: number;
  readonly attribute: string;
  /** Index in the attribute's list, when it is a list. */
  readonly item?: number;
  readonly value: string | number | boolean;
}

/**
 * Every value of `operations` that its module declares `sensitive` (each item of a list), with
 * its place; empty strings are left out (nothing to hide). Unknown modules have none.
 */
export function sensitivePlaces(registry: ModuleRegistry, operations: ReadonlyArray<Pick<Operation, 'module' | 'attributes'>>): SensitivePlace[] {
  const places: SensitivePlace[] = [];
  operations.forEach((op, index) => {
    const module = registry.modules.get(op.module);
    if (!module) return;
    for (const [attribute, spec] of Object.entries(module.attributes)) {
      if (spec.sensitive !== true) continue;
      const value = op.attributes[attribute];
      if (value === undefined || value === '') continue;
      if (!Array.isArray(value)) places.push({ op: index, attribute, value });
      else value.forEach((item, i) => item !== '' && places.push({ op: index, attribute, item: i, value: item }));
    }
  });
  return places;
}
