import { OUTPUT_LIMIT_BYTES, type RunMode } from '@simplecm/domain';
import { randomBytes } from 'node:crypto';
import { shellQuote } from '@simplecm/kernel';
import { journalDriverLines, journalLauncherLines, journalStep } from './host-journal';

/**
 * A new marker for the header lines of one driver run's frames: random per host job, so nothing
 * an operation prints, or a file on the host holds, can pass for a frame header.
 */
export function newFrameMarker(): string {
  return `@@SIMPLECM-${randomBytes(16).toString('hex')}@@`;
}

/** What a frame marker looks like (the parser refuses anything else). */
export const FRAME_MARKER_PATTERN = /^@@SIMPLECM-[0-9a-f]{32}@@$/;

/**
 * The exec command: saves the driver (sent on stdin) in a new private directory and runs it, so
 * operations get no stdin and bash reads the script in blocks rather than byte by byte from a
 * pipe (a 35 KB driver costs ~20 ms of host CPU from a pipe, ~6 ms from a file). The script
 * (the launcher, see host-journal.ts) removes that directory when it exits; the driver it starts
 * keeps its working files in the host job's journal directory, 0700 as well.
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
  /** The header marker of this run's frames (newFrameMarker), the same the parser is given. */
  readonly marker: string;
  readonly keepGoing: boolean;
  readonly outputLimitBytes?: number;
  /** The host job's journal directory name (journalKey(runId, hostname)): the same on every delivery. */
  readonly journalKey: string;
  /** The journal root on the host. @defaultValue by user: /var/lib/simplecm/journal for root, ~/.simplecm/journal otherwise (tests set their own) */
  readonly journalRoot?: string;
  /**
   * Shell functions every operation may call (the module helpers, MODULE_FUNCTIONS): defined once
   * at the top of the driver, so each operation's subshell inherits them and its script carries
   * only its own text; put before the script of an operation run as another user (a new bash).
   */
  readonly functions?: string;
}

/**
 * How far past the output limit a file the driver keeps an operation's stdout or stderr in may
 * grow before the watchdog first cuts it (saving its first bytes takes a process): an operation
 * that prints a little more than the limit starts none.
 */
export const CAP_SLACK_BYTES = 1024 * 1024;

/**
 * The exit field of a frame whose operation did not run because it is a handler none of whose
 * triggers changed anything (no output follows: all sizes are 0). Real exit codes are 0–255.
 */
export const HANDLER_SKIPPED_EXIT = -1;

/**
 * Runs one operation as the `become` user (through sudo): reads the script from stdin (to EOF, so
 * the descriptor's offset ends up just past it), saves it in a private directory of that user,
 * runs it under timeout(1) with an empty stdin, then appends the change list to stdin's
 * descriptor and exits with the operation's code.
 */
const BECOME_WRAPPER = [
  // mktemp -d makes the directory 0700, so what is inside needs no umask of its own (and the
  // operation keeps the umask it would have had).
  "IFS= read -r -d '' __s",
  '__p=$(mktemp -d "${TMPDIR:-/tmp}/simplecm.XXXXXXXX") || exit 125',
  `trap 'rm -rf -- "$__p"' EXIT`,
  'printf "%s" "$__s" > "$__p/op.sh"; unset __s',
  ': > "$__p/changes"',
  'SIMPLECM_CHECK=$2 SIMPLECM_CHANGES=$__p/changes timeout -k 5 "$1" bash --noprofile --norc "$__p/op.sh" < /dev/null',
  '__rc=$?',
  'cat -- "$__p/changes" >&0',
  'exit "$__rc"',
].join('\n');

/**
 * The one script a host receives on one exec channel. It runs the operations in order and after
 * each writes a frame to stdout: a header line, then stdout, stderr and the change list, each cut
 * to the output limit on the host. One round trip per host instead of one per operation, while
 * every operation keeps its own status, output and duration.
 *
 * Frame header: `MARKER seq exit startedMs durationMs outBytes errBytes changesBytes`
 * (full sizes; the payload that follows holds exactly min(size, limit) bytes of each, read with
 * `head -c` by the size measured, never more, even if a file grows after it was measured).
 *
 * Sealing: the driver's directory (mktemp -d) stays 0700 for the whole run and only the SSH user
 * (and root) can reach anything in it. An operation run as another user (`become`) gets its
 * script on stdin (a descriptor of op.sh opened read-write by the driver, which sudo passes
 * through) and a private directory of its own, made by that user with mktemp -d; after the
 * operation the wrapper appends the change list to the same descriptor, past the script, where
 * the driver reads it. Nothing of the run is ever readable or writable by a third user, and no
 * script or attribute value is ever a command-line argument (only the fixed wrapper is).
 *
 * Handlers: the driver remembers, in the array `__chg` indexed by seq, every operation that
 * exited 0 with a non-empty change list (status `changed`; in check mode, would change). An
 * operation with `whenChanged` runs only if one of its triggers is there; otherwise its frame
 * is `MARKER seq -1 startedMs 0 0 0 0` (HANDLER_SKIPPED_EXIT, nothing follows) and the
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
  if (!FRAME_MARKER_PATTERN.test(options.marker)) throw new Error('buildDriverScript: the frame marker must come from newFrameMarker()');
  const lines = [
    'set -u',
    'export LC_ALL=C',
    // Run by DRIVER_COMMAND, the script is the launcher: it finds or starts this host job's
    // driver (the same script, detached, with the argument `drive`), waits for it and sends its
    // frames; as the driver, it keeps its working files in the host job's journal directory.
    ...journalLauncherLines(options, operations.map((op) => op.seq)),
    ...journalDriverLines(),
    // The module helpers, defined once for every operation of the driver (not the launcher's).
    ...(options.functions ? [options.functions.replace(/\n$/, '')] : []),
    // The same text as a word, only when an operation runs as another user and needs it.
    `__fns=${operations.some((op) => op.become) && options.functions ? shellQuote(options.functions) : "''"}`,
    `__check=${options.mode === 'check' ? 1 : 0}`,
    `__limit=${limit} __slack=${CAP_SLACK_BYTES} __rt=0`,
    // Seqs of the operations that changed something (see "Handlers" above).
    '__chg=()',
    // Milliseconds into $__now: a function that sets a variable, not $(__ms), which forks.
    '__ms() { local t=${EPOCHREALTIME/[.,]/}; __now=$(( t / 1000 )); }',
    // Cuts the file $1 (out or err) the watchdog found past the limit: the first time ($2, what
    // was cut from it so far, is 0) its first bytes are saved in $1.head (`head`, one process,
    // once per stream of an operation that prints that much), then it is emptied by a redirection
    // of the watchdog (no process: a truncate to 0 in the kernel, during which the operation's
    // writes wait on the file's lock). At the host job's first cut a watchdog run by root makes
    // itself real-time (`chrt -f 1`, once; it sleeps between ticks): otherwise it waits for a CPU
    // with the writer, whose session's share the writer spends (autogroup scheduling), 10-120 ms
    // a tick on a loaded machine, ~0 real-time.
    '__cut() {',
    '  if (( $2 == 0 )); then',
    '    (( __rt )) || { __rt=1; (( EUID == 0 )) && chrt -f -p 1 "$BASHPID" 2> /dev/null; }',
    '    head -c "$__limit" -- "$__d/$1" > "$__d/$1.head" || return 1',
    '  fi',
    '  : > "$__d/$1"',
    '}',
    // The watchdog, one per host job (a coprocess, started once). When an operation starts it reads
    // "<process group> <seconds> <out fd> <err fd>" (process group 0: run as another user, whose
    // timeout timeout(1) keeps), and any line when it ends; it answers "<verdict> <out cut>
    // <err cut>": verdict ok, timeout (TERM sent) or killed (KILL sent 5 s later too), and how many
    // bytes it cut from each stream. While the operation runs it reads, every tick, the position
    // of the driver's descriptors of the operation's stdout and stderr files (opened O_APPEND and
    // shared with the operation, so the position is where the file ends) from /proc, a read, no
    // process. A file past the output limit plus CAP_SLACK_BYTES is cut (__cut): its first bytes
    // saved, then emptied; from then on emptied at every tick that finds it past the limit. The
    // operation goes on with its exit status untouched. Ticks: 10 ms while a file grows, then
    // 20, 50 and 100 ms after one, two and three ticks in which neither grew (an operation that
    // starts printing soon after it started is seen within 10-20 ms, not after a 100 ms nap). If
    // the driver goes away while an operation runs, the operation is stopped, not left behind.
    '__watch() {',
    '  local pid to of ef msg end stage od ed po pe k s t q',
    '  local -a says=(ok timeout killed) naps=(0.01 0.02 0.05 0.1)',
    '  while read -r pid to of ef; do',
    '    t=${EPOCHREALTIME/[.,]/}; end=$(( t / 1000 + to * 1000 )) stage=0 od=0 ed=0 po=0 pe=0 q=0',
    '    (( pid > 0 )) || end=-1',
    '    while :; do',
    '      if read -t 0; then',
    '        read -r msg && break',
    '        (( pid > 0 )) && kill -TERM -- "-$pid" 2> /dev/null; exit 0',
    '      fi',
    '      read -r -N 1 -t "${naps[q]}" -u "$__wk" k',
    '      read -t 0 && continue',
    '      (( q < 3 )) && (( ++q ))',
    '      if read -r k s < "/proc/$$/fdinfo/$of" && (( s != po )); then',
    '        q=0 po=$s',
    '        (( s > __limit + (od ? 0 : __slack) )) && __cut out "$od" && (( od += s ))',
    '      fi',
    '      if read -r k s < "/proc/$$/fdinfo/$ef" && (( s != pe )); then',
    '        q=0 pe=$s',
    '        (( s > __limit + (ed ? 0 : __slack) )) && __cut err "$ed" && (( ed += s ))',
    '      fi',
    '      t=${EPOCHREALTIME/[.,]/}',
    '      (( end < 0 || t / 1000 < end )) && continue',
    '      if (( stage == 0 )); then kill -TERM -- "-$pid" 2> /dev/null; stage=1 end=$(( t / 1000 + 5000 ))',
    '      else kill -KILL -- "-$pid" 2> /dev/null; stage=2 end=-1; fi',
    '    done',
    '    echo "${says[stage]} $od $ed"',
    '  done 2> /dev/null',
    '}',
    // Ticks are naps on the wake-up pipe (a pipe opened read-write: never EOF), and the command
    // pipe is only read once `read -t 0` says a line is there: bash 5.2 can lose a byte of a pipe
    // whose `read -t` times out just as it arrives (losing a wake-up byte costs one tick, never
    // a line). The driver writes a byte to it after the end line, so a nap ends with the operation.
    'exec {__wk}<> <(:)',
    'set -m',
    'coproc __wd { __watch; }',
    '__wr=${__wd[1]} __rd=${__wd[0]}',
    // The wrapper of an operation run as another user (argv: timeout, check flag; script on
    // stdin). It must keep the operation's stdin empty and its files private to that user.
    `__asw=${shellQuote(BECOME_WRAPPER)}`,
    '__run() {',
    '  local seq=$1 to=$2 as=$3 t0 t1 sizes pid pg verdict od ed so=out se=err',
    '  printf "%s%s" "${as:+$__fns}" "$4" > "$__d/op.sh"',
    '  : > "$__d/changes"; : > "$__d/out"',
    // The operation that ran when a driver of this host job ended without finishing runs again:
    // its stderr says so first.
    `  if (( seq == __int )); then printf '%s\\n' "$__intr" > "$__d/err"; else : > "$__d/err"; fi`,
    // Appending descriptors, held by the driver while the operation runs (the watchdog reads
    // their position, see __watch) and given to it as stdout and stderr.
    '  exec {__o}>> "$__d/out" {__e}>> "$__d/err"',
    '  __c=',
    '  __ms; t0=$__now',
    '  if [ -z "$as" ]; then',
    // bash closes the coprocess's descriptors in subshells itself.
    '    (',
    '      export SIMPLECM_CHECK=$__check SIMPLECM_CHANGES=$__d/changes',
    '      __op=$__d/op.sh',
    // The journal's lock stays with the driver: an operation (or a daemon it starts) must not hold it.
    '      exec {__lk}>&- {__o}>&- {__e}>&- {__wk}>&-',
    '      unset -f __run __ms __watch __cut __replay __end',
    '      unset -v seq to as t0 t1 sizes pid pg verdict od ed so se __d __check __limit __now __wd __wd_PID __wr __rd __rc __c __chg __fns __asw __lk __j __r __key __mk __ok __s __o __e __int __intr __slack __rt __wk',
    '      trap - HUP',
    // Nor the launcher's wake-up pipe (host-journal.ts).
    '      exec {__nt}>&-; unset -f __tell; unset -v __nt __nn',
    '      set +um --',
    '      trap - EXIT',
    '      . "$__op"',
    '    ) < /dev/null >&$__o 2>&$__e &',
    '    pid=$! pg=$!',
    '  else',
    // The script reaches the other user on stdin only (op.sh stays 0600 in the 0700 directory);
    // the wrapper appends the change list to the same descriptor, which the driver copies out.
    // Its timeout is timeout(1)'s (the watchdog only caps its output: process group 0).
    '    sudo -n -u "$as" -- bash --noprofile --norc -c "$__asw" simplecm "$to" "$__check" 0<> "$__d/op.sh" >&$__o 2>&$__e &',
    '    pid=$! pg=0',
    '  fi',
    '  printf "%s %s %s %s\\n" "$pg" "$to" "$__o" "$__e" >&$__wr',
    '  wait "$pid"; __rc=$?',
    '  echo >&$__wr; printf x >&$__wk; read -r verdict od ed <&$__rd',
    '  exec {__o}>&- {__e}>&-',
    '  case $verdict in timeout) __rc=124 ;; killed) __rc=137 ;; esac',
    '  [ -z "$as" ] || tail -c "+$(( ${#__fns} + ${#4} + 1 ))" "$__d/op.sh" > "$__d/changes"',
  '  __ms; t1=$__now',
    // (A file the watchdog cut may be empty: what it cut is output all the same.)
    '  if (( od + ed > 0 )) || [ -s "$__d/out" ] || [ -s "$__d/err" ]; then',
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
    // A stream the watchdog cut: its size is what the file holds plus what was cut (more than the
    // limit, so the result says it was cut; at least the full size, bytes written in the instant
    // of a cut are not counted).
    '  (( od + ed == 0 )) || set -- "$(( $1 + od ))" "$(( $2 + ed ))" "$3"',
    // A stream the watchdog cut: its first bytes are in its .head file.
    '  (( od == 0 )) || so=out.head; (( ed == 0 )) || se=err.head',
    '  (( __rc == 0 && $3 > 0 )) && __chg[$seq]=1',
    `  printf '\\n%s %s %s %s %s %s %s %s\\n' "$__mk" "$seq" "$__rc" "$t0" "$(( t1 - t0 ))" "$1" "$2" "$3"`,
    '  if [ -n "$__c" ]; then',
    '    printf "%s" "${__c:0:__limit}"',
    '  else',
    // Exactly the measured size (at most the limit) of each file: a file that grew since it was
    // measured must not spill into the stream where the parser expects the next header.
    '    (( $1 > 0 )) && head -c "$(( $1 < __limit ? $1 : __limit ))" "$__d/$so"',
    '    (( $2 > 0 )) && head -c "$(( $2 < __limit ? $2 : __limit ))" "$__d/$se"',
    '    (( $3 > 0 )) && head -c "$(( $3 < __limit ? $3 : __limit ))" "$__d/changes"',
    '  fi',
    '  return 0',
    '}',
  ];
  for (const op of operations) {
    // Not `__run … || exit`: bash ignores `set -e` in everything a command on the left of `||`
    // runs, subshells included, and the operations rely on it. (The body of an `if` is not
    // such a place: a handler's `__run` keeps `set -e`.)
    const run = `__run ${op.seq} ${Math.max(1, Math.ceil(op.timeoutSeconds))} ${shellQuote(op.become ?? '')} ${shellQuote(op.script)}`;
    if (op.whenChanged === undefined) lines.push(journalStep(op.seq, run));
    else {
      const skip = `__ms; printf '\\n%s %s ${HANDLER_SKIPPED_EXIT} %s 0 0 0 0\\n' "$__mk" ${op.seq} "$__now"; __rc=0`;
      const fired = op.whenChanged.map((seq) => `-n \${__chg[${seq}]-}`).join(' || ');
      lines.push(journalStep(op.seq, fired === '' ? skip : `if [[ ${fired} ]]; then ${run}; else ${skip}; fi`));
    }
    if (!options.keepGoing) lines.push('(( __rc == 0 )) || __end 0');
  }
  lines.push('__end 0', '');
  return lines.join('\n');
}
