/**
 * Bash that the runner puts before every module body: strict mode, a check of the contract's
 * environment, and the helpers modules use to report changes. The module contract, in full, is
 * in modules/README.md. Ends with a newline, so `MODULE_PRELUDE + body` is a valid script.
 */
export const MODULE_PRELUDE = `# --- SimpleCM module prelude (contract: modules/README.md) ---
set -euo pipefail
case "\${SIMPLECM_CHECK:-}" in
  0 | 1) ;;
  *) printf 'simplecm: SIMPLECM_CHECK must be 0 or 1\\n' >&2; exit 96 ;;
esac
if [ -z "\${SIMPLECM_CHANGES:-}" ]; then printf 'simplecm: SIMPLECM_CHANGES is not set\\n' >&2; exit 96; fi

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

# simplecm_ensure_mode PATH MODE: octal MODE (e.g. 0644); nothing when MODE is empty.
simplecm_ensure_mode() {
  local path=$1 mode=$2 have
  [ -n "$mode" ] || return 0
  have=$(stat -L -c %a -- "$path")
  if (( 8#$have != 8#$mode )); then
    # Five digits: GNU chmod keeps a directory's setuid/setgid bits unless told explicitly.
    if simplecm_change "set mode of $path to $mode (was $have)"; then chmod -- "$(printf '%05o' "$(( 8#$mode ))")" "$path"; fi
  fi
}

# simplecm_ensure_owner PATH USER: a user name or numeric uid; nothing when USER is empty.
simplecm_ensure_owner() {
  local path=$1 owner=$2 have
  [ -n "$owner" ] || return 0
  if [[ $owner =~ ^[0-9]+$ ]]; then
    have=$(stat -L -c %u -- "$path")
  else
    id -u "$owner" > /dev/null 2>&1 || simplecm_fail "no such user: $owner"
    have=$(stat -L -c %U -- "$path")
  fi
  if [ "$have" != "$owner" ]; then
    if simplecm_change "set owner of $path to $owner (was $have)"; then chown -- "$owner" "$path"; fi
  fi
}

# simplecm_ensure_group PATH GROUP: a group name or numeric gid; nothing when GROUP is empty.
simplecm_ensure_group() {
  local path=$1 group=$2 have
  [ -n "$group" ] || return 0
  if [[ $group =~ ^[0-9]+$ ]]; then
    have=$(stat -L -c %g -- "$path")
  else
    if command -v getent > /dev/null 2>&1; then getent group "$group" > /dev/null || simplecm_fail "no such group: $group"; fi
    have=$(stat -L -c %G -- "$path")
  fi
  if [ "$have" != "$group" ]; then
    if simplecm_change "set group of $path to $group (was $have)"; then chgrp -- "$group" "$path"; fi
  fi
}

# simplecm_atomic_write PATH [MODE [OWNER [GROUP]]] < CONTENT: replaces PATH (a symbolic link's
# target) through a temporary file in the same directory and mv, so readers see the old or the
# new content, never a mix. Empty MODE/OWNER/GROUP keep the old file's (or, for a new file, the
# umask's mode and the current user).
simplecm_atomic_write() {
  local path=$1 mode=\${2:-} owner=\${3:-} group=\${4:-} tmp
  if [ -L "$path" ]; then path=$(readlink -f -- "$path"); fi
  if [ -z "$mode" ]; then
    if [ -e "$path" ]; then mode=$(stat -c %a -- "$path"); else mode=$(printf '%o' "$(( 0666 & ~8#$(umask) ))"); fi
  fi
  if [ -e "$path" ]; then
    if [ -z "$owner" ]; then owner=$(stat -c %u -- "$path"); fi
    if [ -z "$group" ]; then group=$(stat -c %g -- "$path"); fi
  fi
  tmp=$(mktemp -- "$(dirname -- "$path")/.simplecm.XXXXXXXX")
  if cat > "$tmp" && chmod -- "$(printf '%05o' "$(( 8#$mode ))")" "$tmp" \\
    && { [ -z "$owner" ] || chown -- "$owner" "$tmp"; } \\
    && { [ -z "$group" ] || chgrp -- "$group" "$tmp"; } \\
    && mv -f -- "$tmp" "$path"; then
    return 0
  fi
  rm -f -- "$tmp"
  simplecm_fail "cannot write $path"
}
# --- end of prelude ---
`;
