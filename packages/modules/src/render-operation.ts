import type { Operation } from '@simplecm/domain';
import type { ModuleRegistry } from './module-registry';
import { templateContext } from './template-context';
import { moduleFor, validateOperation } from './validate-operation';

/**
 * The module body for one operation (the runner puts MODULE_PRELUDE before it, or its header
 * with the functions defined once per host by the driver). Validates the attributes again —
 * cheap, and rendering unchecked values is the one thing that must never happen — so
 * `hostname` only serves error messages.
 */
export function renderOperation(registry: ModuleRegistry, operation: Operation, hostname = '(unknown host)'): string {
  const attributes = validateOperation(registry, hostname, operation);
  const mod = moduleFor(registry, hostname, operation);
  return mod.template(templateContext(mod.attributes, attributes));
}
