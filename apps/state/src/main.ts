import { CASSANDRA_ENV, ConfigError, CONNECT_TIMEOUT_ENV, connectTimeoutMs, EXIT_CODES_HELP } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { ModuleLoadError } from '@simplecm/modules';
import { InvalidStateError } from '@simplecm/state';
import { ExitCode, type Command } from './command';
import { applyCommand } from './apply-command';
import { diffCommand } from './diff-command';
import { exportCommand } from './export-command';
import { importAnsibleCommand } from './import-ansible-command';
import { revisionsCommand } from './revisions-command';
import { schemaCommand } from './schema-command';
import { seedCommand } from './seed-command';
import { validateCommand } from './validate-command';

/** The subcommands of `state`, by name. */
const commands: Record<string, Command> = {
  validate: validateCommand,
  diff: diffCommand,
  apply: applyCommand,
  export: exportCommand,
  'import-ansible': importAnsibleCommand,
  revisions: revisionsCommand,
  schema: schemaCommand,
  seed: seedCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return [
    `usage: state <command> [--connect-timeout S] [args] (state <command> --help for its flags)`,
    Object.entries(commands)
      .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
      .join('\n'),
    'options of every command that reads or writes Cassandra (diff, apply, seed, export, revisions, schema):\n  --connect-timeout S  give up on an unreachable Cassandra after S seconds (exit 3); default 10; env SIMPLECM_CONNECT_TIMEOUT',
    `environment:\n${[...CASSANDRA_ENV, CONNECT_TIMEOUT_ENV].map((e) => `  ${e}`).join('\n')}`,
    'examples:\n  simplecm state validate examples/demo-state\n  simplecm state diff examples/demo-state --connect-timeout 5\n  simplecm state apply examples/demo-state',
    EXIT_CODES_HELP.replace('a host failed or was unreachable', 'diff: the state differs'),
  ].join('\n\n');
}

/**
 * `--connect-timeout S` (or `=S`), taken out of a command's arguments wherever it is: its value
 * goes to SIMPLECM_CONNECT_TIMEOUT (checked now, a ConfigError when bad), which withFleet reads.
 */
function takeConnectTimeout(argv: readonly string[], env: NodeJS.ProcessEnv): { argv: string[]; env: NodeJS.ProcessEnv } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--connect-timeout') {
      value = argv[++i];
      if (value === undefined) throw new ConfigError('--connect-timeout: give a number of seconds');
    } else if (arg.startsWith('--connect-timeout=')) {
      value = arg.slice('--connect-timeout='.length);
    } else {
      rest.push(arg);
    }
  }
  if (value === undefined) return { argv: rest, env };
  connectTimeoutMs(env, value);
  return { argv: rest, env: { ...env, SIMPLECM_CONNECT_TIMEOUT: value } };
}

/** Exit codes: 0 done; 1 `diff` found differences; 2 bad input; 3 infrastructure (Cassandra) down. */
async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? ExitCode.badInput : ExitCode.ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) throw new ConfigError(`unknown command "${name}"\n${usage()}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return ExitCode.ok;
  }
  const given = takeConnectTimeout(rest, process.env);
  // Checked before any command connects, so that a bad value is exit 2 for every one of them.
  connectTimeoutMs(given.env);
  return command.run(given.argv, given.env);
}

/**
 * Exits once stdout has taken everything written: `process.exit` right after a large diff would
 * cut the output short when stdout is a pipe (node writes to pipes asynchronously).
 */
function exitAfterOutput(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(exitAfterOutput, (error: unknown) => {
  const badInput = error instanceof ConfigError || error instanceof InvalidStateError || error instanceof ModuleLoadError;
  const message = errorMessage(error);
  // The driver's "no host available" carries a stack dump per node: its first line says it all.
  console.error(`state: ${badInput ? message : message.split('\n')[0]}`);
  exitAfterOutput(badInput ? ExitCode.badInput : ExitCode.infrastructure);
});
