/**
 * Whatever was thrown, as an Error: every `catch (error: unknown)` goes through this before it
 * reads `.message`. An Error is returned as it is; anything else becomes an Error whose message
 * is the thrown error's message, the string itself, or its JSON, and whose `cause` is the thrown value.
 */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  // An error from another realm (a vm context, as under jest) fails `instanceof Error`: keep its message.
  if (isErrorLike(value)) return new Error(value.message, { cause: value });
  return new Error(typeof value === 'string' ? value : describe(value), { cause: value });
}

/** `coerceError(value).message`: for log lines. */
export function errorMessage(value: unknown): string {
  return coerceError(value).message;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isErrorLike(value: unknown): value is { readonly message: string } {
  return typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object Error]' && typeof (value as { message?: unknown }).message === 'string';
}
