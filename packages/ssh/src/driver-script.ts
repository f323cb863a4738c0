import { OUTPUT_LIMIT_BYTES, type RunMode } from '@simplecm/domain';
import { shellQuote } from './shell-quote';

/** Marks the header line of one operation's frame in the driver's stdout. */
export const FRAME_MARKER = '@@SIMPLECM@@';

/**
 * The exec command: saves the driver (sent on stdin) to a file and runs it, so operations get
 * no stdin and bash reads the script in blocks rather than byte by byte from a pipe.
 */
export const DRIVER_COMMAND = '__f=$(mktemp "${TMPDIR:-/tmp}/simplecm-driver.XXXXXXXX") && cat > "$__f" && exec bash --noprofile --norc "$__f"';

export interface DriverOperation {
  readonly seq: number;
  /** The full script: module prelude plus rendered body. */
  readonly script: string;
  readonly timeoutSeconds: number;
  /** Run through `sudo -n` as this user; the SSH user otherwise. */
  readonly become?: string;
}

export interface DriverOptions {
  readonly mode: RunMode;
  readonly keepGoing: boolean;
  readonly outputLimitBytes?: number;
}

/**
 * The one script a host receives on one exec channel. It runs the operations in order, each in
 * its own `bash` under `timeout` (so a hung module is killed on the host itself), and after each
 * writes a frame to stdout: a header line, then stdout, stderr and the change list, each cut to
 * the output limit on the host. One round trip per host instead of one per operation, while
 * every operation keeps its own status, output and duration.
 *
 * Frame header: `@@SIMPLECM@@ seq exit startedMs durationMs outBytes errBytes changesBytes`
 * (full sizes; the payload that follows holds min(size, limit) bytes of each).
 */
export function buildDriverScript(operations: readonly DriverOperation[], options: DriverOptions): string {
  const limit = options.outputLimitBytes ?? OUTPUT_LIMIT_BYTES;
  const lines = [
    'set -u',
    'export LC_ALL=C',
    // The driver was saved to a temporary file by DRIVER_COMMAND; bash keeps it open.
    'rm -f -- "$0"',
    '__d=$(mktemp -d "${TMPDIR:-/tmp}/simplecm.XXXXXXXX") || { echo "simplecm: mktemp failed" >&2; exit 97; }',
    'trap \'rm -rf -- "$__d"\' EXIT',
    `__check=${options.mode === 'check' ? 1 : 0}`,
    `__limit=${limit}`,
    // Milliseconds into $__now: a function that sets a variable, not $(__ms), which forks.
    '__ms() { local t=${EPOCHREALTIME/[.,]/}; __now=$(( t / 1000 )); }',
    '__run() {',
    '  local seq=$1 to=$2 as=$3 rc t0 t1 sizes',
    '  printf "%s" "$4" > "$__d/op.sh"',
    '  : > "$__d/changes"',
    '  __ms; t0=$__now',
    '  if [ -z "$as" ]; then',
    '    SIMPLECM_CHECK=$__check SIMPLECM_CHANGES="$__d/changes" timeout -k 5 "$to" bash --noprofile --norc "$__d/op.sh" < /dev/null > "$__d/out" 2> "$__d/err"',
    '  else',
    // The other user reads the script and appends to the change list; nothing else is shared.
    '    chmod 711 "$__d"; chmod 644 "$__d/op.sh"; chmod 666 "$__d/changes"',
    '    sudo -n -u "$as" -- env SIMPLECM_CHECK=$__check SIMPLECM_CHANGES="$__d/changes" timeout -k 5 "$to" bash --noprofile --norc "$__d/op.sh" < /dev/null > "$__d/out" 2> "$__d/err"',
    '  fi',
    '  rc=$?',
    '  __ms; t1=$__now',
    // stat (a process) only when the operation wrote something: a quiet, unchanged operation,
    // the usual idempotent case, costs no process beyond its own.
    '  if [ -s "$__d/out" ] || [ -s "$__d/err" ] || [ -s "$__d/changes" ]; then',
    '    sizes=$(stat -c %s "$__d/out" "$__d/err" "$__d/changes")',
    '  else',
    "    sizes='0 0 0'",
    '  fi',
    '  set -- $sizes',
    `  printf '\\n${FRAME_MARKER} %s %s %s %s %s %s %s\\n' "$seq" "$rc" "$t0" "$(( t1 - t0 ))" "$1" "$2" "$3"`,
    '  if (( $1 <= __limit && $2 <= __limit && $3 <= __limit )); then',
    '    (( $1 + $2 + $3 > 0 )) && cat "$__d/out" "$__d/err" "$__d/changes"',
    '  else',
    '    head -c "$__limit" "$__d/out"; head -c "$__limit" "$__d/err"; head -c "$__limit" "$__d/changes"',
    '  fi',
    '  return $rc',
    '}',
  ];
  for (const op of operations) {
    const call = `__run ${op.seq} ${Math.max(1, Math.ceil(op.timeoutSeconds))} ${shellQuote(op.become ?? '')} ${shellQuote(op.script)}`;
    lines.push(options.keepGoing ? call : `${call} || exit 0`);
  }
  lines.push('exit 0', '');
  return lines.join('\n');
}
