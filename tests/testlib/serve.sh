# Sourced by the shell tests (bash) that run a real `egov serve`:
#   . "$root/tests/testlib/serve.sh"
# Servers started with egov_serve_start are stopped, and the directory made
# by egov_serve_workdir removed, when the script exits.

_egov_serve_prefixes=()
_egov_serve_dirs=()

# _egov_serve_cleanup: EXIT trap; stops every server still running and
# removes the work directories.
_egov_serve_cleanup() {
  local p
  for p in "${_egov_serve_prefixes[@]}"; do
    egov_serve_stop "$p"
  done
  for p in "${_egov_serve_dirs[@]}"; do
    rm -rf "$p"
  done
}
trap _egov_serve_cleanup EXIT

# egov_require_browser [npm packages...]: exits 77 (skipped) unless node,
# chromium ($EGOV_CHROMIUM, default /usr/bin/chromium) and the npm packages
# (default playwright-core and axe-core) under $root/node_modules are there.
egov_require_browser() {
  local chromium=${EGOV_CHROMIUM:-/usr/bin/chromium} m
  command -v node >/dev/null 2>&1 || { echo "skip: node missing"; exit 77; }
  [ -x "$chromium" ] || { echo "skip: $chromium missing"; exit 77; }
  [ $# -gt 0 ] || set -- playwright-core axe-core
  for m in "$@"; do
    [ -d "$root/node_modules/$m" ] || { echo "skip: npm packages missing (run npm ci in $root)"; exit 77; }
  done
}

# egov_require_bin: exits 1 unless $EGOV_BIN names an executable.
egov_require_bin() {
  [ -n "${EGOV_BIN:-}" ] && [ -x "$EGOV_BIN" ] || { echo "EGOV_BIN not set or not executable"; exit 1; }
}

# egov_serve_workdir VAR NAME: makes a fresh directory NAME.XXXXXX under
# ${EGOV_TEST_TMP:-/tmp} (created if missing), stores its path in VAR and
# removes it when the script exits.  Exits 1 when it cannot be made.
egov_serve_workdir() {
  local base=${EGOV_TEST_TMP:-/tmp} dir
  mkdir -p "$base" && dir=$(mktemp -d "$base/$2.XXXXXX") || { echo "cannot make a directory in $base"; exit 1; }
  _egov_serve_dirs+=("$dir")
  printf -v "$1" '%s' "$dir"
}

# egov_serve_start PREFIX LOG [serve args...]: starts
# `$EGOV_BIN serve --listen 127.0.0.1:0 [serve args...]` in the background
# with stdout and stderr in the file LOG, and waits (up to
# ${EGOV_SERVE_WAIT:-60} seconds) for its "listening on http://..." line.
# Sets ${PREFIX}_pid and ${PREFIX}_url.  Environment assignments written
# before the call reach the server.  Returns 0 when it listens; otherwise
# prints the log, stops the server and returns 1.
egov_serve_start() {
  local prefix=$1 log=$2 url= pid i tries
  shift 2
  tries=$(( ${EGOV_SERVE_WAIT:-60} * 10 ))
  "$EGOV_BIN" serve --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  pid=$!
  _egov_serve_prefixes+=("$prefix")
  printf -v "${prefix}_pid" '%s' "$pid"
  for ((i = 0; i < tries; i++)); do
    url=$(grep -o 'listening on http://[^ ]*' "$log" 2>/dev/null | head -1 | sed 's/^listening on //')
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  printf -v "${prefix}_url" '%s' "$url"
  if [ -z "$url" ]; then
    echo "egov serve did not start:"
    cat "$log"
    egov_serve_stop "$prefix"
    return 1
  fi
  return 0
}

# egov_serve_alive PREFIX LOG: returns 0 while the server started as PREFIX
# runs; otherwise prints "egov serve died during the test:" and the last 40
# lines of LOG and returns 1.
egov_serve_alive() {
  local pidvar="${1}_pid"
  if [ -n "${!pidvar:-}" ] && kill -0 "${!pidvar}" 2>/dev/null; then
    return 0
  fi
  echo "egov serve died during the test:"
  tail -40 "$2"
  return 1
}

# egov_serve_stop PREFIX: stops the server started as PREFIX (if running),
# waits for it and clears ${PREFIX}_pid.  Always returns 0.
egov_serve_stop() {
  local pidvar="${1}_pid"
  if [ -n "${!pidvar:-}" ]; then
    kill "${!pidvar}" 2>/dev/null
    wait "${!pidvar}" 2>/dev/null
    printf -v "$pidvar" '%s'
  fi
  return 0
}
