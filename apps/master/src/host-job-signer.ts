import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, textSetting } from '@simplecm/config';
import { sensitivePlaces, type ModuleRegistry } from '@simplecm/modules';
import { jobSigner, sealOperations, valueSealer, type HostJobData, type SignedPayload } from '@simplecm/queue';

/**
 * How a master makes each host job: the values of attributes their module declares `sensitive`
 * sealed to the workers' key (nothing that reads Redis can read them), then the payload signed
 * (docs/security.md).
 */
export interface HostJobSigner {
  /** The job's data as it goes to Redis. */
  sign(jobId: string, job: Omit<HostJobData, 'expiresAt' | 'sealed'>): SignedPayload;
}

/** The key files and TTL a master signs and seals with (from its options). */
export interface HostJobKeys {
  readonly signingKeyFile: string;
  readonly sealKeyFile: string;
  readonly jobTtlSeconds: number;
}

export function hostJobSigner(modules: ModuleRegistry, keys: { readonly signingKey: string | Buffer; readonly sealKey: string | Buffer; readonly ttlMs: number }): HostJobSigner {
  const signer = jobSigner(keys.signingKey, keys.ttlMs);
  const sealer = valueSealer(keys.sealKey);
  return {
    sign(jobId, job) {
      const { operations, sealed } = sealOperations(sealer, jobId, job.operations, sensitivePlaces(modules, job.operations));
      return signer.sign(jobId, { ...job, operations, sealed });
    },
  };
}

/** hostJobSigner from the key files (read once, at start). */
export function readHostJobSigner(modules: ModuleRegistry, keys: HostJobKeys): HostJobSigner {
  return hostJobSigner(modules, { signingKey: readFileSync(keys.signingKeyFile), sealKey: readFileSync(keys.sealKeyFile), ttlMs: keys.jobTtlSeconds * 1000 });
}

/** The `SIMPLECM_SEAL_PUBLIC_KEY` setting of every command that plans runs. */
export const sealKeySetting = textSetting(
  { env: 'SIMPLECM_SEAL_PUBLIC_KEY', valueName: 'FILE', about: "the workers' X25519 public key (PEM) sensitive values are sealed to; required" },
  z.string().min(1),
);

/** The seal key file, required: a master without it would put sensitive values in Redis as they are. */
export function requireSealKey(file: string | undefined): string {
  if (!file) throw new ConfigError("SIMPLECM_SEAL_PUBLIC_KEY: name the workers' public key sensitive values are sealed to (it must not reach Redis readable)");
  return file;
}
