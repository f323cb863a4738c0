import type { RunControl } from '@simplecm/dashboard';
import { startProcess } from '@simplecm/stack';
import type { TestSystem } from './system';

/**
 * A RunControl for tests that plans with the real master code: each launch runs the `enqueue`
 * command as a process on the test system (its keyspace, queue prefix and signing key), as
 * `simplecm run --local` does. The dashboard's production RunControl submits to the resident
 * master instead (issue 17); cancel runs the `cancel` command (simplecm cancel) as a process.
 */
export function enqueueRunControl(system: TestSystem): RunControl {
  const enqueue = async (args: string[]) => {
    const result = await system.enqueue(args);
    if (result.code !== 0 || !result.runId) throw new Error(`enqueue exited ${result.code}: ${result.output.trim().split('\n').slice(-3).join(' / ')}`);
    const hostCount = Number(/(\d+) hosts?/.exec(result.output)?.[1] ?? 0);
    return { runId: result.runId, hostCount };
  };
  return {
    launch: (request) =>
      enqueue([
        ...(request.target === 'all' ? [] : ['--limit', request.target]),
        ...(request.check ? ['--check'] : []),
        ...(request.keepGoing ? ['--keep-going'] : []),
        ...(request.tags.length > 0 ? ['--tags', request.tags.join(',')] : []),
      ]),
    relaunchFailed: (runId) => enqueue(['--rerun-failed', runId]),
    cancel: async (runId) => {
      const started = startProcess('cancel', [runId], system.env);
      system.processes.push(started);
      const code = await started.exited;
      if (code !== 0) throw new Error(`cancel exited ${code}: ${started.output().trim().split('\n').slice(-3).join(' / ')}`);
    },
  };
}
