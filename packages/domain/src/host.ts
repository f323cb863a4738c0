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

/** One managed machine, as the inventory describes it. */
export const hostSchema = z.object({
  hostname: hostnameSchema,
  address: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:_-]+$/, 'must be an IP address or DNS name'),
  port: z.number().int().min(1).max(65535),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Unix user name'),
  keyName: keyNameSchema,
  groups: z.array(groupNameSchema),
  vars: z.record(z.string(), z.string()),
});
export type Host = z.infer<typeof hostSchema>;
