import { randomUUID } from 'node:crypto';
import { wantsHelp } from '@simplecm/config';
import { liveMasters, redisConnection, submitRunRequest } from '@simplecm/queue';
import { compileEnqueueOptions, enqueueHelp } from './enqueue-options';
import { failedHostsOf } from './failed-hosts';
import { exitWith, runMaster } from './master-run';
import { toRunRequest } from './run-plan-request';

/**
 * Exit codes (EXIT_CODES_HELP): 0 done (and with --wait, nothing failed); 1 hosts failed; 2 bad
 * input or empty target; 3 Redis or Cassandra unavailable.
 *
 * When a resident master is running (`simplecm master`, seen by its heartbeat) the run is
 * submitted to it as a run request; with `--local`, or when none is running, it is planned in
 * this process as before. Only planning here needs the job signing key (SIMPLECM_JOB_SIGNING_KEY).
 */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(enqueueHelp(process.env.SIMPLECM_COMMAND_NAME === undefined ? undefined : `${process.env.SIMPLECM_COMMAND_NAME} [options]`));
    return 0;
  }
  const options = compileEnqueueOptions(argv, process.env);
  // The request id: also the run key, so a resubmitted request joins its run.
  const requestId = options.runKey ?? randomUUID();
  return runMaster(options, {
    name: 'enqueue',
    target: async ({ runs, results }) => (options.rerunFailed === undefined ? options.target : failedHostsOf(options.rerunFailed, runs.getRun, results.pageRunHosts)),
    source: (inventory) => inventory,
    recordsStateRevision: true,
    showOutput: false,
    // --local: planned here, whatever runs (and the signing key is checked before connecting).
    submit: options.local ? undefined : async ({ redis, redisConfig, prefix, runId, say }) => {
      const masters = await liveMasters(redis, prefix);
      if (masters.length === 0) return undefined;
      if (runId === undefined) say(`request ${requestId}: submitted to the masters (${masters.length} running)`);
      // QueueEvents blocks on XREAD: a connection of its own that retries forever.
      const blocking = redisConnection(redisConfig, { blocking: true });
      try {
        return await submitRunRequest(
          { redis, blocking },
          prefix,
          toRunRequest(
            {
              target: options.target,
              rerunFailed: options.rerunFailed,
              runId: runId ?? options.runId,
              runKey: options.runKey,
              options: options.run,
              selection: options.selection,
              connectAttempts: options.connectAttempts,
            },
            { requestId, source: 'cli' },
          ),
        );
      } finally {
        blocking.disconnect();
      }
    },
  });
}

exitWith('enqueue', main);
