import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { parsePasswordHash } from './password-hash';

/** What a user may do: `viewer` reads, `operator` also launches, relaunches, cancels and reads the audit log. */
export const Role = { viewer: 'viewer', operator: 'operator' } as const;
export type Role = (typeof Role)[keyof typeof Role];
export const roleSchema = z.enum([Role.viewer, Role.operator]);

/** One user of the dashboard: the name, the role and how the password is checked. */
export interface DashboardUser {
  readonly name: string;
  readonly role: Role;
  /** An scrypt hash (users file) or, for the single-user fallback, the configured password itself. */
  readonly credential: { readonly kind: 'hash'; readonly hash: string } | { readonly kind: 'password'; readonly password: string };
}

export const userNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(200)
  .regex(/^[^:\s]+$/, 'no spaces or colons');

const usersFileSchema = z.object({
  users: z
    .array(
      z
        .object({
          name: userNameSchema,
          role: roleSchema,
          passwordHash: z.string().superRefine((text, ctx) => {
            try {
              parsePasswordHash(text);
            } catch (error) {
              ctx.addIssue({ code: 'custom', message: errorMessage(error) });
            }
          }),
        })
        .strict(),
    )
    .min(1, 'at least one user'),
});

/**
 * The users file (YAML, or JSON which YAML reads too):
 * ```yaml
 * users:
 *   - name: alice
 *     role: operator
 *     passwordHash: scrypt$16384$8$1$…   # simplecm dashboard hash-password
 * ```
 */
export function parseUsersFile(text: string, where: string): DashboardUser[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${where}: not YAML or JSON: ${errorMessage(error)}`);
  }
  const parsed = usersFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`${where}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  }
  const seen = new Set<string>();
  return parsed.data.users.map((u) => {
    if (seen.has(u.name)) throw new ConfigError(`${where}: user ${u.name} appears twice`);
    seen.add(u.name);
    return { name: u.name, role: u.role, credential: { kind: 'hash', hash: u.passwordHash } };
  });
}

export function readUsersFile(file: string): DashboardUser[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`users file ${file}: ${errorMessage(error)}`);
  }
  return parseUsersFile(text, `users file ${file}`);
}
