import fs from 'node:fs';
import { ConfigError } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import { compileState, type CompiledState, readStateDir, type StateFiles } from '@simplecm/state';

export interface LoadedState extends CompiledState {
  readonly files: StateFiles;
}

/** Reads and compiles a state directory; a directory that cannot be read is a ConfigError. */
export function loadState(dir: string, modulesDir: string | undefined): LoadedState {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new ConfigError(`${dir}: not a directory`);
  const registry = loadModules(resolveModulesDir(modulesDir));
  let files: StateFiles;
  try {
    files = readStateDir(dir);
  } catch (error) {
    throw new ConfigError(`${dir}: cannot read: ${errorMessage(error)}`);
  }
  return { files, ...compileState(files, registry) };
}
