import type { z } from 'zod';
import type { ValidatedAttributes } from './attribute-schema';
import type { AttributeSpec } from './module-spec';
import type { CompiledTemplate } from './template-env';

/** One module, checked and ready to validate and render operations. */
export interface LoadedModule {
  readonly name: string;
  readonly description: string;
  /** The directory holding its module.json and script.sh.hbs. */
  readonly dir: string;
  readonly attributes: Readonly<Record<string, AttributeSpec>>;
  /** Validates an operation's attributes and applies defaults. */
  readonly schema: z.ZodType<ValidatedAttributes>;
  /** Pre-compiled template; takes the context built by templateContext(). */
  readonly template: CompiledTemplate;
}

/** Every module of one modules directory, by name. */
export interface ModuleRegistry {
  readonly dir: string;
  readonly modules: ReadonlyMap<string, LoadedModule>;
}

export function moduleNames(registry: ModuleRegistry): string[] {
  return [...registry.modules.keys()].sort();
}
