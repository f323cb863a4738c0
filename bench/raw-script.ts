/**
 * The raw bound's command: the host's scripts in one shell script, sent as the exec request
 * itself (no stdin, no script file of its own). Each script runs the way SimpleCM's driver runs
 * an operation — sourced in a subshell of the shell (a fork, no new bash) with the module
 * contract's environment — and the shell prints `<exit> <changed>` per script. Nothing else: no
 * timeout, no output capture, no frames, no clean-up of the subshell's state — the least a
 * remote runner can do to run these scripts and know how each went.
 */
/** `text` as one single-quoted shell word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function rawCommand(scripts: readonly string[]): string {
  return [
    'set -u',
    '__c=/tmp/.simplecm-raw.$$ __s=/tmp/.simplecm-raw-script.$$',
    'export SIMPLECM_CHECK=0 SIMPLECM_CHANGES=$__c',
    '__op() {',
    '  : > "$__c"',
    '  printf "%s" "$1" > "$__s"',
    '  ( set +u --; . "$__s" ) < /dev/null > /dev/null 2>&1',
    '  local rc=$?',
    '  if [ -s "$__c" ]; then echo "$rc 1"; else echo "$rc 0"; fi',
    '}',
    ...scripts.map((s) => `__op ${shellQuote(s)}`),
    'exec rm -f -- "$__c" "$__s"',
    '',
  ].join('\n');
}

/** Exit codes and changed flags from the command's output. */
export function parseRawOutput(stdout: string): { ops: number; failed: number; changed: number } {
  let ops = 0;
  let failed = 0;
  let changed = 0;
  for (const line of stdout.split('\n')) {
    const m = /^(\d+) ([01])$/.exec(line.trim());
    if (!m) continue;
    ops++;
    if (m[1] !== '0') failed++;
    if (m[2] === '1') changed++;
  }
  return { ops, failed, changed };
}
