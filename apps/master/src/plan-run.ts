import type { Host, Operation, RunTarget } from '@simplecm/domain';
import { validateOperation, type ModuleRegistry } from '@simplecm/modules';

/** A host with its validated operations (attributes with defaults applied). */
export interface PlannedHost {
  readonly host: Host;
  readonly operations: Operation[];
}

/** The storage planning reads, as functions. */
export interface PlanSource {
  readonly streamHosts: (target: RunTarget) => AsyncIterable<Host>;
  readonly getOperations: (hostname: string) => Promise<Operation[]>;
}

/** Every problem found in the desired state; nothing is enqueued while there is one. */
export class InvalidDesiredStateError extends Error {
  override readonly name = 'InvalidDesiredStateError';
  readonly code = 'invalid-desired-state' as const;
  constructor(readonly problems: readonly string[], readonly more: number) {
    super(`the desired state has ${problems.length + more} problem(s); nothing was enqueued:\n${problems.map((p) => `  - ${p}`).join('\n')}${more > 0 ? `\n  … and ${more} more` : ''}`);
  }
}

/**
 * Streams the target's hosts with their operations, validated, `batch` hosts at a time: only
 * one batch is in memory, and its operation reads run concurrently.
 */
export async function* planHosts(source: PlanSource, modules: ModuleRegistry, target: RunTarget, { batch = 64 } = {}): AsyncGenerator<PlannedHost[]> {
  let pending: Host[] = [];
  const flush = async (): Promise<PlannedHost[]> => {
    const planned = await Promise.all(
      pending.map(async (host) => {
        const operations = await source.getOperations(host.hostname);
        return {
          host,
          operations: operations.map((op) => ({ ...op, attributes: validateOperation(modules, host.hostname, op) })),
        };
      }),
    );
    pending = [];
    return planned;
  };
  for await (const host of source.streamHosts(target)) {
    pending.push(host);
    if (pending.length >= batch) yield await flush();
  }
  if (pending.length > 0) yield await flush();
}

/**
 * Pass one of `enqueue`: reads the whole target once, validating every operation and
 * collecting every problem, without keeping the hosts. Returns how many hosts there are.
 */
export async function validateTarget(source: PlanSource, modules: ModuleRegistry, target: RunTarget, { maxProblems = 50 } = {}): Promise<number> {
  const problems: string[] = [];
  let more = 0;
  let hosts = 0;
  const note = (message: string) => (problems.length < maxProblems ? problems.push(message) : more++);
  let pending: Host[] = [];
  const check = async () => {
    await Promise.all(
      pending.map(async (host) => {
        let operations: Operation[];
        try {
          operations = await source.getOperations(host.hostname);
        } catch (error) {
          note(error instanceof Error ? error.message : String(error));
          return;
        }
        for (const op of operations) {
          try {
            validateOperation(modules, host.hostname, op);
          } catch (error) {
            note(error instanceof Error ? error.message : String(error));
          }
        }
      }),
    );
    pending = [];
  };
  try {
    for await (const host of source.streamHosts(target)) {
      hosts++;
      pending.push(host);
      if (pending.length >= 64) await check();
    }
  } catch (error) {
    note(error instanceof Error ? error.message : String(error));
  }
  await check();
  if (problems.length > 0) throw new InvalidDesiredStateError(problems, more);
  return hosts;
}
