/**
 * Bash that every module body runs after, in two parts (the module contract, in full, is in
 * modules/README.md):
 * - MODULE_PRELUDE_HEADER: strict mode, a check of the contract's environment, the locale. It
 *   starts every operation's own script.
 * - MODULE_FUNCTIONS: the helpers modules use to report changes and write files. A worker's
 *   driver defines them once per host job and each operation inherits them, instead of sending
 *   and parsing the same ~10 KB once per operation (see buildDriverScript's `functions`).
 * MODULE_PRELUDE is both, for a runner that runs one operation on its own (tests, the bench's
 * raw bound and Ansible). Each part ends with a newline, so `MODULE_PRELUDE + body` is a valid script.
 */
export const MODULE_PRELUDE_HEADER = `# --- SimpleCM module prelude (contract: modules/README.md) ---
set -euo pipefail
case "\${SIMPLECM_CHECK:-}" in
  0 | 1) ;;
  *) printf 'simplecm: SIMPLECM_CHECK must be 0 or 1\\n' >&2; exit 96 ;;
esac
if [ -z "\${SIMPLECM_CHANGES:-}" ]; then printf 'simplecm: SIMPLECM_CHANGES is not set\\n' >&2; exit 96; fi
# The contract's locale, set here too (not every runner exports it): the helpers below count
# bytes with \${#x} and read -n, and compare bytes, which only LC_ALL=C guarantees.
export LC_ALL=C
`;

export const MODULE_FUNCTIONS = `# Host CPU goes mostly to the processes a module starts (a fork+exec costs ~1.5 ms; a $(...) of
# builtins still forks), so the helpers below do in bash what needs no other program.

# simplecm_change WHAT: records one change as one line of $SIMPLECM_CHANGES (line breaks in WHAT
# are written \\n), then returns 0 in apply mode (make it) and 1 in check mode (only report it).
# Use it as a condition: if simplecm_change "create /x"; then touch -- /x; fi
simplecm_change() {
  local what="$*"
  what=\${what//$'\\n'/'\\n'}
  what=\${what//$'\\r'/'\\r'}
  printf '%s\\n' "$what" >> "$SIMPLECM_CHANGES"
  [ "$SIMPLECM_CHECK" = 0 ]
}

# simplecm_fail MESSAGE: fails the operation, MESSAGE on stderr.
simplecm_fail() {
  printf '%s\\n' "$*" >&2
  exit 1
}

# simplecm_dirname VAR PATH: sets VAR to what \`dirname -- PATH\` prints (GNU: trailing slashes
# ignored, "/x" -> "/", "//x" -> "/", "x" -> "."), without starting it.
simplecm_dirname() {
  local __p=\${2%"\${2##*[!/]}"}
  if [ -z "$2" ]; then
    __p=.
  elif [ -z "$__p" ]; then
    __p=/
  elif [[ $__p == */* ]]; then
    __p=\${__p%/*}
    __p=\${__p%"\${__p##*[!/]}"}
    __p=\${__p:-/}
  else
    __p=.
  fi
  printf -v "$1" '%s' "$__p"
}

# simplecm_read_file VAR PATH [MAX]: sets VAR to the whole file and returns 0 when it is readable,
# holds no NUL byte and is shorter than MAX bytes (default 4096); returns 1 otherwise (VAR then
# means nothing), for the caller to fall back to cmp/grep. \`read -d ''\` stops at a NUL (status 0)
# or at the end (status 1); -n bounds what it reads. bash >= 5.1 reads a regular file in blocks,
# older ones a byte per system call: 4 KiB costs about what starting cmp or grep does.
simplecm_read_file() {
  local __d= __rc=2
  { IFS= read -r -d '' -n "\${3:-4096}" __d; __rc=$?; } 2> /dev/null < "$2" || true
  [ "$__rc" = 1 ] || return 1
  printf -v "$1" '%s' "$__d"
}

# simplecm_has_line DATA LINE: whether LINE (no line break in it) is a whole line of DATA, as
# simplecm_grep_line finds it in a file holding DATA without NUL bytes: empty data has no line, a
# line ends with \\n or \\r\\n (a file edited on Windows holds the same lines), and a last line ends
# with or without its line break.
simplecm_has_line() {
  [ -n "$1" ] || return 1
  local __d=$'\\n'\${1%$'\\n'}$'\\n'
  [[ $__d == *$'\\n'"$2"$'\\n'* || $__d == *$'\\n'"$2"$'\\r\\n'* ]]
}

# simplecm_grep_line OPTION LINE PATH: grep OPTION (-q, -c or -v) with whole lines equal to LINE,
# with or without a carriage return before the line break, as simplecm_has_line matches them.
simplecm_grep_line() {
  grep "$1" -xF -e "$2" -e "$2"$'\\r' -- "$3"
}

# simplecm_no_follow VAR PATH FOLLOW WHAT: sets VAR to the path to act on. A symbolic link as the
# last component of PATH is refused (root would otherwise write, chmod or chown the file it points
# to, anywhere) unless FOLLOW is 1: then VAR is the link's resolved target, so every later step
# acts on that one file.
simplecm_no_follow() {
  local __p=$2
  if [ -L "$__p" ]; then
    [ "$3" = 1 ] || simplecm_fail "$4: $__p is a symbolic link; refusing to follow it (set follow: true to manage its target)"
    __p=$(readlink -f -- "$__p") || simplecm_fail "$4: cannot resolve the symbolic link $2"
  fi
  printf -v "$1" '%s' "$__p"
}

# simplecm_same_content PATH TEXT: whether the file holds exactly TEXT (no NUL in TEXT), as
# \`printf '%s' TEXT | cmp -s -- - PATH\` says; an unreadable file differs. Read at most one byte
# more than TEXT has: enough to tell a longer file.
simplecm_same_content() {
  local __have
  if (( \${#2} < 4096 )); then
    simplecm_read_file __have "$1" $(( \${#2} + 1 )) && [[ $__have == "$2" ]]
  else
    printf '%s' "$2" | cmp -s -- - "$1"
  fi
}

# simplecm_require_dir DIR WHAT: DIR must exist to do WHAT. In apply mode a missing DIR fails the
# operation. In check mode an earlier operation of the same run may be about to create DIR
# (check mode changes nothing), so WHAT is reported as a change that assumes it, and the
# operation ends here.
simplecm_require_dir() {
  [ -d "$1" ] && return 0
  if [ "$SIMPLECM_CHECK" = 1 ]; then
    simplecm_change "$2 (assuming directory $1, missing now, is created first)" || true
    exit 0
  fi
  simplecm_fail "$2: directory $1 does not exist"
}

# simplecm_ensure PATH MODE OWNER GROUP: octal MODE (e.g. 0644), OWNER a user name or uid, GROUP
# a group name or gid; empty ones are left alone. Each fix is its own change, in that order. One
# stat reads every value asked for: chmod changes neither owner nor group, and chown (owner
# only) not the group.
simplecm_ensure() {
  local path=$1 mode=$2 owner=$3 group=$4 have fmt=%a$'\\n'%u$'\\n'%g m
  [ -n "$mode$owner$group" ] || return 0
  if [ -n "$owner" ] && ! [[ $owner =~ ^[0-9]+$ ]]; then fmt=%a$'\\n'%U$'\\n'%g; fi
  if [ -n "$group" ] && ! [[ $group =~ ^[0-9]+$ ]]; then fmt=\${fmt%g}G; fi
  have=$(stat -c "$fmt" -- "$path")
  m=\${have%%$'\\n'*}
  if [ -n "$mode" ] && (( 8#$m != 8#$mode )); then
    # Five digits: GNU chmod keeps a directory's setuid/setgid bits unless told explicitly.
    printf -v fmt '%05o' "$(( 8#$mode ))"
    if simplecm_change "set mode of $path to $mode (was $m)"; then chmod -- "$fmt" "$path"; fi
  fi
  have=\${have#*$'\\n'}
  if [ -n "$owner" ]; then
    if ! [[ $owner =~ ^[0-9]+$ ]]; then id -u "$owner" > /dev/null 2>&1 || simplecm_fail "no such user: $owner"; fi
    m=\${have%%$'\\n'*}
    if [ "$m" != "$owner" ]; then
      if simplecm_change "set owner of $path to $owner (was $m)"; then chown -h -- "$owner" "$path"; fi
    fi
  fi
  if [ -n "$group" ]; then
    if ! [[ $group =~ ^[0-9]+$ ]] && command -v getent > /dev/null 2>&1; then getent group "$group" > /dev/null || simplecm_fail "no such group: $group"; fi
    m=\${have#*$'\\n'}
    if [ "$m" != "$group" ]; then
      if simplecm_change "set group of $path to $group (was $m)"; then chgrp -h -- "$group" "$path"; fi
    fi
  fi
}
simplecm_ensure_mode() { simplecm_ensure "$1" "$2" '' ''; }
simplecm_ensure_owner() { simplecm_ensure "$1" '' "$2" ''; }
simplecm_ensure_group() { simplecm_ensure "$1" '' '' "$2"; }

# simplecm_atomic_write PATH [MODE [OWNER [GROUP]]] < CONTENT: replaces PATH through a temporary file in the same directory and mv, so readers see the old or the
# new content, never a mix. Empty MODE/OWNER/GROUP keep the old file's (or, for a new file, the
# umask's mode and the current user).
simplecm_atomic_write() { __simplecm_write "$1" "\${2:-}" "\${3:-}" "\${4:-}" 1 ''; }
# simplecm_atomic_write_text PATH TEXT [MODE [OWNER [GROUP]]]: the same with TEXT as the content.
simplecm_atomic_write_text() { __simplecm_write "$1" "\${3:-}" "\${4:-}" "\${5:-}" 0 "$2"; }
__simplecm_write() {
  local path=$1 mode=$2 owner=$3 group=$4 stdin=$5 text=$6 have dir tmp= name= mask= line i noclobber=1 chars=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789
  # A symbolic link here was resolved (or refused) by simplecm_no_follow; one that appeared since
  # is replaced by the new file, never written through.
  if [ -e "$path" ] && [[ -z $mode || -z $owner || -z $group ]]; then
    have=$(stat -c %a$'\\n'%u$'\\n'%g -- "$path")
    mode=\${mode:-\${have%%$'\\n'*}}
    have=\${have#*$'\\n'}
    owner=\${owner:-\${have%%$'\\n'*}}
    group=\${group:-\${have#*$'\\n'}}
  fi
  # The umask from the kernel rather than from a $(umask) subshell.
  while IFS= read -r line; do
    case $line in Umask:*) mask=\${line//[!0-7]/}; break ;; esac
  done 2> /dev/null < /proc/self/status || true
  [ -n "$mask" ] || mask=$(umask)
  if [ -n "$mode" ]; then printf -v mode '%05o' "$(( 8#$mode ))"; else printf -v mode '%05o' "$(( 0666 & ~8#$mask ))"; fi
  simplecm_dirname dir "$path"
  # The temporary file, as mktemp makes it (mode 0600, O_EXCL, 8 random letters and digits) but
  # without starting it: noclobber opens with O_EXCL. Only with $SRANDOM (bash >= 5.1) are the
  # names unpredictable, which noclobber needs (it opens an existing non-regular file); mktemp
  # otherwise, and when this fails, so that its error is the one reported.
  if [ -n "\${SRANDOM:-}" ]; then
    for i in 1 2 3 4 5 6 7 8; do name+=\${chars:SRANDOM % 62:1}; done
    tmp=$dir/.simplecm.$name
    [[ $- == *C* ]] || noclobber=0
    umask 077
    set -C
    : 2> /dev/null > "$tmp" || tmp=
    umask "$mask"
    [ "$noclobber" = 1 ] || set +C
  fi
  [ -n "$tmp" ] || tmp=$(mktemp -- "$dir/.simplecm.XXXXXXXX")
  if { if [ "$stdin" = 1 ]; then cat >| "$tmp"; else printf '%s' "$text" >| "$tmp"; fi; } \\
    && chmod -- "$mode" "$tmp" \\
    && { [ -z "$owner" ] || chown -- "$owner" "$tmp"; } \\
    && { [ -z "$group" ] || chgrp -- "$group" "$tmp"; } \\
    && mv -f -- "$tmp" "$path"; then
    return 0
  fi
  rm -f -- "$tmp"
  simplecm_fail "cannot write $path"
}
# simplecm_diff PATH < CONTENT: for check mode, once simplecm_change has reported that the file at
# PATH would change: prints on stdout a unified diff from the file (absent: empty) to CONTENT,
# labelled \`before: PATH\` and \`after: PATH\` (\`--diff\` knows a diff by its first line, \`--- before: \`),
# cut at 400 lines and 32 KiB with a last line saying how much was left out. Binary content, or
# no diff program on the host, is said in one line under the two labels.
simplecm_diff() {
  local __old=$1
  [ -e "$__old" ] || __old=/dev/null
  if ! command -v diff > /dev/null 2>&1; then
    cat > /dev/null
    printf -- '--- before: %s\\n+++ after: %s\\n(no diff program on this host)\\n' "$1" "$1"
    return 0
  fi
  # diff exits 1 when the files differ, 2 on trouble (which fails the operation).
  { diff -u -L "before: $1" -L "after: $1" -- "$__old" - || [ $? -eq 1 ]; } | __SIMPLECM_DIFF_PATH=$1 awk -v maxl=400 -v maxb=32768 '
    NR == 1 && substr($0, 1, 4) != "--- " {
      path = ENVIRON["__SIMPLECM_DIFF_PATH"]
      printf "--- before: %s\\n+++ after: %s\\n(binary content differs; no diff shown)\\n", path, path
      skip = 1
    }
    skip { next }
    { bytes += length($0) + 1; if (NR > maxl || bytes > maxb) { cut++; next } print }
    END { if (cut) printf "(diff cut at %d lines or %d bytes: %d more line(s) not shown)\\n", maxl, maxb, cut }'
}
# --- end of prelude ---
`;

export const MODULE_PRELUDE = `${MODULE_PRELUDE_HEADER}${MODULE_FUNCTIONS}`;
