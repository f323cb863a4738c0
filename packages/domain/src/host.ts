import { z } from 'zod';

/** RFC 1123-ish host name: what `--hosts` and the inventory accept. */
export const hostnameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'must be a host name (letters, digits, dots, dashes, underscores)');

/** A key *name*, resolved by each worker in its own keys directory; never a key. */
export const keyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a key file name (no slashes), e.g. "fleet-ed25519"');

export const groupNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a group name');

export const unixUserSchema = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Unix user name');

/** One managed machine, as the inventory describes it. */
export const hostSchema = z.object({
  hostname: hostnameSchema,
  address: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:_-]+$/, 'must be an IP address or DNS name'),
  port: z.number().int().min(1).max(65535),
  user: unixUserSchema,
  keyName: keyNameSchema,
  groups: z.array(groupNameSchema),
  vars: z.record(z.string(), z.string()),
  /**
   * Pinned SSH host keys (`ssh-ed25519 AAAA…`, public). When present they are the only keys
   * accepted for this host; when empty the workers' known_hosts file decides.
   */
  hostKeys: z.array(z.string().regex(/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|rsa-sha2-(256|512)) [A-Za-z0-9+/]+=*$/, 'must be an OpenSSH public key line: "<type> <base64>"')),
  /** Run every operation as this user through `sudo -n` (for a non-root SSH user); null: as the SSH user. */
  become: unixUserSchema.nullable(),
});
export type Host = z.infer<typeof hostSchema>;
