import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { SimpleCmError } from '@simplecm/kernel';

/**
 * Password hashes for the users file: `scrypt$<N>$<r>$<p>$<salt>$<key>` (salt and key in
 * base64url), made by `simplecm dashboard hash-password`. Only hashes are stored anywhere.
 */
export const PASSWORD_HASH_PREFIX = 'scrypt$';

const DEFAULT_COST = { N: 16_384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

export class InvalidPasswordHashError extends SimpleCmError<'invalid-password-hash'> {
  override readonly name = 'InvalidPasswordHashError';
  readonly code = 'invalid-password-hash' as const;
  constructor(message: string) {
    super(message);
  }
}

function derive(password: string, salt: Buffer, keyBytes: number, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, { ...cost, maxmem: 256 * cost.N! * cost.r! }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

interface ParsedHash {
  readonly cost: { N: number; r: number; p: number };
  readonly salt: Buffer;
  readonly key: Buffer;
}

/** Checks a stored hash's form (at start-up, so a typo in the users file stops the dashboard). */
export function parsePasswordHash(text: string): ParsedHash {
  const match = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,128})\$([A-Za-z0-9_-]{32,256})$/.exec(text);
  if (!match) throw new InvalidPasswordHashError('not a password hash from `simplecm dashboard hash-password` (scrypt$N$r$p$salt$key)');
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (N < 1024 || (N & (N - 1)) !== 0 || r < 1 || p < 1) throw new InvalidPasswordHashError('scrypt cost out of range (N a power of two ≥ 1024, r and p ≥ 1)');
  return { cost: { N, r, p }, salt: Buffer.from(match[4]!, 'base64url'), key: Buffer.from(match[5]!, 'base64url') };
}

export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, KEY_BYTES, cost);
  return `${PASSWORD_HASH_PREFIX}${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `password` matches `hash`, compared in constant time. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parsePasswordHash(hash);
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.cost);
  return timingSafeEqual(key, parsed.key);
}
