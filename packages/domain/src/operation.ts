import { z } from 'zod';
import { groupNameSchema, unixUserSchema } from './host';

/** Attribute values an operation may carry: JSON scalars and lists of them. */
export const attributeValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);
export type AttributeValue = z.infer<typeof attributeValueSchema>;
export type Attributes = Record<string, AttributeValue>;

export const moduleNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a module name (lower case, digits, underscores)');

/** One step of a host's desired configuration: a module applied with attributes. */
export const operationSchema = z.object({
  /** Position in the host's ordered list; operations run in ascending `seq`. */
  seq: z.number().int().min(0),
  name: z.string().min(1).max(200),
  module: moduleNameSchema,
  attributes: z.record(z.string(), attributeValueSchema),
  /** Run this operation through `sudo -n` as this user (overrides the host's `become`). */
  become: unixUserSchema.nullable().optional(),
  /** Tag names (the charset of group names), for `enqueue --tags` / `--skip-tags`. */
  tags: z.array(groupNameSchema).max(100).optional(),
  /**
   * A handler: names of EARLIER operations of the same host. It runs only when at least one of
   * them reported a change on the host in this run (in check mode: would change); otherwise it
   * is recorded `skipped`. Absent: the operation always runs. Never empty: Cassandra stores an
   * empty list as no list, which would turn a handler into an operation that always runs.
   */
  whenChanged: z.array(z.string().min(1).max(200)).min(1, 'name at least one earlier operation').max(100).optional(),
});
export type Operation = z.infer<typeof operationSchema>;

/** Human label for errors: `host1 op #2 "install nginx"`. */
export function describeOperation(hostname: string, op: Pick<Operation, 'seq' | 'name'>): string {
  return `host ${hostname}, operation #${op.seq} "${op.name}"`;
}
