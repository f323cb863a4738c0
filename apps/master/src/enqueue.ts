import type { Queue } from 'bullmq';
import { SimpleCmError } from '@simplecm/kernel';
import { describeTarget, type RunTarget } from '@simplecm/domain';
import type { ModuleRegistry } from '@simplecm/modules';
import { describeJobIssues, hostJobId, hostJobOptions, hostJobRunSchema, queueOfHost, type HostJobWire, type RunOptions } from '@simplecm/queue';
import type { HostJobSigner } from './host-job-signer';
import type { NewRun } from '@simplecm/store';
import { operationChecker, validateTarget, type PlanSource, type PlannedHost } from './plan-run';
import { createPlanSpool } from './plan-spool';
import { describeSelection, type TagSelection } from './select-operations';

export interface EnqueueDeps extends PlanSource {
  readonly modules: ModuleRegistry;
  /**
   * Where host jobs go: one queue per queue partition, in partition order (a host's job goes to
   * the queue of hostPartition(host, K)), or the one queue of an installation without partitions.
   */
  readonly hostsQueue: Queue<HostJobWire> | readonly Queue<HostJobWire>[];
  /** Seals each host job's sensitive values and signs it (SIMPLECM_SEAL_PUBLIC_KEY, SIMPLECM_JOB_SIGNING_KEY): workers refuse unsigned jobs. */
  readonly signer: HostJobSigner;
  readonly createRun: (run: NewRun) => Promise<void>;
  readonly newRunId: () => string;
  /** For `--run-key`: returns the run id recorded under the key, recording `candidate` if there is none. */
  readonly claimRunId?: (candidate: string) => Promise<string>;
  /** Called once the run is recorded, before any job is added (so a crash after it can be resumed). */
  readonly onRunCreated?: (runId: string, hostCount: number) => void;
  readonly onProgress?: (enqueued: number, total: number) => void;
  /** Whether the run is being cancelled (`simplecm cancel`): checked before each batch; no batch is added after it says yes. */
  readonly isCancelled?: (runId: string) => Promise<boolean>;
  /** The id of the newest state revision (null when none): recorded as the one the run converges. */
  readonly latestStateRevision?: () => Promise<string | null>;
}

/** The target selects no host: bad input (exit 2), nothing recorded. */
export class EmptyTargetError extends SimpleCmError<'empty-target'> {
  override readonly name = 'EmptyTargetError';
  readonly code = 'empty-target' as const;
}

export interface EnqueuedRun {
  readonly runId: string;
  readonly hostCount: number;
  /** The state revision recorded with the run, null when none. */
  readonly stateRevision: string | null;
}

export interface EnqueueRunOptions {
  /** Re-enqueue this existing run (else a new id, or the run key's). */
  readonly runId?: string;
  /** Tries to reach each host (HOST_JOB_ATTEMPTS by default). */
  readonly connectAttempts?: number;
  /** Host jobs per addBulk, default 200. */
  readonly batchSize?: number;
  /** Pause after each batch, default 0 (a test hook). */
  readonly batchPauseMs?: number;
  /** Directory of the temporary plan file (see plan-spool.ts), default the system's (TMPDIR). */
  readonly spoolDir?: string;
  /** Only these operations are sent (`--tags`, `--skip-tags`); default all. Shown in the run's target. */
  readonly selection?: TagSelection;
  /** Who asked, shown at the end of the run's target (`schedule:nightly`); default nothing. */
  readonly origin?: string;
}

/**
 * addBulk calls in flight at once in pass two. Two: while Redis adds one batch the next is read
 * and sent, so neither this process nor Redis waits for the other; more would only hold more
 * batches in memory.
 */
const BATCHES_IN_FLIGHT = 2;

/**
 * Enqueues a run: pass one reads and validates the whole target once (nothing is recorded or
 * enqueued if anything is invalid) and spools the validated hosts to a temporary file, then the
 * run id is settled (given, claimed under a run key, or new) and the run recorded with the
 * number of hosts spooled, then pass two enqueues one job per spooled host with a job id derived
 * from run and host, so a second enqueue of the same run — retried, or a second master — adds
 * nothing.
 */
export async function enqueueRun(deps: EnqueueDeps, target: RunTarget, options: RunOptions, settings: EnqueueRunOptions = {}): Promise<EnqueuedRun> {
  const spool = await createPlanSpool(settings.spoolDir);
  try {
    // Read before the inventory: an `apply` that lands while the target is read makes the run
    // converge a newer state than it records, never an older one.
    const stateRevision = (await deps.latestStateRevision?.()) ?? null;
    const selection = settings.selection ?? {};
    const hostCount = await validateTarget(deps, operationChecker(deps.modules), target, { keep: (host) => spool.write(host), selection });
    const spooled = await spool.finish();
    if (spooled !== hostCount) throw new Error(`enqueue: ${spooled} hosts spooled of ${hostCount} validated`);
    if (hostCount === 0) throw new EmptyTargetError(`no hosts match the target ${describeTarget(target)}; nothing was recorded or enqueued`);
    const candidate = settings.runId ?? deps.newRunId();
    const id = settings.runId === undefined && deps.claimRunId ? await deps.claimRunId(candidate) : candidate;
    // Pass one checked each host's part of its job; this is the rest, the same for every host.
    const runPart = hostJobRunSchema.safeParse({ runId: id, options, hostCount });
    if (!runPart.success) throw new Error(`run ${id}: workers would refuse its host jobs: ${describeJobIssues(runPart.error)}`);
    await deps.createRun({ runId: id, mode: options.mode, target: `${describeTarget(target)}${describeSelection(selection)}${settings.origin ? ` ${settings.origin}` : ''}`, hostCount, stateRevision });
    deps.onRunCreated?.(id, hostCount);
    await addHostJobs(deps, spool.read(settings.batchSize ?? 200), { runId: id, options, hostCount }, settings);
    return { runId: id, hostCount, stateRevision };
  } finally {
    await spool.close();
  }
}

/** Pass two: one addBulk per batch, BATCHES_IN_FLIGHT at once. */
async function addHostJobs(
  deps: EnqueueDeps,
  batches: AsyncIterable<PlannedHost[]>,
  run: { readonly runId: string; readonly options: RunOptions; readonly hostCount: number },
  settings: EnqueueRunOptions,
): Promise<void> {
  const { runId, options, hostCount } = run;
  let enqueued = 0;
  const add = async (batch: PlannedHost[]): Promise<void> => {
    // One signature for the batch (docs/security.md, "Batch signing").
    const signed = deps.signer.signBatch(batch.map(({ host, operations }) => ({ jobId: hostJobId(runId, host.hostname), job: { runId, host, operations, options, hostCount } })));
    const jobs = batch.map(({ host }, i) => ({
      name: 'host',
      data: signed[i]!,
      opts: hostJobOptions(runId, host.hostname, settings.connectAttempts),
    }));
    // Each job carries its own path to the batch's signed root, so a batch may be split.
    await Promise.all([...byPartition(batch, deps.hostsQueue)].map(([queue, indexes]) => queue.addBulk(indexes.map((i) => jobs[i]!))));
    enqueued += batch.length;
    deps.onProgress?.(enqueued, hostCount);
  };
  const inFlight: Array<Promise<void>> = [];
  try {
    for await (const batch of batches) {
      if (deps.isCancelled && (await deps.isCancelled(runId))) break;
      const adding = add(batch);
      // Awaited below; until then a failure must not count as unhandled.
      adding.catch(() => undefined);
      inFlight.push(adding);
      if (inFlight.length >= BATCHES_IN_FLIGHT) await inFlight.shift();
      if (settings.batchPauseMs) {
        // The test hook pauses with every batch so far in Redis and none on its way.
        await Promise.all(inFlight.splice(0));
        await new Promise((resolve) => setTimeout(resolve, settings.batchPauseMs));
      }
    }
  } finally {
    // However the loop ends, no addBulk is left running behind the caller's back.
    await Promise.allSettled(inFlight);
  }
  await Promise.all(inFlight);
}

/** The batch's hosts by the queue of their partition (indexes into the batch, in batch order). */
function byPartition(batch: readonly PlannedHost[], hostsQueue: EnqueueDeps['hostsQueue']): Map<Queue<HostJobWire>, number[]> {
  const groups = new Map<Queue<HostJobWire>, number[]>();
  batch.forEach(({ host }, i) => {
    const queue = queueOfHost(hostsQueue, host.hostname);
    const group = groups.get(queue);
    if (group) group.push(i);
    else groups.set(queue, [i]);
  });
  return groups;
}
