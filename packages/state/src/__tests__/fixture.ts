import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLED_MODULES_DIR, loadModules, type ModuleRegistry } from '@simplecm/modules';
import { compileState, formatProblem, readStateDir, writeStateDir, type CompiledState } from '..';

let registry: ModuleRegistry | undefined;

/** The repository's modules, loaded once per test file. */
export function modules(): ModuleRegistry {
  registry ??= loadModules(BUNDLED_MODULES_DIR);
  return registry;
}

/** A minimal valid inventory: two web hosts and a db host. */
export const inventory = `defaults: { key: fleet }
hosts:
  web1: { address: 10.0.0.1, groups: [web], vars: { port: "8080" } }
  web2: { address: 10.0.0.2, groups: [web] }
  db1: { address: 10.0.0.3, groups: [db] }
groups:
  web: { vars: { port: "80", site: www } }
`;

/** Writes `files` into a new temporary directory and returns it. */
export function stateDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-state-'));
  writeStateDir(dir, new Map(Object.entries(files)));
  return dir;
}

/** Compiles a state directory written from `files`, read back from the disk. */
export function compileFiles(files: Record<string, string>): CompiledState & { lines: string[] } {
  const dir = stateDir(files);
  try {
    const compiled = compileState(readStateDir(dir), modules());
    return { ...compiled, lines: compiled.problems.map(formatProblem) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
