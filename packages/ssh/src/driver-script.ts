import { OUTPUT_LIMIT_BYTES, type RunMode } from '@simplecm/domain';
import { shellQuote } from '@simplecm/kernel';

/** Marks the header line of one operation's frame in the driver's stdout. */
export const FRAME_MARKER = '@@SIMPLECM@@';

/**
 * The exec command: saves the driver (sent on stdin) in a new private directory and runs it, so
 * operations get no stdin and bash reads the script in blocks rather than byte by byte from a
 * pipe (a 35 KB driver costs ~20 ms of host CPU from a pipe, ~6 ms from a file). The driver
 * keeps its working files in the same directory and removes it when it exits.
 */
export const DRIVER_COMMAND = '__d=$(mktemp -d "${TMPDIR:-/tmp}/simplecm.XXXXXXXX") && cat > "$__d/driver" && exec bash --noprofile --norc "$__d/driver"';

export interface DriverOperation {
  readonly seq: number;
  /** The full script: module prelude plus rendered body. */
  readonly script: string;
  readonly timeoutSeconds: number;
  /** Run through `sudo -n` as this user; the SSH user otherwise. */
  readonly become?: string;
  /**
   * A handler: run only if at least one of these earlier operations (by seq) reported a change
   * in this run; otherwise the driver writes a skipped frame for it. Absent: always run. Empty:
   * never run (its triggers are not in this run).
   */
  readonly whenChanged?: readonly number[];
}

export interface DriverOptions {
  readonly mode: RunMode;
  readonly keepGoing: boolean;
  readonly outputLimitBytes?: number;
}

/**
 * The exit field of a frame whose operation did not run because it is a handler none of whose
 * triggers changed anything (no output follows: all sizes are 0). Real exit codes are 0–255.
 */
export const HANDLER_SKIPPED_EXIT = -1;

/**
 * The one script a host receives on one exec channel. It runs the operations in order and after
 * each writes a frame to stdout: a header line, then stdout, stderr and the change list, each cut
 * to the output limit on the host. One round trip per host instead of one per operation, while
 * every operation keeps its own status, output and duration.
 *
 * Frame header: `@@SIMPLECM@@ seq exit startedMs durationMs outBytes errBytes changesBytes`
 * (full sizes; the payload that follows holds min(size, limit) bytes of each).
 *
 * Handlers: the driver remembers, in the array `__chg` indexed by seq, every operation that
 * exited 0 with a non-empty change list (status `changed`; in check mode, would change). An
 * operation with `whenChanged` runs only if one of its triggers is there; otherwise its frame
 * is `@@SIMPLECM@@ seq -1 startedMs 0 0 0 0` (HANDLER_SKIPPED_EXIT, nothing follows) and the
 * driver goes on as after a success. The decision is made on the host, in the same round trip.
 *
 * Host CPU is what a fleet-wide run spends most (a fork+exec costs ~1.5 ms, and a host runs
 * tens of operations), so the driver starts as few processes as it can:
 * - an operation of the SSH user runs in a subshell of the driver (a fork, no exec of a new
 *   bash), reset to a clean state: the driver's functions, variables, options and descriptors
 *   are gone, the contract's environment is set, and the script is sourced;
 * - its timeout is kept by one watchdog per host (a coprocess, started once) instead of one
 *   timeout(1) per operation: job control puts every operation in a process group of its own,
 *   and the watchdog signals that group as timeout(1) would (TERM, KILL 5 s later);
 * - the change list, text the prelude's simplecm_change wrote, is read with `read`, and stat/cat
 *   run only for an operation that printed something.
 * An operation run as another user (`become`) still goes through sudo, timeout(1) and a new
 * bash: the watchdog could not signal another user's processes.
 */
export function buildDriverScript(operations: readonly DriverOperation[], options: DriverOptions): string {
  const limit = options.outputLimitBytes ?? OUTPUT_LIMIT_BYTES;
  const lines = [
    'set -u',
    'export LC_ALL=C',
    // DRIVER_COMMAND saved this script as $__d/driver in a directory of its own.
    '__d=${0%/*}',
    'trap \'rm -rf -- "$__d"\' EXIT',
    `__check=${options.mode === 'check' ? 1 : 0}`,
    `__limit=${limit}`,
    // Seqs of the operations that changed something (see "Handlers" above).
    '__chg=()',
    // Milliseconds into $__now: a function that sets a variable, not $(__ms), which forks.
    '__ms() { local t=${EPOCHREALTIME/[.,]/}; __now=$(( t / 1000 )); }',
    // The watchdog reads "<process group> <seconds>" when an operation starts and any line when
    // it ends, and answers "ok", "timeout" (TERM sent) or "killed" (KILL sent too). If the driver
    // goes away while an operation runs, the operation is stopped rather than left behind.
    '__watch() {',
    '  local pid to msg rc',
    '  while read -r pid to; do',
    '    read -r -t "$to" msg; rc=$?',
    '    if (( rc == 0 )); then echo ok; continue; fi',
    '    kill -TERM -- "-$pid" 2> /dev/null',
    '    (( rc > 128 )) || exit 0',
    '    read -r -t 5 msg; rc=$?',
    '    if (( rc == 0 )); then echo timeout; continue; fi',
    '    kill -KILL -- "-$pid" 2> /dev/null',
    '    (( rc > 128 )) || exit 0',
    '    read -r msg || exit 0',
    '    echo killed',
    '  done',
    '}',
    'set -m',
    'coproc __wd { __watch; }',
    '__wr=${__wd[1]} __rd=${__wd[0]}',
    '__run() {',
    '  local seq=$1 to=$2 as=$3 t0 t1 sizes pid verdict',
    '  printf "%s" "$4" > "$__d/op.sh"',
    '  : > "$__d/changes"',
    '  __c=',
    '  __ms; t0=$__now',
    '  if [ -z "$as" ]; then',
    // bash closes the coprocess's descriptors in subshells itself.
    '    (',
    '      export SIMPLECM_CHECK=$__check SIMPLECM_CHANGES=$__d/changes',
    '      __op=$__d/op.sh',
    '      unset -f __run __ms __watch',
    '      unset -v seq to as t0 t1 sizes pid verdict __d __check __limit __now __wd __wd_PID __wr __rd __rc __c __chg',
    '      set +um --',
    '      trap - EXIT',
    '      . "$__op"',
    '    ) < /dev/null > "$__d/out" 2> "$__d/err" &',
    '    pid=$!',
    '    printf "%s %s\\n" "$pid" "$to" >&$__wr',
    '    wait "$pid"; __rc=$?',
    '    echo >&$__wr; read -r verdict <&$__rd',
    '    case $verdict in timeout) __rc=124 ;; killed) __rc=137 ;; esac',
    '  else',
    // The other user reads the script and appends to the change list; nothing else is shared.
    '    chmod 711 "$__d"; chmod 644 "$__d/op.sh"; chmod 666 "$__d/changes"',
    '    sudo -n -u "$as" -- env SIMPLECM_CHECK=$__check SIMPLECM_CHANGES="$__d/changes" timeout -k 5 "$to" bash --noprofile --norc "$__d/op.sh" < /dev/null > "$__d/out" 2> "$__d/err"',
    '    __rc=$?',
    '  fi',
    '  __ms; t1=$__now',
    '  if [ -s "$__d/out" ] || [ -s "$__d/err" ]; then',
    '    sizes=$(stat -c %s "$__d/out" "$__d/err" "$__d/changes")',
    '  elif [ -s "$__d/changes" ]; then',
    // Lines simplecm_change wrote: text without NUL bytes, so `read` takes all of it (LC_ALL=C:
    // ${#__c} counts bytes).
    "    IFS= read -r -d '' __c < \"$__d/changes\"",
    '    sizes="0 0 ${#__c}"',
    '  else',
    "    sizes='0 0 0'",
    '  fi',
    '  set -- $sizes',
    '  (( __rc == 0 && $3 > 0 )) && __chg[$seq]=1',
    `  printf '\\n${FRAME_MARKER} %s %s %s %s %s %s %s\\n' "$seq" "$__rc" "$t0" "$(( t1 - t0 ))" "$1" "$2" "$3"`,
    '  if [ -n "$__c" ]; then',
    '    printf "%s" "${__c:0:__limit}"',
    '  elif (( $1 <= __limit && $2 <= __limit && $3 <= __limit )); then',
    '    (( $1 + $2 + $3 > 0 )) && cat "$__d/out" "$__d/err" "$__d/changes"',
    '  else',
    '    head -c "$__limit" "$__d/out"; head -c "$__limit" "$__d/err"; head -c "$__limit" "$__d/changes"',
    '  fi',
    '  return 0',
    '}',
  ];
  for (const op of operations) {
    // Not `__run … || exit`: bash ignores `set -e` in everything a command on the left of `||`
    // runs, subshells included, and the operations rely on it. (The body of an `if` is not
    // such a place: a handler's `__run` keeps `set -e`.)
    const run = `__run ${op.seq} ${Math.max(1, Math.ceil(op.timeoutSeconds))} ${shellQuote(op.become ?? '')} ${shellQuote(op.script)}`;
    if (op.whenChanged === undefined) lines.push(run);
    else {
      const skip = `__ms; printf '\\n${FRAME_MARKER} %s ${HANDLER_SKIPPED_EXIT} %s 0 0 0 0\\n' ${op.seq} "$__now"; __rc=0`;
      const fired = op.whenChanged.map((seq) => `-n \${__chg[${seq}]-}`).join(' || ');
      lines.push(fired === '' ? skip : `if [[ ${fired} ]]; then ${run}; else ${skip}; fi`);
    }
    if (!options.keepGoing) lines.push('(( __rc == 0 )) || exit 0');
  }
  lines.push('exit 0', '');
  return lines.join('\n');
}
