/**
 * The subcommands of `simplecm`, by name: which app of bin/entry-points.json runs each (with the
 * arguments put before the user's), or which development tool. The apps answer `--help`
 * themselves, from their own settings, so that help never drifts from what they read.
 */
export interface AppCommand {
  readonly kind: 'app';
  /** The launcher's app name (bin/entry-points.json). */
  readonly app: string;
  /** Arguments before the user's (`read runs`). */
  readonly prefix: readonly string[];
  readonly summary: string;
  /** Long-running: SIGINT/SIGTERM are passed on and the process is awaited. */
  readonly longRunning?: boolean;
}

/** A development tool run from a repo checkout (`npm run stack`, `npm run demo`); never part of the product. */
export interface ToolCommand {
  readonly kind: 'tool';
  /** The tool's TypeScript entry, relative to the repo root. */
  readonly entry: string;
  readonly summary: string;
}

export type CliCommand = AppCommand | ToolCommand;

export const cliCommands: Readonly<Record<string, CliCommand>> = {
  run: { kind: 'app', app: 'enqueue', prefix: [], summary: 'plan a run and enqueue one job per host, through a resident master when one runs (--limit, --check, --diff, --rerun-failed, --wait, --json, --local)' },
  exec: { kind: 'app', app: 'exec', prefix: [], summary: "ad-hoc: run one module on the hosts of a pattern (-m MODULE -a 'k=v'), the desired state left alone" },
  master: { kind: 'app', app: 'master', prefix: [], summary: 'the resident master: plan and enqueue run requests (long-running; run several)', longRunning: true },
  cancel: { kind: 'app', app: 'cancel', prefix: [], summary: "cancel a run: remove its waiting hosts, let running ones finish" },
  schedule: { kind: 'app', app: 'schedule', prefix: [], summary: 'runs on a timer, planned by the masters: add|list|remove|pause|resume' },
  runs: { kind: 'app', app: 'read', prefix: ['runs'], summary: 'list recent runs' },
  results: { kind: 'app', app: 'read', prefix: ['results'], summary: "a run's hosts, or one host's operations" },
  drift: { kind: 'app', app: 'read', prefix: ['drift'], summary: 'hosts whose latest check run found changes to make, since when (--limit, --json)' },
  state: { kind: 'app', app: 'state', prefix: [], summary: 'the desired state as files: validate|diff|apply|export|import-ansible|revisions|seed|schema (schema: create the tables, apply migrations)' },
  worker: { kind: 'app', app: 'worker', prefix: [], summary: 'take host jobs and converge hosts over SSH (long-running)', longRunning: true },
  'results-consumer': { kind: 'app', app: 'results-consumer', prefix: [], summary: 'write outcomes to Cassandra (long-running)', longRunning: true },
  dashboard: { kind: 'app', app: 'dashboard', prefix: [], summary: 'run history and queues over HTTP (long-running)', longRunning: true },
  stack: { kind: 'tool', entry: 'tools/stack/src/cli.ts', summary: 'development only: the local stack (Redis, Cassandra, SSH test hosts)' },
  demo: { kind: 'tool', entry: 'tools/stack/src/demo/demo.ts', summary: 'development only: start the stack, seed the example fleet and converge it' },
};
