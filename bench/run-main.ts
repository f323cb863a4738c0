import { errorMessage } from '@simplecm/kernel';

/**
 * Runs a bench script's `main` and exits: 0 when it resolves, 1 with `<name>: <stack>` on
 * stderr when it throws (the benches leave timers and connections a plain return would wait on).
 */
export function runMain(name: string, main: () => Promise<unknown>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : errorMessage(error)}`);
      process.exit(1);
    },
  );
}
