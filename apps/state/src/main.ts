import { ConfigError } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { ModuleLoadError } from '@simplecm/modules';
import { InvalidStateError } from '@simplecm/state';
import { ExitCode, type Command } from './command';
import { applyCommand } from './apply-command';
import { diffCommand } from './diff-command';
import { exportCommand } from './export-command';
import { importAnsibleCommand } from './import-ansible-command';
import { revisionsCommand } from './revisions-command';
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
  seed: seedCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return `usage: state <command> [args] (state <command> --help for its flags)\n\n${Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n')}`;
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
  return command.run(rest, process.env);
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
