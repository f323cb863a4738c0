export { cliCommands, type CliCommand } from "./commands";
