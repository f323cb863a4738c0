import { startProcess } from './app-processes';

/**
 * What `npm run seed` does: applies the example desired state (examples/demo-state) with --prune,
 * through the state command, so the fleet is the example's whatever was applied before. Returns
 * the command's summary line; throws with its output when it fails.
 */
export async function seed(env: NodeJS.ProcessEnv): Promise<string> {
  const started = startProcess('state', ['seed'], Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)));
  const code = await started.exited;
  const output = started.output();
  if (code !== 0) throw new Error(`state seed exited ${code}: ${output.trim()}`);
  return output.trim().split('\n').find((l) => l.startsWith('hosts:')) ?? output.trim();
}
