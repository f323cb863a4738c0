/** One literal shell word: single quotes, with each `'` spelled `'\''`. Any bytes but NUL survive. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
