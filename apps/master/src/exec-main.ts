import { wantsHelp } from '@simplecm/config';
import type { Operation } from '@simplecm/domain';
import { adhocOperation } from './adhoc-operation';
import { compileExecOptions, execHelp } from './exec-options';
import { exitWith, runMaster } from './master-run';

/** `simplecm exec`: one module on the hosts of a pattern, recorded as a run of mode `adhoc`. Exit codes as `run`'s. */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(execHelp(process.env.SIMPLECM_COMMAND_NAME === undefined ? undefined : `${process.env.SIMPLECM_COMMAND_NAME} --limit PATTERN -m MODULE [-a ATTRS] [options]`));
    return 0;
  }
  const options = compileExecOptions(argv, process.env);
  let operation: Operation | undefined;
  return runMaster(options, {
    name: 'exec',
    // Before anything is connected: a bad module or attribute records and enqueues nothing.
    check: (modules) => {
      operation = adhocOperation(modules, options.adhoc);
    },
    target: async () => options.target,
    // Hosts from the inventory, each with the one operation; the desired operations are never read.
    source: (inventory) => {
      const operations = [operation!];
      return { streamHosts: inventory.streamHosts, getOperations: async () => operations };
    },
    recordsStateRevision: false,
    showOutput: true,
  });
}

exitWith('exec', main);
