import { createHash } from 'node:crypto';
import { shellQuote } from '@simplecm/kernel';

/**
 * The host journal: what the driver keeps on the host, per run and host job, so that a host job
 * delivered again (its worker died, its connection was lost) picks up where the first delivery
 * stands instead of running operations a second time.
 *
 * Layout, under a root directory only its owner can reach (JOURNAL_ROOT_SH, checked 0700 and
 * owned by the SSH user before use), one directory per host job named by `journalKey`:
 *   marker   the frame marker of the journal's frames (the first delivery's)
 *   lock     held (flock) by the driver for as long as it runs: free = no driver alive
 *   pid      the driver's pid (to stop it at the host deadline)
 *   current  the seq of the operation last started
 *   f.<seq>  the complete frame of an operation (written before its seq is listed in `done`)
 *   done     the seqs whose frames are complete, one a line, in order
 *   end      the driver's exit code, written when it finished (not when it died)
 *   diag     what the driver printed on stderr
 * plus the driver's working files (op.sh, out, err, changes, and out.head / err.head: the first
 * bytes of a stream the output cap emptied). See driver-script.ts for who writes what and when.
 */

/** The journal directory's name for one host job: the same on every delivery of it, hex only. */
export function journalKey(runId: string, hostname: string): string {
  return createHash('sha256').update(`${runId}\0${hostname}`).digest('hex').slice(0, 32);
}

const JOURNAL_KEY_PATTERN = /^[0-9a-f]{32}$/;

/**
 * Journals older than this (minutes since their directory last changed) are removed by a later
 * driver on the host: one driver in EXPIRY_SWEEP_ODDS looks for them when it ends.
 */
export const JOURNAL_EXPIRY_MINUTES = 24 * 60;

/** 1 in this many drivers sweeps expired journals (the sweep's test runs drivers until one did). */
export const EXPIRY_SWEEP_ODDS = 16;

/**
 * Shell that sets `__r` to the journal root: `override` if given (tests), else
 * /var/lib/simplecm/journal for root and ~/.simplecm/journal for another SSH user.
 */
export function journalRootShell(override?: string): string {
  if (override !== undefined) return `__r=${shellQuote(override)}`;
  return 'if [ "$EUID" = 0 ]; then __r=/var/lib/simplecm/journal; else __r=$HOME/.simplecm/journal; fi';
}

function journalDirShell(key: string, rootOverride?: string): string {
  if (!JOURNAL_KEY_PATTERN.test(key)) throw new Error('the journal key must come from journalKey()');
  return `${journalRootShell(rootOverride)}; __j=$__r/${key}`;
}

/**
 * Removes a host job's journal: run once its result is handed to the result stream. Removing a
 * journal that is not there is not an error.
 */
export function forgetJournalCommand(key: string, rootOverride?: string): string {
  // `exec`: the shell sshd started for this command becomes rm instead of forking it.
  return `${journalDirShell(key, rootOverride)}; [ -d "$__j" ] && [ ! -L "$__j" ] || exit 0; exec rm -rf -- "$__j"`;
}

/**
 * Stops a host job's driver (the host deadline passed): its journal is marked finished with exit
 * 124 first, so nothing resumes it, then the driver gets TERM (its watchdog stops the operation
 * that runs). The worker's channel then receives the frames of what finished.
 */
export function stopDriverCommand(key: string, rootOverride?: string): string {
  return `${journalDirShell(key, rootOverride)}; [ -d "$__j" ] && [ ! -L "$__j" ] && [ -s "$__j/pid" ] || exit 0; [ -e "$__j/end" ] || echo 124 > "$__j/end"; read -r __p < "$__j/pid" && kill -TERM -- "$__p" 2> /dev/null; exit 0`;
}

/**
 * How long the launcher sleeps on its wake-up pipe before it looks at the `done` list and the
 * driver anyway: the driver writes a byte to the pipe after each frame it completes and when it
 * ends, so this only matters for a driver that died without saying so (killed, host deadline)
 * or a byte bash lost (see __watch in driver-script.ts).
 */
const FRAME_POLL_SECONDS = 0.2;

/**
 * At most this many bytes are written to the launcher's wake-up pipe by one driver (one per
 * frame, then `e`): a pipe holds at least one page (a user past pipe-user-pages-soft gets only
 * that), and a driver whose launcher is gone must never block on it. Past it the launcher finds
 * the frames by FRAME_POLL_SECONDS.
 */
const WAKE_BYTES_MAX = 4000;

/**
 * The first line of the stderr of an operation that was running when an earlier driver of its
 * host job ended without finishing (the host restarted, the driver was killed): it ran again.
 * `simplecm results --host` shows it in the operation's stderr.
 */
export const INTERRUPTED_NOTE = 'simplecm: this operation was running when the host job\'s driver ended without finishing (host restarted?); its outcome was never known, so it ran again';

/** What the launcher needs of the driver's options (driver-script.ts). */
interface JournalScriptOptions {
  readonly marker: string;
  readonly journalKey: string;
  readonly journalRoot?: string;
}

/**
 * The launcher: the part of the driver script that runs on the SSH channel (from the private
 * directory DRIVER_COMMAND made, which it removes when it ends). It
 * 1. checks the journal root (a directory of the SSH user, mode 0700, not a link), making it
 *    if missing with umask 077;
 * 2. for this host job's journal: none yet → creates it (0700) with this delivery's marker and
 *    starts the driver; finished (`end`) → nothing to run; a driver holds the lock → waits for it;
 *    no driver and not finished (the host restarted, or the driver was killed) → starts the
 *    driver again, which runs only the operations that have no complete frame (the one that
 *    was interrupted runs again: its outcome was never known);
 * 3. writes the journal's marker on the first line, then each complete frame as the driver
 *    completes it (in the order they completed: operation order), the driver's stderr on
 *    stderr, and exits with the driver's exit code (1 if it died). It sleeps on a pipe the
 *    driver it started writes a byte to after each frame and when it ends, so it wakes when
 *    there is something to send, not on a timer, and sends a frame that is short text (an
 *    operation that printed little) with builtins, without a process.
 * The driver is started with setsid (a session of its own) and a bash of its own that reads the
 * same script with the argument `drive` (top-level code, read as it runs: a driver of thousands
 * of operations never holds them all parsed at once), its stdin and stdout away from the
 * channel: a lost connection ends the launcher (SIGPIPE) but not the driver. (A systemd-logind
 * with KillUserProcesses=yes ends every process of a session's scope when it closes, setsid or
 * not: keep it off on managed hosts, the default on Debian and RHEL.)
 */
export function journalLauncherLines(options: JournalScriptOptions, seqs: readonly number[]): string[] {
  if (!JOURNAL_KEY_PATTERN.test(options.journalKey)) throw new Error('the journal key must come from journalKey()');
  const marker = shellQuote(options.marker);
  return [
    journalRootShell(options.journalRoot),
    `__key=${options.journalKey}`,
    'if [ "${1-}" != drive ]; then',
    '  __d=${0%/*}',
    '  trap \'rm -rf -- "$__d"\' EXIT',
    '  if [ ! -d "$__r" ]; then (umask 077 && mkdir -p -- "$__r") || exit 125; fi',
    '  if [ -L "$__r" ] || [ ! -O "$__r" ] || [ "$(stat -c %a -- "$__r")" != 700 ]; then',
    '    echo "simplecm: the journal directory $__r must belong to the SSH user, with mode 0700" >&2; exit 125',
    '  fi',
    '  __j=$__r/$__key __start=',
    '  if mkdir -m 0700 -- "$__j" 2> /dev/null; then',
    `    printf '%s\\n' ${marker} > "$__j/marker"; : > "$__j/done"; __start=1`,
    '  elif [ -L "$__j" ] || [ ! -d "$__j" ] || [ ! -O "$__j" ]; then',
    '    echo "simplecm: the journal $__j does not belong to the SSH user" >&2; exit 125',
    '  elif [ -e "$__j/end" ]; then',
    '    :',
    '  elif flock -n "$__j/lock" true; then',
    `    [ -s "$__j/marker" ] || printf '%s\\n' ${marker} > "$__j/marker"`,
    '    [ -e "$__j/done" ] || : > "$__j/done"',
    '    __cur=; [ -s "$__j/current" ] && read -r __cur < "$__j/current"',
    '    echo "simplecm: the driver of this host job ended without finishing (host restarted?)${__cur:+ while operation $__cur ran}; operations without a complete frame run again" >> "$__j/diag"',
    '    __start=1',
    '  else',
    '    flock "$__j/lock" true',
    '  fi',
    '  __dp= __nt=',
    '  if [ -n "$__start" ]; then',
    // The wake-up pipe (opened read-write: never EOF, and a driver whose launcher is gone still
    // writes to a pipe with a reader, its own copy): the driver, given its descriptor, writes a
    // byte to it after each frame it completes and `e` when it ends (see journalDriverLines).
    '    exec {__nt}<> <(:)',
    '    setsid bash --noprofile --norc "$0" drive "$__nt" < /dev/null > /dev/null 2>> "$__j/diag" &',
    '    __dp=$!',
    '  fi',
    '  read -r __mk < "$__j/marker" || exit 125',
    '  printf \'%s\\n\' "$__mk"',
    // Each frame is sent once its line is in `done` (complete), while the driver still runs, so
    // the worker sees each operation as it finishes; a last pass after the driver ended. A pass
    // runs when the driver says a frame is complete (a byte on the wake-up pipe), not on a timer.
    // A frame of text under 4 KiB (`read -d ''` reaches the end without a NUL byte: an operation
    // that printed nothing or little) goes out with printf, no process; the others of a pass in
    // one `cat`, in order.
    `  __want=(); for __s in ${seqs.join(' ')}; do __want[__s]=1; done`,
    '  __sent=0 __ended=',
    '  while :; do',
    '    __live=; [ -z "$__dp" ] || [ -n "$__ended" ] || ! kill -0 "$__dp" 2> /dev/null || __live=1',
    '    mapfile -t __dl < "$__j/done"',
    '    __fs=()',
    '    for (( ; __sent < ${#__dl[@]}; __sent++ )); do',
    '      __s=${__dl[__sent]}; [[ -n ${__want[__s]-} ]] || continue',
    "      __fr=; if IFS= read -r -d '' -n 4096 __fr < \"$__j/f.$__s\"; then __fs+=(\"$__j/f.$__s\"); continue; fi",
    '      (( ${#__fs[@]} == 0 )) || { cat -- "${__fs[@]}"; __fs=(); }',
    '      printf %s "$__fr"',
    '    done',
    '    (( ${#__fs[@]} == 0 )) || cat -- "${__fs[@]}"',
    '    [ -n "$__live" ] || break',
    // One byte, then whatever else is there already (`read -t 0` first: see __watch on pipes).
    `    __x=; read -r -N 1 -t ${FRAME_POLL_SECONDS} -u "$__nt" __x || :`,
    '    while [ "$__x" != e ] && read -t 0 -u "$__nt"; do read -r -N 1 -u "$__nt" __x || break; done',
    '    [ "$__x" != e ] || __ended=1',
    '  done',
    '  [ -z "$__dp" ] || wait "$__dp" || :',
    '  [ ! -s "$__j/diag" ] || cat -- "$__j/diag" >&2',
    '  __rc=; [ ! -e "$__j/end" ] || read -r __rc < "$__j/end"',
    '  [ -n "$__rc" ] || { echo "simplecm: the driver ended without finishing" >&2; exit 1; }',
    '  exit "$__rc"',
    'fi',
  ];
}

/**
 * The driver's prologue (argument `drive`): takes the journal's lock for as long as it runs (a
 * second driver of the same host job leaves at once), records its pid, reads the journal's
 * marker and which operations already have a complete frame. `__replay` restores what an
 * operation that finished before reported (its exit code, whether it changed something: the
 * handlers and the stop after a failure depend on them); `__end` records the exit code, starts
 * removing expired journals (sometimes, in the background, without the lock) and exits.
 */
export function journalDriverLines(): string[] {
  return [
    '__j=$__r/$__key __d=$__r/$__key',
    'exec {__lk}>> "$__j/lock" || exit 125',
    'flock -n "$__lk" || exit 0',
    // The launcher's wake-up pipe (its descriptor is argument 2; none: /dev/null): `__tell`
    // writes a byte to it, at most WAKE_BYTES_MAX in all (it never blocks).
    `__nn=0; if [[ \${2-} =~ ^[0-9]+$ ]]; then __nt=$2; else exec {__nt}> /dev/null; fi`,
    `__tell() { (( __nn++ < ${WAKE_BYTES_MAX} )) && printf %s "$1" >&"$__nt"; return 0; }`,
    // SIGHUP changes nothing (a handler, not an ignored signal: what the driver starts gets the default).
    'trap : HUP',
    'echo "$$" > "$__j/pid"',
    'read -r __mk < "$__j/marker" || exit 125',
    '__ok=(); while read -r __s; do __ok[__s]=1; done < "$__j/done"',
    // The operation that was running when an earlier driver of this host job ended without
    // finishing (`current` without a complete frame): it runs again, and its stderr says why first.
    `__intr=${shellQuote(INTERRUPTED_NOTE)}`,
    '__int=-1; [ ! -s "$__j/current" ] || read -r __int < "$__j/current" || __int=-1',
    '[[ $__int =~ ^[0-9]+$ && -z ${__ok[__int]-} ]] || __int=-1',
    '__replay() {',
    '  local m s t0 ms o e c',
    '  { read -r m; read -r m s __rc t0 ms o e c; } < "$__j/f.$1"',
    '  (( __rc >= 0 )) || __rc=0',
    '  (( __rc != 0 || c == 0 )) || __chg[$1]=1',
    '}',
    '__end() {',
    '  echo "$1" > "$__j/end"',
    // One driver in EXPIRY_SWEEP_ODDS looks (a find costs a fork and a walk of the root).
    `  if (( RANDOM % ${EXPIRY_SWEEP_ODDS} == 0 )); then ( exec {__lk}>&-; find "$__r" -mindepth 1 -maxdepth 1 -type d -mmin +${JOURNAL_EXPIRY_MINUTES} -exec flock -n {}/lock rm -rf -- {} \\; ) < /dev/null > /dev/null 2>&1 & fi`,
    '  __tell e',
    '  exit "$1"',
    '}',
  ];
}

/**
 * One operation's step in the driver: replayed if the journal has its frame, else run with its
 * frame written to `f.<seq>` and listed in `done` once complete.
 */
export function journalStep(seq: number, body: string): string {
  return `if [[ -n \${__ok[${seq}]-} ]]; then __replay ${seq}; else echo ${seq} > "$__j/current"; { ${body}; } > "$__j/f.${seq}"; echo ${seq} >> "$__j/done"; __tell x; fi`;
}
