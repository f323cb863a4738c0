import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { CommandExit, EXIT_CODES_HELP } from '@simplecm/config';
import { cliCommands, type CliCommand } from './commands';

/** The repository (or installed package) root: this file is apps/cli/src/ in it (bundles keep that path). */
const root = path.resolve(__dirname, '..', '..', '..');

/**
 * Runs `node <script> args…` with this terminal, passing SIGINT and SIGTERM on (a long-running
 * app shuts down within its own grace period); resolves with its exit code.
 */
function runChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env, cwd: process.cwd() });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('error', (error) => {
      console.error(`simplecm: cannot start ${command}: ${error.message}`);
      resolve(CommandExit.unavailable);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal === null ? 1 : 128 + (signal === 'SIGINT' ? 2 : 15)));
    });
  });
}

async function dispatch(name: string, command: CliCommand, args: readonly string[]): Promise<number> {
  const env = { ...process.env, SIMPLECM_COMMAND_NAME: `simplecm ${name}` };
  if (command.kind === 'app') return runChild(process.execPath, [path.join(root, 'bin', 'app.cjs'), command.app, ...command.prefix, ...args], env);
  const entry = path.join(root, command.entry);
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  if (!fs.existsSync(entry) || !fs.existsSync(tsx)) {
    console.error(`simplecm ${name}: not available here: it is development tooling, run from a repository checkout with its dev dependencies (npm ci; npm run ${name})`);
    return CommandExit.badInput;
  }
  return runChild(process.execPath, [tsx, entry, ...args], env);
}

/** The `simplecm` program: one subcommand per entry of cliCommands, each passing its arguments to the app. */
export function simplecmProgram(onExit: (code: number) => void): Command {
  const program = new Command('simplecm')
    .description('SimpleCM: agentless configuration management. Each command answers --help with its options, environment and examples.')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(simplecm --help lists the commands)')
    .enablePositionalOptions()
    .addHelpText(
      'after',
      [
        '',
        'examples:',
        '  simplecm state seed                                  # the example fleet as the desired state',
        "  simplecm run --limit 'web:!web3' --check --wait      # what would change on web hosts but web3",
        '  simplecm run --check --diff --limit web              # and how each file would change, as a diff',
        "  simplecm exec --limit web -m command -a 'command=uptime'   # one module, ad hoc",
        '  simplecm run --rerun-failed <run id> --wait          # again, on the hosts that failed',
        '  simplecm runs; simplecm results <run id>',
        '',
        EXIT_CODES_HELP,
      ].join('\n'),
    );
  for (const [name, command] of Object.entries(cliCommands)) {
    program
      .command(name)
      .description(command.summary)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .passThroughOptions()
      .argument('[args...]', 'passed to the command (simplecm ' + name + ' --help lists them)')
      .action(async (args: string[]) => onExit(await dispatch(name, command, args)));
  }
  program.exitOverride((error) => {
    // commander's own exits: --help and --version are 0, an unknown command is bad input.
    process.exit(error.exitCode === 0 ? CommandExit.ok : CommandExit.badInput);
  });
  return program;
}

simplecmProgram((code) => process.exit(code))
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(`simplecm: ${String(error)}`);
    process.exit(CommandExit.badInput);
  });
