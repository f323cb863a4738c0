import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stackPaths } from './paths';

/**
 * The local stack's job keys: the result key, the seal key pair (X25519, generateSealKeys; made
 * on an existing .stack too, the first `up` after it appeared) and the host-job key pair (Ed25519): made once, kept across `stack up` so jobs
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
  if (!fs.existsSync(stackPaths.sealPublicKey)) {
    generateSealKeys(stackPaths.sealPrivateKeysDir, stackPaths.sealPublicKey);
    log(`seal keys: generated ${stackPaths.sealPublicKey} and its private key in ${stackPaths.sealPrivateKeysDir}`);
  }
  if (fs.existsSync(stackPaths.jobSigningKey)) return;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  fs.mkdirSync(path.dirname(stackPaths.jobSigningKey), { recursive: true, mode: 0o700 });
  fs.mkdirSync(stackPaths.jobPublicKeysDir, { recursive: true });
  fs.writeFileSync(path.join(stackPaths.jobPublicKeysDir, `${new Date().toISOString().slice(0, 10)}.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
  fs.writeFileSync(stackPaths.jobSigningKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  log(`job keys: generated ${stackPaths.jobSigningKey} and its public key in ${stackPaths.jobPublicKeysDir}`);
}

/**
 * A seal key pair (X25519): the private key as `<date>.pem` (0600) in `privateDir` (0700), what
 * workers read (SIMPLECM_SEAL_PRIVATE_KEYS), and the public key in `publicFile`, what masters
 * seal sensitive values to (SIMPLECM_SEAL_PUBLIC_KEY). Rotation: add the new private key to the
 * workers' directory, switch the masters to the new public key, remove the old private key once
 * no job sealed to it remains (at most the job TTL later).
 */
export function generateSealKeys(privateDir: string, publicFile: string): void {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  fs.mkdirSync(privateDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(privateDir, `${new Date().toISOString().slice(0, 10)}.pem`), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.mkdirSync(path.dirname(publicFile), { recursive: true });
  fs.writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
}
