import type { Client } from 'ssh2';
import { SshError } from './errors';
import { forgetJournalCommand } from './host-journal';

/**
 * Removes a host job's journal on the host (forgetJournalCommand) over an open connection, once
 * the host's result is handed off. Throws SshError when the host does not confirm within
 * `timeoutMs`; the journal is then removed by a later driver once expired.
 */
export function forgetJournal(client: Client, hostname: string, key: string, options: { journalRoot?: string; timeoutMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (detail: string) => reject(new SshError('unreachable', hostname, `journal not removed: ${detail}`));
    client.exec(forgetJournalCommand(key, options.journalRoot), (error, channel) => {
      if (error) return fail(error.message);
      let code: number | null = null;
      const timer = setTimeout(() => channel.close(), options.timeoutMs);
      channel.resume();
      channel.stderr.resume();
      channel.on('exit', (c: number | null) => (code = c));
      channel.on('close', () => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else fail(code === null ? 'no answer' : `exit ${code}`);
      });
      channel.end();
    });
  });
}
