import type { z } from 'zod';

/** A job payload's zod issues as one line: `operations: at most 10000 …; host.port: …`. */
export function describeJobIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
}
