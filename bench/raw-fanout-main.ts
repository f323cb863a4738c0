/**
 * The raw bound as a long-lived process of its own (like a worker, so its CPU and memory are
 * measured the same way and its start-up is outside the timing). Requests:
 * - `{ op: 'prepare', hosts, tag, keyFile, knownHosts }`: render the workload's scripts for `tag`;
 * - `{ op: 'go' }`: run them on every host at once, answer with the timings.
 */
import fs from 'node:fs';
import { loadModules, resolveModulesDir } from '@simplecm/modules';
import { loadKnownHosts } from '@simplecm/ssh';
import { serveRequests } from './bench-child';
import { rawFanout, type RawTarget } from './raw-fanout';
import { rawCommand } from './raw-script';
import { benchOperations, renderScripts } from './workload';

const modules = loadModules(resolveModulesDir(process.env.SIMPLECM_MODULES_DIR));
/** The key known_hosts has for address:port, for ssh2's hostVerifier. */
function keyBlobLookup(file: string): (address: string, port: number) => Buffer | undefined {
  const knownHosts = loadKnownHosts(file);
  return (address, port) => knownHosts.keysFor([address], port).keys[0];
}

let prepared: { hosts: RawTarget[]; command: string; privateKey: Buffer; hostKey: (address: string, port: number) => Buffer | undefined } | undefined;

serveRequests(async (request) => {
  switch (request.op) {
    case 'prepare': {
      const hosts = request.hosts as RawTarget[];
      const command = rawCommand(renderScripts(modules, benchOperations(String(request.tag))));
      prepared = { hosts, command, privateKey: fs.readFileSync(String(request.keyFile)), hostKey: keyBlobLookup(String(request.knownHosts)) };
      return { prepared: hosts.length, commandBytes: Buffer.byteLength(command) };
    }
    case 'go': {
      if (!prepared) throw new Error('go before prepare');
      const p = prepared;
      return rawFanout(p.hosts, () => p.command, { privateKey: p.privateKey, hostKey: p.hostKey });
    }
    default:
      throw new Error(`unknown request ${JSON.stringify(request)}`);
  }
});
