import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SimpleCmError } from '@simplecm/kernel';
import { canonicalJson } from './canonical-json';

/**
 * Host job signatures (Ed25519, node:crypto). The master signs, over canonicalJson, the job id
 * and everything in the job's data but the signature itself: run id, host (address, port, user,
 * key name, pinned keys, become), operations with their attributes, options, host count and the
 * expiry. Workers hold public keys only, several at once (rotation), and refuse a job that is
 * unsigned, signed by a key they do not trust, altered, expired, or whose id is not its own.
 */

/** A job's signature: which trusted key (keyId) and the Ed25519 signature, base64. */
export const jobSignatureSchema = z.object({
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  value: z.string().max(200),
});
export type JobSignature = z.infer<typeof jobSignatureSchema>;

/** A signed host job carries these two fields besides its payload. */
export interface SignedFields {
  /** Epoch ms after which workers refuse the job. */
  readonly expiresAt: number;
  readonly signature: JobSignature;
}

export class JobKeyError extends SimpleCmError<'job-key'> {
  override readonly name = 'JobKeyError';
  readonly code = 'job-key' as const;
}

/** The key id of a public key: the first 16 hex digits of the SHA-256 of its SPKI (DER). */
export function jobKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** The bytes a job signs: its id and its data without the signature. */
function signedBytes(jobId: string, data: Readonly<Record<string, unknown>>): Buffer {
  const { signature: _notSigned, ...signed } = data;
  return Buffer.from(canonicalJson({ jobId, data: signed }), 'utf8');
}

export interface JobSigner {
  readonly keyId: string;
  /** The job's data with `expiresAt` (now + TTL) and `signature` added. */
  sign<T extends Record<string, unknown>>(jobId: string, data: T, now?: number): T & SignedFields;
}

/** A signer from an Ed25519 private key (PEM); `ttlMs` is how long a signed job stays valid. */
export function jobSigner(privateKeyPem: string | Buffer, ttlMs: number): JobSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new JobKeyError('job signing key: not a private key in PEM', { cause: error });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new JobKeyError(`job signing key: an ed25519 key is needed, not ${key.asymmetricKeyType ?? 'a secret key'}`);
  const keyId = jobKeyId(createPublicKey(key));
  return {
    keyId,
    sign(jobId, data, now = Date.now()) {
      const withExpiry = { ...data, expiresAt: now + ttlMs };
      const value = sign(null, signedBytes(jobId, withExpiry), key).toString('base64');
      return { ...withExpiry, signature: { keyId, value } };
    },
  };
}

/** Why a worker refuses a job; `null` from verify when it does not. */
export type JobRefusal = string;

export interface JobVerifier {
  readonly keyIds: readonly string[];
  /** Checks the job as it came from Redis (id and raw data): null when valid, else why not. */
  verify(jobId: string, data: unknown, expectedJobId: string, now?: number): JobRefusal | null;
}

/** A verifier trusting these Ed25519 public keys (PEM), any one of which may have signed. */
export function jobVerifier(publicKeysPem: ReadonlyArray<string | Buffer>): JobVerifier {
  const keys = new Map<string, KeyObject>();
  for (const pem of publicKeysPem) {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (error) {
      throw new JobKeyError('job public key: not a public key in PEM', { cause: error });
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new JobKeyError(`job public key: an ed25519 key is needed, not ${key.asymmetricKeyType ?? '?'}`);
    keys.set(jobKeyId(key), key);
  }
  if (keys.size === 0) throw new JobKeyError('no trusted job public key: workers refuse every job without one');
  return {
    keyIds: [...keys.keys()],
    verify(jobId, data, expectedJobId, now = Date.now()) {
      if (jobId !== expectedJobId) return `job id ${jobId} is not ${expectedJobId}, the id of its run and host`;
      if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'job data is not an object';
      const record = data as Record<string, unknown>;
      const signature = jobSignatureSchema.safeParse(record.signature);
      if (!signature.success) return 'unsigned job';
      const key = keys.get(signature.data.keyId);
      if (!key) return `signed by key ${signature.data.keyId}, which this worker does not trust`;
      let valid: boolean;
      try {
        valid = verify(null, signedBytes(jobId, record), key, Buffer.from(signature.data.value, 'base64'));
      } catch {
        valid = false;
      }
      if (!valid) return 'bad signature: the job is not as the master signed it';
      const expiresAt = record.expiresAt;
      if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return 'signed job without an expiry';
      if (expiresAt <= now) return `expired at ${new Date(expiresAt).toISOString()}`;
      return null;
    },
  };
}

/** The PEM public keys in a file, or in every `*.pem` file of a directory (one key a file). */
export function readPublicKeys(fileOrDir: string): string[] {
  const files = statSync(fileOrDir).isDirectory()
    ? readdirSync(fileOrDir)
        .filter((name) => name.endsWith('.pem'))
        .sort()
        .map((name) => path.join(fileOrDir, name))
    : [fileOrDir];
  return files.flatMap((file) => readFileSync(file, 'utf8').match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? []);
}
