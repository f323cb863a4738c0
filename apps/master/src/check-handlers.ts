import { describeOperation, type Operation } from '@simplecm/domain';

/**
 * Problems with a host's handlers: every name in an operation's `whenChanged` must name an
 * operation that runs before it on the same host (a lower seq). One line per bad name, naming
 * host, operation and name; none when all is well. `operations` are in seq order.
 */
export function handlerProblems(hostname: string, operations: readonly Pick<Operation, 'seq' | 'name' | 'whenChanged'>[]): string[] {
  const problems: string[] = [];
  const all = new Set(operations.map((op) => op.name));
  const earlier = new Set<string>();
  for (const op of operations) {
    for (const name of op.whenChanged ?? []) {
      if (earlier.has(name)) continue;
      const why = name === op.name ? 'itself' : all.has(name) ? 'a later operation' : 'no operation of this host';
      problems.push(`${describeOperation(hostname, op)}: when_changed names "${name}", ${why}; a handler must name earlier operations of the same host`);
    }
    earlier.add(op.name);
  }
  return problems;
}
