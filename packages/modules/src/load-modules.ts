import * as fs from 'node:fs';
import * as path from 'node:path';
import { moduleNameSchema } from '@simplecm/domain';
import Handlebars from 'handlebars';
import type { z } from 'zod';
import { errorMessage } from '@simplecm/kernel';
import { attributesSchemaFor, attributeValueSchemaFor } from './attribute-schema';
import { checkTemplate } from './check-template';
import { ModuleLoadError } from './errors';
import type { LoadedModule, ModuleRegistry } from './module-registry';
import { moduleSpecSchema, type ModuleSpec } from './module-spec';
import { templateContext } from './template-context';
import { createTemplateEnv, TEMPLATE_COMPILE_OPTIONS, type TemplateEnv } from './template-env';

export const MODULE_SPEC_FILE = 'module.json';
export const MODULE_TEMPLATE_FILE = 'script.sh.hbs';

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ModuleLoadError('invalid-module', file, null, `cannot read: ${errorMessage(err)}`, { cause: err });
  }
}

/** The first zod issue as (dotted field, message); record-key issues carry the real message inside. */
function firstIssue(error: z.ZodError): { field: string | null; message: string; more: number } {
  const issue = error.issues[0];
  if (issue === undefined) return { field: null, message: error.message, more: 0 };
  const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  return { field, message: inner ?? issue.message, more: error.issues.length - 1 };
}

function loadSpec(file: string): ModuleSpec {
  let json: unknown;
  try {
    json = JSON.parse(readText(file));
  } catch (err) {
    if (err instanceof ModuleLoadError) throw err;
    throw new ModuleLoadError('invalid-module', file, null, `not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
  const parsed = moduleSpecSchema.safeParse(json);
  if (!parsed.success) {
    const { field, message, more } = firstIssue(parsed.error);
    throw new ModuleLoadError('invalid-module', file, field, more > 0 ? `${message} (and ${more} more problem${more > 1 ? 's' : ''})` : message);
  }
  // Defaults are data in a JSON file: hold them to the same rules as operation values.
  for (const [name, spec] of Object.entries(parsed.data.attributes)) {
    if (spec.default === undefined) continue;
    const checked = attributeValueSchemaFor(spec).safeParse(spec.default);
    if (!checked.success) {
      throw new ModuleLoadError('invalid-module', file, `attributes.${name}.default`, firstIssue(checked.error).message);
    }
  }
  return parsed.data;
}

function loadModule(env: TemplateEnv, dir: string, name: string): LoadedModule {
  const specFile = path.join(dir, MODULE_SPEC_FILE);
  const templateFile = path.join(dir, MODULE_TEMPLATE_FILE);
  const spec = loadSpec(specFile);
  const source = readText(templateFile);

  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (err) {
    throw new ModuleLoadError('invalid-template', templateFile, null, errorMessage(err), { cause: err });
  }
  const problems = checkTemplate(ast, spec.attributes);
  if (problems.length > 0) throw new ModuleLoadError('invalid-template', templateFile, null, problems.join('\n  '));

  const schema = attributesSchemaFor(spec.attributes);
  const template = env.compile<Record<string, unknown>>(ast, TEMPLATE_COMPILE_OPTIONS);
  // Handlebars compiles on first use; render once with every attribute absent so compile
  // errors surface here, at load, rather than in the middle of a run.
  try {
    template(templateContext(spec.attributes, {}));
  } catch (err) {
    throw new ModuleLoadError('invalid-template', templateFile, null, errorMessage(err), { cause: err });
  }
  return { name, description: spec.description, dir, attributes: spec.attributes, schema, template };
}

/**
 * Loads every module of a modules directory: each subdirectory `<name>/` with a module.json
 * (attribute schema) and a script.sh.hbs (template). Other files (a README) are ignored.
 * Throws ModuleLoadError naming the file (and field) at fault.
 */
export function loadModules(dir: string): ModuleRegistry {
  const root = path.resolve(dir);
  let entries: string[];
  try {
    entries = fs.readdirSync(root).sort();
  } catch (err) {
    throw new ModuleLoadError('modules-dir-unreadable', root, null, `cannot read modules directory: ${errorMessage(err)}`, { cause: err });
  }
  const env = createTemplateEnv();
  const modules = new Map<string, LoadedModule>();
  for (const entry of entries) {
    const moduleDir = path.join(root, entry);
    if (entry.startsWith('.')) continue;
    const stat = fs.statSync(moduleDir, { throwIfNoEntry: false });
    if (stat === undefined) throw new ModuleLoadError('invalid-module', moduleDir, null, 'is a dangling symbolic link');
    if (!stat.isDirectory()) continue;
    const name = moduleNameSchema.safeParse(entry);
    if (!name.success) {
      throw new ModuleLoadError('invalid-module', moduleDir, null, `module directory name ${firstIssue(name.error).message}`);
    }
    modules.set(entry, loadModule(env, moduleDir, entry));
  }
  return { dir: root, modules };
}
