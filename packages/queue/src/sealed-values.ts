import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { Operation } from '@simplecm/domain';
import { attributeValueBytes, HOST_JOB_LIMITS } from './host-job-limits';
import { JobKeyError, jobKeyId } from './job-signature';

/**
 * Sealed values: what a master puts in a host job in place of each attribute value its module
 * declares `sensitive`, so that nothing that can read Redis can read the value — only a worker.
 * Per job, one ephemeral X25519 key pair and one ECDH with the workers' public key (the seal
 * key); HKDF-SHA256 of the shared secret gives one AES-256-GCM key for the job's values. Each
 * value is encrypted with its own random nonce and, as additional data, the job id and the
 * value's place (operation index, attribute, list item), so a sealed value moved to another job,
 * operation or attribute does not open. The envelope names the workers' key by id, and workers
 * hold several private keys at once (rotation). node:crypto only.
 */

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Base64 characters of a box (nonce + ciphertext + tag) for a value at the attribute cap. */
const MAX_BOX_CHARS = Math.ceil((HOST_JOB_LIMITS.maxAttributeValueBytes + NONCE_BYTES + TAG_BYTES) / 3) * 4;
const KEY_INFO = 'simplecm sealed values v1';

/** Where a sealed value goes back: the operation's index in the job, its attribute, the list item if the attribute is a list. */
export interface ValuePlace {
  readonly op: number;
  readonly attribute: string;
  readonly item?: number;
}

/** A value (a string, number or boolean: a list's items are sealed one by one) to seal, at its place. */
export interface PlacedValue extends ValuePlace {
  readonly value: string | number | boolean;
}

export const sealedValuesSchema = z.object({
  /** Which of the workers' keys the job was sealed to (jobKeyId of its public key). */
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  /** The job's ephemeral X25519 public key: its 32 bytes, base64url (JWK `x`; Node's DER codec costs several times the ECDH). */
  ephemeralKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  values: z
    .array(
      z.object({
        op: z.number().int().min(0),
        attribute: z.string().min(1).max(200),
        item: z.number().int().min(0).optional(),
        /** Nonce, ciphertext and tag, base64. */
        box: z.string().max(MAX_BOX_CHARS),
      }),
    )
    .min(1),
});
export type SealedValues = z.infer<typeof sealedValuesSchema>;

/** The value's additional data: job id and place, so a box opens only where it was sealed. */
function additionalData(jobId: string, place: ValuePlace): Buffer {
  return Buffer.from(JSON.stringify([jobId, place.op, place.attribute, place.item ?? null]), 'utf8');
}

function jobKey(shared: Buffer, ephemeralKey: string, recipientKeyId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), `${KEY_INFO}\n${recipientKeyId}\n${ephemeralKey}`, 32));
}

function x25519Key<T extends KeyObject>(make: () => T, what: string): T {
  let key: T;
  try {
    key = make();
  } catch (error) {
    throw new JobKeyError(`${what}: not a key in PEM`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'x25519') throw new JobKeyError(`${what}: an x25519 key is needed, not ${key.asymmetricKeyType ?? 'a secret key'}`);
  return key;
}

export interface ValueSealer {
  /** Id of the workers' public key values are sealed to. */
  readonly keyId: string;
  /** The values of one job sealed to the workers' key; one ephemeral key and one ECDH per call. */
  seal(jobId: string, values: readonly PlacedValue[]): SealedValues;
}

/** A sealer to the workers' X25519 public key (PEM): what masters hold. */
export function valueSealer(publicKeyPem: string | Buffer): ValueSealer {
  const recipient = x25519Key(() => createPublicKey(publicKeyPem), 'seal public key');
  const keyId = jobKeyId(recipient);
  return {
    keyId,
    seal(jobId, values) {
      const ephemeral = generateKeyPairSync('x25519');
      const ephemeralKey = ephemeral.publicKey.export({ format: 'jwk' }).x ?? '';
      const key = jobKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), ephemeralKey, keyId);
      return {
        keyId,
        ephemeralKey,
        values: values.map(({ value, ...place }) => {
          const nonce = randomBytes(NONCE_BYTES);
          const cipher = createCipheriv('aes-256-gcm', key, nonce);
          cipher.setAAD(additionalData(jobId, place));
          const box = Buffer.concat([nonce, cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
          return { ...place, box };
        }),
      };
    },
  };
}

export interface ValueOpener {
  readonly keyIds: readonly string[];
  /** The job's values with their places, or why they do not open (a string). */
  open(jobId: string, sealed: SealedValues): PlacedValue[] | string;
}

/** An opener holding the workers' X25519 private keys (PEM), several while the key is rotated. */
export function valueOpener(privateKeysPem: ReadonlyArray<string | Buffer>): ValueOpener {
  const keys = new Map<string, KeyObject>();
  for (const pem of privateKeysPem) {
    const key = x25519Key(() => createPrivateKey(pem), 'seal private key');
    keys.set(jobKeyId(createPublicKey(key)), key);
  }
  if (keys.size === 0) throw new JobKeyError('no seal private key: workers cannot open a sensitive value without one');
  return {
    keyIds: [...keys.keys()],
    open(jobId, sealed) {
      const privateKey = keys.get(sealed.keyId);
      if (!privateKey) return `sealed to key ${sealed.keyId}, which this worker does not hold`;
      let key: Buffer;
      try {
        const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: sealed.ephemeralKey }, format: 'jwk' });
        key = jobKey(diffieHellman({ privateKey, publicKey }), sealed.ephemeralKey, sealed.keyId);
      } catch {
        return 'sealed values: the ephemeral key is not an x25519 public key';
      }
      const opened: PlacedValue[] = [];
      for (const { box, ...place } of sealed.values) {
        const bytes = Buffer.from(box, 'base64');
        if (bytes.length < NONCE_BYTES + TAG_BYTES) return `sealed value of ${describePlace(place)} does not open`;
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
          decipher.setAAD(additionalData(jobId, place));
          decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
          const value: unknown = JSON.parse(Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8'));
          if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return `sealed value of ${describePlace(place)} is not a string, number or boolean`;
          opened.push({ ...place, value });
        } catch {
          return `sealed value of ${describePlace(place)} does not open (sealed for another job or place, or altered)`;
        }
      }
      return opened;
    },
  };
}

function describePlace(place: ValuePlace): string {
  return `operation #${place.op} attribute ${place.attribute}${place.item === undefined ? '' : ` item ${place.item}`}`;
}

/**
 * A job's operations with the values at `places` sealed: each replaced by '' in the operations,
 * and the values in the sealed section (undefined when there is nothing to seal).
 */
export function sealOperations<T extends Pick<Operation, 'attributes'>>(sealer: ValueSealer, jobId: string, operations: readonly T[], values: readonly PlacedValue[]): { operations: readonly T[]; sealed?: SealedValues } {
  if (values.length === 0) return { operations };
  return { operations: replaceAt(operations, values.map((place) => ({ ...place, value: '' }))), sealed: sealer.seal(jobId, values) };
}

/**
 * The operations with each value put back at its place, or why not: a place that does not hold
 * a sealed slot (no such operation, attribute or item), or a value past the attribute cap.
 */
export function withValues<T extends Pick<Operation, 'attributes'>>(operations: readonly T[], values: readonly PlacedValue[]): T[] | string {
  for (const place of values) {
    const current = operations[place.op]?.attributes[place.attribute];
    const slot = place.item === undefined ? current : Array.isArray(current) ? current[place.item] : undefined;
    if (slot !== '') return `sealed value of ${describePlace(place)}: the job has no sealed slot there`;
  }
  const opened = replaceAt(operations, values);
  for (const { op, attribute } of values) {
    const bytes = attributeValueBytes(opened[op]!.attributes[attribute]!);
    if (bytes > HOST_JOB_LIMITS.maxAttributeValueBytes) return `sealed value of operation #${op} attribute ${attribute} is ${bytes} bytes, more than the ${HOST_JOB_LIMITS.maxAttributeValueBytes} an attribute value may have`;
  }
  return opened;
}

function replaceAt<T extends Pick<Operation, 'attributes'>>(operations: readonly T[], values: readonly PlacedValue[]): T[] {
  const out = [...operations];
  for (const { op, attribute, item, value } of values) {
    const operation = out[op]!;
    const attributes = out[op] === operations[op] ? { ...operation.attributes } : operation.attributes;
    const current = attributes[attribute];
    if (item === undefined) attributes[attribute] = value;
    else if (Array.isArray(current)) attributes[attribute] = current.map((v, i) => (i === item ? value : v));
    out[op] = { ...operation, attributes };
  }
  return out;
}

/**
 * Bytes a job's sealed section takes beyond its values' own bytes (nonces, tags, base64, places):
 * what a worker leaves out of the job's size, since the master checked the size with the values
 * in place (HOST_JOB_LIMITS.maxHostJobBytes).
 */
export function sealedExtraBytes(sealed: SealedValues | undefined): number {
  if (!sealed) return 0;
  let valueBytes = 0;
  for (const { box } of sealed.values) valueBytes += Math.max(0, Math.floor((box.length * 3) / 4) - NONCE_BYTES - TAG_BYTES);
  return Buffer.byteLength(JSON.stringify(sealed), 'utf8') - valueBytes;
}
