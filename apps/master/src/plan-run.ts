import type { Host, Operation, RunTarget } from '@simplecm/domain';
import { errorMessage, SimpleCmError } from '@simplecm/kernel';
import { InvalidOperationError, validateOperation, type ModuleRegistry } from '@simplecm/modules';
import { InvalidRowError, UnknownHostError, type InventoryEntry } from '@simplecm/store';
import { handlerProblems } from './check-handlers';
import { hostJobChecker, type CheckHostJob } from './host-job-checker';
import { selectOperations, type TagSelection } from './select-operations';

/** A host with its validated operations (attributes with defaults applied). */
export interface PlannedHost {
  readonly host: Host;
  readonly operations: Operation[];
}

/**
 * Whether `error` is a fault of the desired state (an unknown host, a row that does not parse,
 * an invalid operation), which the operator fixes in the inventory, rather than a failure to
 * read it (Cassandra down or timing out), which is retried as it is: `enqueue` exits 2 for the
 * first and 3 for the second.
 */
export function isDesiredStateProblem(error: unknown): boolean {
  return error instanceof InvalidRowError || error instanceof UnknownHostError || error instanceof InvalidOperationError;
}

/** A host of the target with its operations, or why they could not be read. */
export type TargetEntry = InventoryEntry | { readonly hostname: string; readonly error: Error };

/** The storage planning reads, as functions. */
export interface PlanSource {
  readonly streamHosts: (target: RunTarget) => AsyncIterable<Host>;
  readonly getOperations: (hostname: string) => Promise<readonly Operation[]>;
  /**
   * Every host with its operations in one pass over the whole inventory (two queries, not one
   * per host). When present it serves the target `all`; a list or a group of hosts is read
   * host by host, as only those hosts are wanted.
   */
  readonly scanInventory?: () => AsyncIterable<InventoryEntry>;
}

/** Every problem found in the desired state; nothing is enqueued while there is one. */
export class InvalidDesiredStateError extends SimpleCmError<'invalid-desired-state'> {
  override readonly name = 'InvalidDesiredStateError';
  readonly code = 'invalid-desired-state' as const;
  constructor(readonly problems: readonly string[], readonly more: number) {
    super(`the desired state has ${problems.length + more} problem(s); nothing was enqueued:\n${problems.map((p) => `  - ${p}`).join('\n')}${more > 0 ? `\n  … and ${more} more` : ''}`);
  }
}

/** Checks one of a host's operations; returns it with its validated attributes, or throws InvalidOperationError. */
export type CheckOperation = (hostname: string, operation: Operation) => Operation;

/**
 * `validateOperation` remembered per operation object. The store hands every host whose
 * operation row reads the same the same (frozen) Operation object, so an operation shared by a
 * thousand hosts is checked against its module's schema once, and every such host gets the same
 * checked object back (which the plan spool then writes once). A WeakMap: the memory goes with
 * the store's objects. Failures are not remembered, since their message names the host.
 */
export function operationChecker(modules: ModuleRegistry): CheckOperation {
  const checked = new WeakMap<Operation, Operation>();
  return (hostname, operation) => {
    const known = checked.get(operation);
    if (known !== undefined) return known;
    const valid: Operation = Object.freeze({ ...operation, attributes: Object.freeze(validateOperation(modules, hostname, operation)) });
    checked.set(operation, valid);
    return valid;
  };
}

/** Hosts whose operations are read at once when hosts are read one by one (`--hosts`, `--group`). */
const READS_IN_FLIGHT = 64;

/**
 * The target's hosts with their operations, in the order the store gives them: the whole
 * inventory from one scan when the store offers it, else host by host with up to
 * READS_IN_FLIGHT operation reads at once. A host whose rows do not parse comes as its error;
 * a failure to read the hosts themselves (an unknown `--hosts` name, a bad host row) is thrown,
 * and so is any failure to read (see isDesiredStateProblem).
 */
export async function* readTarget(source: PlanSource, target: RunTarget): AsyncGenerator<TargetEntry> {
  if (target.kind === 'all' && source.scanInventory !== undefined) {
    yield* source.scanInventory();
    return;
  }
  const asEntry = async (host: Host): Promise<TargetEntry> => {
    try {
      return { hostname: host.hostname, host, operations: await source.getOperations(host.hostname) };
    } catch (error) {
      if (!isDesiredStateProblem(error)) throw error;
      return { hostname: host.hostname, error: error as Error };
    }
  };
  let pending: Array<Promise<TargetEntry>> = [];
  for await (const host of source.streamHosts(target)) {
    pending.push(asEntry(host));
    if (pending.length >= READS_IN_FLIGHT) {
      yield* await Promise.all(pending);
      pending = [];
    }
  }
  yield* await Promise.all(pending);
}

export interface ValidateTargetOptions {
  /** Problems listed in the error, default 50; the rest are counted. */
  readonly maxProblems?: number;
  /** Receives every valid host with its checked operations, in order, while no problem has been found. */
  readonly keep?: (host: PlannedHost) => Promise<void>;
  /** Checks each host's part of its host job, default a new hostJobChecker(). */
  readonly checkJob?: CheckHostJob;
  /** Which operations `keep` receives (`--tags`, `--skip-tags`); default all. Every operation is checked either way. */
  readonly selection?: TagSelection;
}

/**
 * Pass one of `enqueue`: reads the whole target once, validating every operation and each
 * host's part of its host job (see hostJobChecker), and collecting every problem; hands each valid host to `keep` (never keeping hosts itself).
 * Returns how many hosts there are. A host or row the store refuses (an unknown host, a row
 * that does not parse) is a problem too; a failure to read, or of `keep`, is thrown as it is.
 */
export async function validateTarget(source: PlanSource, check: CheckOperation, target: RunTarget, { maxProblems = 50, keep, checkJob = hostJobChecker(), selection = {} }: ValidateTargetOptions = {}): Promise<number> {
  const problems: string[] = [];
  let more = 0;
  let hosts = 0;
  const note = (error: unknown) => {
    if (problems.length < maxProblems) problems.push(errorMessage(error));
    else more++;
  };
  const entries = readTarget(source, target);
  try {
    for (;;) {
      let next: IteratorResult<TargetEntry>;
      try {
        next = await entries.next();
      } catch (error) {
        if (!isDesiredStateProblem(error)) throw error;
        note(error);
        break;
      }
      if (next.done) break;
      const entry = next.value;
      hosts++;
      if (entry.error !== undefined) {
        note(entry.error);
        continue;
      }
      const operations: Operation[] = [];
      let valid = true;
      for (const op of entry.operations) {
        try {
          operations.push(check(entry.hostname, op));
        } catch (error) {
          note(error);
          valid = false;
        }
      }
      for (const problem of handlerProblems(entry.hostname, entry.operations)) note(problem);
      // Valid operations may still make a job the workers refuse (too many of them): checked
      // here with the workers' own schema, so such a host is a problem now, not a run that never ends.
      // The whole list is checked: the selected operations are some of them (a handler keeps
      // at least one trigger), so a job the workers accept with all accepts the selection too.
      const refused = valid ? checkJob(entry.host, operations) : undefined;
      if (refused !== undefined) note(`host ${entry.hostname}: workers would refuse its host job: ${refused}`);
      if (keep !== undefined && problems.length === 0) await keep({ host: entry.host, operations: selectOperations(operations, selection) });
    }
  } finally {
    await entries.return(undefined);
  }
  if (problems.length > 0) throw new InvalidDesiredStateError(problems, more);
  return hosts;
}
