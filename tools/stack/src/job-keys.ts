import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stackPaths } from './paths';

/**
 * The local stack's host-job key pair (Ed25519): made once, kept across `stack up` so jobs
 * queued before a restart still verify. The private key is 0600 in a 0700 directory; the public
 * key goes to the directory workers trust, as `<date>.pem` (rotation: add a key there, switch the
 * masters to its private key, remove the old public key once no job signed with it remains).
 */
export function ensureJobKeys(log: (line: string) => void): void {
  if (!fs.existsSync(stackPaths.resultKey)) {
    fs.mkdirSync(path.dirname(stackPaths.resultKey), { recursive: true, mode: 0o700 });
    fs.writeFileSync(stackPaths.resultKey, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    log(`result key: generated ${stackPaths.resultKey}`);
  }
  if (fs.existsSync(stackPaths.jobSigningKey)) return;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  fs.mkdirSync(path.dirname(stackPaths.jobSigningKey), { recursive: true, mode: 0o700 });
  fs.mkdirSync(stackPaths.jobPublicKeysDir, { recursive: true });
  fs.writeFileSync(path.join(stackPaths.jobPublicKeysDir, `${new Date().toISOString().slice(0, 10)}.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
  fs.writeFileSync(stackPaths.jobSigningKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  log(`job keys: generated ${stackPaths.jobSigningKey} and its public key in ${stackPaths.jobPublicKeysDir}`);
}
