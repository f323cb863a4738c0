import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, textSetting } from '@simplecm/config';
import { sensitivePlaces, type ModuleRegistry } from '@simplecm/modules';
import { jobSigner, sealOperations, valueSealer, type HostJobData, type SignedPayload } from '@simplecm/queue';

/**
 * How a master makes each host job: the values of attributes their module declares `sensitive`
 * sealed to the workers' key (nothing that reads Redis can read them), then the payload signed
 * (docs/security.md): one signature per batch of jobs added together.
 */
export interface HostJobSigner {
  /** The job's data as it goes to Redis (a batch of one). */
  sign(jobId: string, job: HostJobToSign): SignedPayload;
  /** The data of each job as it goes to Redis, all under one signature (docs/security.md, "Batch signing"). */
  signBatch(jobs: ReadonlyArray<{ readonly jobId: string; readonly job: HostJobToSign }>): SignedPayload[];
}

/** A host job before the master seals and signs it. */
export type HostJobToSign = Omit<HostJobData, 'expiresAt' | 'sealed'>;

/** The key files and TTL a master signs and seals with (from its options). */
export interface HostJobKeys {
  readonly signingKeyFile: string;
  readonly sealKeyFile: string;
  readonly jobTtlSeconds: number;
}

export function hostJobSigner(modules: ModuleRegistry, keys: { readonly signingKey: string | Buffer; readonly sealKey: string | Buffer; readonly ttlMs: number }): HostJobSigner {
  const signer = jobSigner(keys.signingKey, keys.ttlMs);
  const sealer = valueSealer(keys.sealKey);
  const signBatch: HostJobSigner['signBatch'] = (jobs) =>
    signer.signBatch(
      jobs.map(({ jobId, job }) => {
        const { operations, sealed } = sealOperations(sealer, jobId, job.operations, sensitivePlaces(modules, job.operations));
        return { jobId, data: { ...job, operations, sealed } };
      }),
    );
  return { signBatch, sign: (jobId, job) => signBatch([{ jobId, job }])[0]! };
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
