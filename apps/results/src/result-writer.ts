import type { ResultJobData, RunProgressSnapshot } from '@simplecm/queue';
import { hostResultBytes } from '@simplecm/store';
import { packBatches } from './pack-batches';
import { recordResults, type RecordResultDeps } from './record-result';

export interface ResultWriterOptions {
  /** Hosts per Cassandra batch. */
  readonly batchHosts: number;
  /** About how many bytes of rows per multi-host Cassandra batch (see hostResultBytes). */
  readonly batchBytes: number;
}

/**
 * Group commit for results. Each result job hands its result to `write`, which resolves once
 * the host's rows, its count and the run's progress row are written (the job then completes,
 * exactly as when each job wrote alone). Results that arrive while a group is being written
 * wait and go together in the next group: a few multi-host batches instead of two batches per
 * host, one Redis script call and one `runs` update per run and group instead of one per host.
 * Under light load a group is one result, so nothing waits for a timer; under heavy load groups
 * grow with the consumer's concurrency and the number of writes per host falls.
 */
export interface ResultWriter {
  write(data: ResultJobData): Promise<{ finishedRun: boolean; snapshot: RunProgressSnapshot }>;
}

/**
 * Groups written at once. Two keep Cassandra busy while the previous group waits on Redis and
 * the runs row; more would only make each group smaller (fewer hosts per write).
 */
const GROUPS_IN_FLIGHT = 2;
/** Results per group: bounds the batches one group sends at once. */
const MAX_GROUP = 512;

interface Pending {
  readonly data: ResultJobData;
  readonly bytes: number;
  readonly resolve: (value: { finishedRun: boolean; snapshot: RunProgressSnapshot }) => void;
  readonly reject: (error: unknown) => void;
}

export function resultWriter(deps: RecordResultDeps, options: ResultWriterOptions): ResultWriter {
  const pending: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;

  async function writeGroup(group: Pending[]): Promise<void> {
    const byData = new Map(group.map((p) => [p.data, p]));
    const batches = packBatches(group, (p) => p.bytes, { maxHosts: options.batchHosts, maxBytes: options.batchBytes }).map((b) => b.map((p) => p.data));
    let outcomes;
    try {
      outcomes = await recordResults(batches, deps);
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    for (const [data, outcome] of outcomes) {
      const p = byData.get(data);
      if (!p) continue;
      byData.delete(data);
      if (outcome.ok) p.resolve({ finishedRun: outcome.finishedRun, snapshot: outcome.snapshot });
      else p.reject(outcome.error);
    }
    for (const p of byData.values()) p.reject(new Error(`result ${p.data.result.runId}/${p.data.result.hostname} was not recorded`));
  }

  // Runs on the next turn of the event loop, so that results handed over in the same turn
  // (BullMQ delivers several jobs per Redis reply batch) start out in the same group.
  function schedule(): void {
    if (scheduled || inFlight >= GROUPS_IN_FLIGHT || pending.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      while (inFlight < GROUPS_IN_FLIGHT && pending.length > 0) {
        const group = pending.splice(0, MAX_GROUP);
        inFlight++;
        void writeGroup(group).finally(() => {
          inFlight--;
          schedule();
        });
      }
    });
  }

  return {
    write(data) {
      return new Promise((resolve, reject) => {
        pending.push({ data, bytes: hostResultBytes(data.result), resolve, reject });
        schedule();
      });
    },
  };
}
