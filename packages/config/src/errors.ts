import { z } from 'zod';
import { SimpleCmError } from '@simplecm/kernel';

/** Bad configuration or CLI input: the message names the variable or flag. Exit code 2. */
export class ConfigError extends SimpleCmError<'invalid-config'> {
  override readonly name = 'ConfigError';
  readonly code = 'invalid-config' as const;
}

export function zodIssues(error: z.ZodError, label: (path: PropertyKey[]) => string): string {
  return error.issues.map((i) => `${label(i.path)}: ${i.message}`).join('\n');
}
