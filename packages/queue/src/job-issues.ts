import type { z } from 'zod';

/**
 * A job payload's zod issues as one line: `operations: 10001 operations, more than …; host.port: …`.
 * `at` is where the parsed value sits in the payload, when only a part of it was parsed.
 */
export function describeJobIssues(error: z.ZodError, at: readonly PropertyKey[] = []): string {
  return error.issues.map((i) => `${[...at, ...i.path].map(String).join('.') || '(payload)'}: ${i.message}`).join('; ');
}
