import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SimpleCmError } from '@simplecm/kernel';

/**
 * Host job signatures (Ed25519, node:crypto). The master serialises the job's payload once (run
 * id, host with address, port, user, key name, pinned keys and become, operations with their
 * attributes, options, host count, expiry, sealed values) and signs the job id and those exact
 * bytes; the job carries the payload string and the signature. Workers verify over the bytes as
 * they came from Redis and parse them once, after: nothing is re-encoded on either side.
 * Workers hold public keys only, several at once (rotation), and refuse a job that is unsigned,
 * signed by a key they do not trust, altered, expired, or whose id is not its own.
 */

/** A job's signature: which trusted key (keyId) and the Ed25519 signature, base64. */
export const jobSignatureSchema = z.object({
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  value: z.string().max(200),
});
export type JobSignature = z.infer<typeof jobSignatureSchema>;

/** A signed host job as it sits in Redis: the payload's JSON and its signature. */
export interface SignedPayload {
  readonly payload: string;
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

/** The bytes a job signs: a label, its id and its payload as it travels. */
function signedBytes(jobId: string, payload: string): Buffer {
  return Buffer.from(`simplecm host job\n${jobId}\n${payload}`, 'utf8');
}

export interface JobSigner {
  readonly keyId: string;
  /** The payload with `expiresAt` (now + TTL) added, serialised once, and its signature. */
  sign(jobId: string, data: Readonly<Record<string, unknown>>, now?: number): SignedPayload;
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
      const payload = JSON.stringify({ ...data, expiresAt: now + ttlMs });
      return { payload, signature: { keyId, value: sign(null, signedBytes(jobId, payload), key).toString('base64') } };
    },
  };
}

/** Why a worker refuses a job; `null` from verify when it does not. */
export type JobRefusal = string;

/** What a verifier checks of one job: as it came from Redis, and the two fields read from its payload. */
export interface JobToVerify {
  /** The id the job has in Redis. */
  readonly jobId: string;
  /** The payload string exactly as read. */
  readonly payload: string;
  /** The signature as read (anything: it is checked here). */
  readonly signature: unknown;
  /** The id of the run and host the payload names (hostJobId). */
  readonly expectedJobId: string;
  /** The payload's expiry (epoch ms), if any. */
  readonly expiresAt: number | undefined;
}

export interface JobVerifier {
  readonly keyIds: readonly string[];
  /** Null when the job is valid, else why not. */
  verify(job: JobToVerify, now?: number): JobRefusal | null;
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
    verify({ jobId, payload, signature: given, expectedJobId, expiresAt }, now = Date.now()) {
      if (jobId !== expectedJobId) return `job id ${jobId} is not ${expectedJobId}, the id of its run and host`;
      const signature = jobSignatureSchema.safeParse(given);
      if (!signature.success) return 'unsigned job';
      const key = keys.get(signature.data.keyId);
      if (!key) return `signed by key ${signature.data.keyId}, which this worker does not trust`;
      let valid: boolean;
      try {
        valid = verify(null, signedBytes(jobId, payload), key, Buffer.from(signature.data.value, 'base64'));
      } catch {
        valid = false;
      }
      if (!valid) return 'bad signature: the job is not as the master signed it';
      if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return 'signed job without an expiry';
      if (expiresAt <= now) return `expired at ${new Date(expiresAt).toISOString()}`;
      return null;
    },
  };
}

/** The PEM keys of one kind in a file, or in every `*.pem` file of a directory (sorted by name). */
export function readPemKeys(fileOrDir: string, kind: 'PUBLIC KEY' | 'PRIVATE KEY'): string[] {
  const files = statSync(fileOrDir).isDirectory()
    ? readdirSync(fileOrDir)
        .filter((name) => name.endsWith('.pem'))
        .sort()
        .map((name) => path.join(fileOrDir, name))
    : [fileOrDir];
  const block = new RegExp(`-----BEGIN ${kind}-----[\\s\\S]*?-----END ${kind}-----`, 'g');
  return files.flatMap((file) => readFileSync(file, 'utf8').match(block) ?? []);
}

/** The PEM public keys in a file, or in every `*.pem` file of a directory (one key a file). */
export function readPublicKeys(fileOrDir: string): string[] {
  return readPemKeys(fileOrDir, 'PUBLIC KEY');
}
