import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SimpleCmError } from '@simplecm/kernel';
import { leafHash, merkleTree, rootFromPath } from './job-merkle-tree';

/**
 * Host job signatures (Ed25519, node:crypto). The master serialises each job's payload once (run
 * id, host with address, port, user, key name, pinned keys and become, operations with their
 * attributes, options, host count, expiry, sealed values); a job's leaf is the hash of its id and
 * those exact bytes, and the master signs, once per batch of jobs it adds together, the root of
 * the batch's Merkle tree (job-merkle-tree.ts) with the key id and batch size. Each job carries
 * its payload string, its index and audit path and the root's signature. Workers hash the bytes
 * as they came from Redis, recompute the root and check its signature (once per root: verified
 * roots are cached), then parse the bytes once: nothing is re-encoded on either side.
 * Workers hold public keys only, several at once (rotation), and refuse a job that is unsigned,
 * signed by a key they do not trust, altered, expired, or whose id is not its own.
 */

/** Jobs one signature covers at most (the tree's size, signed with its root). */
export const MAX_SIGNED_BATCH = 65_536;

/**
 * A job's signature: which trusted key (keyId), the Ed25519 signature of its batch's root
 * (base64), the job's index in the batch, the batch's size and the job's audit path (SHA-256
 * hashes, base64, from its leaf up).
 */
export const jobSignatureSchema = z.object({
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  value: z.string().max(200),
  index: z.number().int().min(0),
  size: z.number().int().min(1).max(MAX_SIGNED_BATCH),
  path: z.array(z.string().max(64)).max(16),
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

/** A job's leaf: the hash of a label, its id and its payload as it travels. */
function jobLeaf(jobId: string, payload: string): Buffer {
  return leafHash(Buffer.from(`simplecm host job\n${jobId}\n${payload}`, 'utf8'));
}

/** The bytes the master signs for a batch: a label, the key id, the batch's size and its root. */
function rootBytes(keyId: string, size: number, root: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`simplecm host job batch\n${keyId}\n${size}\n`, 'utf8'), root]);
}

/** One job of a batch to sign: its id and its data (without expiry). */
export interface JobToSign {
  readonly jobId: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface JobSigner {
  readonly keyId: string;
  /** The payload with `expiresAt` (now + TTL) added, serialised once, and its signature (a batch of one). */
  sign(jobId: string, data: Readonly<Record<string, unknown>>, now?: number): SignedPayload;
  /** Each job's payload as `sign` makes it, all under one signature (in order; at most MAX_SIGNED_BATCH). */
  signBatch(jobs: readonly JobToSign[], now?: number): SignedPayload[];
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
  const signBatch = (jobs: readonly JobToSign[], now = Date.now()): SignedPayload[] => {
    if (jobs.length === 0) return [];
    if (jobs.length > MAX_SIGNED_BATCH) throw new RangeError(`job signing: a batch of ${jobs.length} jobs, at most ${MAX_SIGNED_BATCH}`);
    const expiresAt = now + ttlMs;
    const payloads = jobs.map(({ data }) => JSON.stringify({ ...data, expiresAt }));
    const { root, paths } = merkleTree(jobs.map(({ jobId }, i) => jobLeaf(jobId, payloads[i]!)));
    const size = jobs.length;
    const value = sign(null, rootBytes(keyId, size, root), key).toString('base64');
    return payloads.map((payload, index) => ({ payload, signature: { keyId, value, index, size, path: paths[index]!.map((hash) => hash.toString('base64')) } }));
  };
  return {
    keyId,
    signBatch,
    sign: (jobId, data, now) => signBatch([{ jobId, data }], now)[0]!,
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

/** Verified batch roots a verifier remembers by default (the newest used). */
export const VERIFIED_ROOTS_CACHED = 4096;

/**
 * A verifier trusting these Ed25519 public keys (PEM), any one of which may have signed. It
 * remembers the last `cachedRoots` (key id, batch size, root, signature) it verified, as exact
 * bytes: a job of a batch already seen costs two SHA-256 per tree level and no Ed25519.
 */
export function jobVerifier(publicKeysPem: ReadonlyArray<string | Buffer>, cachedRoots: number = VERIFIED_ROOTS_CACHED): JobVerifier {
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
  // Insertion order is use order: a hit is moved to the end, the first is the least recently used.
  const verified = new Map<string, true>();
  const rootVerified = (key: KeyObject, keyId: string, size: number, root: Buffer, value: string): boolean => {
    const cacheKey = `${keyId}\n${size}\n${root.toString('base64')}\n${value}`;
    if (verified.delete(cacheKey)) {
      verified.set(cacheKey, true);
      return true;
    }
    let valid: boolean;
    try {
      valid = verify(null, rootBytes(keyId, size, root), key, Buffer.from(value, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid || cachedRoots <= 0) return valid;
    verified.set(cacheKey, true);
    if (verified.size > cachedRoots) verified.delete(verified.keys().next().value!);
    return true;
  };
  return {
    keyIds: [...keys.keys()],
    verify({ jobId, payload, signature: given, expectedJobId, expiresAt }, now = Date.now()) {
      if (jobId !== expectedJobId) return `job id ${jobId} is not ${expectedJobId}, the id of its run and host`;
      const signature = jobSignatureSchema.safeParse(given);
      if (!signature.success) return 'unsigned job';
      const key = keys.get(signature.data.keyId);
      if (!key) return `signed by key ${signature.data.keyId}, which this worker does not trust`;
      const { keyId, value, index, size, path: hashes } = signature.data;
      const pathBytes = hashes.map((hash) => Buffer.from(hash, 'base64'));
      const root = pathBytes.every((hash) => hash.length === 32) ? rootFromPath(jobLeaf(jobId, payload), index, size, pathBytes) : null;
      if (root === null || !rootVerified(key, keyId, size, root, value)) return 'bad signature: the job is not as the master signed it';
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
