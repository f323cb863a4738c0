import fs from 'node:fs';
import path from 'node:path';
import { stackPaths } from './paths';
import { readPid, stopProcess } from './process-control';

/**
 * Processes started beside the stack and left running (the demo's dashboard) register here to be
 * stopped by `stack down`: the one who starts such a process writes its pid to
 * `stopOnDownPidFile(name)`, and the stack needs to know nothing else about it.
 */
export function stopOnDownPidFile(name: string): string {
  fs.mkdirSync(stackPaths.stopOnDownDir, { recursive: true });
  return path.join(stackPaths.stopOnDownDir, `${name}.pid`);
}

/** Stops every registered process (SIGTERM, then SIGKILL) and forgets it. */
export async function stopRegisteredProcesses(): Promise<void> {
  let files: string[];
  try {
    files = fs.readdirSync(stackPaths.stopOnDownDir).filter((f) => f.endsWith('.pid'));
  } catch {
    return;
  }
  for (const file of files.map((f) => path.join(stackPaths.stopOnDownDir, f))) {
    await stopProcess(readPid(file));
    fs.rmSync(file, { force: true });
  }
}
