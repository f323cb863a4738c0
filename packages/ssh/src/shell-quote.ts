/** One literal shell word: single quotes, with each `'` spelled `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
