/** Ends an exhaustive `switch`: the compiler refuses a case left out, and the runtime an unknown value. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
