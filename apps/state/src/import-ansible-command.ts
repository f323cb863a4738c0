import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { keyNameSchema } from '@simplecm/domain';
import { AnsibleInventoryError, importAnsibleInventory } from '@simplecm/state';
import { ExitCode, parseCommand, type Command } from './command';

const flagSpec = { out: { type: 'string' }, key: { type: 'string' } } as const;
const flagsSchema = z.object({ out: z.string().min(1).optional(), key: keyNameSchema.optional() });

/** `import-ansible INVENTORY [--out DIR]`: an Ansible inventory as inventory.yaml. */
export const importAnsibleCommand: Command = {
  summary: 'turn an Ansible inventory (INI or YAML) into inventory.yaml',
  help: `usage: state import-ansible INVENTORY [--out DIR] [--key NAME]

Reads an Ansible inventory, INI or YAML (by its extension, else by its content), with groups,
children, vars and host ranges (web[01:10]), and writes it as a SimpleCM inventory: to
DIR/inventory.yaml with --out (DIR is created; an existing inventory.yaml is not overwritten),
else to stdout. ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file (its file
name becomes the key name) and ansible_become(_user) become host fields, with Ansible's
precedence; other ansible_* variables are dropped with a warning on stderr.
--key NAME: key name for hosts without ansible_ssh_private_key_file (default id_ed25519).`,
  async run(argv) {
    const { flags, args } = parseCommand(argv, flagSpec, flagsSchema, ['INVENTORY']);
    const file = args[0]!;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`${file}: cannot read: ${errorMessage(error)}`);
    }
    let result: ReturnType<typeof importAnsibleInventory>;
    try {
      result = importAnsibleInventory(file, text, { defaultKey: flags.key });
    } catch (error) {
      if (error instanceof AnsibleInventoryError) throw new ConfigError(`${file}: ${error.message}`);
      throw error;
    }
    for (const w of result.warnings) console.error(`warning: ${w}`);
    if (flags.out === undefined) {
      process.stdout.write(result.inventory);
      return ExitCode.ok;
    }
    const target = path.join(flags.out, 'inventory.yaml');
    if (fs.existsSync(target)) throw new ConfigError(`${target}: exists; not overwritten`);
    fs.mkdirSync(flags.out, { recursive: true });
    fs.writeFileSync(target, result.inventory);
    console.log(`wrote ${target}: ${result.hostCount} host(s), ${result.groupCount} group(s)`);
    return ExitCode.ok;
  },
};
