#!/usr/bin/env bash
# The key sealing TOTP secrets as an operator meets it: with
# account.secret_key_file empty, `egov config check` says the node will make
# VAR/account-secret.key, the first `egov serve` makes it (mode 0600, 64 hex
# digits) and a restart keeps it; a key others can read, a malformed key and
# a named file that is missing are reported by `egov config check` naming
# account.secret_key_file and stop a node from starting.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/testlib/serve.sh"
egov_require_bin
egov_serve_workdir work secret-key
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
# expect NAME STATUS REGEX -- CMD...: runs CMD, checks its exit status and output.
expect() {
  local name=$1 want=$2 re=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want" ] && printf '%s' "$out" | grep -Eq -- "$re"; then
    ok "$name"
  else
    bad "$name (exit $rc, want $want): $out"
  fi
}

var="$work/var"
key="$var/account-secret.key"
cat >"$work/node.ini" <<INI
[paths]
var = $var
[db]
url = sqlite:$work/egov.db
INI
expect "config check: the default key file will be made" 0 'will create it' -- \
  "$EGOV_BIN" config check "$work/node.ini"

EGOV_PATHS_VAR="$var" egov_serve_start s "$work/serve.log" --db "sqlite:$work/egov.db" || exit 1
egov_serve_stop s
if [ -f "$key" ] && [ "$(stat -c %a "$key")" = 600 ] && grep -Eqx '[0-9a-f]{64}' "$key"; then
  ok "first start made VAR/account-secret.key, mode 0600, 64 hex digits"
else
  bad "first start did not make a proper key file: $(ls -l "$key" 2>&1)"
fi
first=$(cat "$key" 2>/dev/null)
expect "config check: the made key passes" 0 'ok$' -- "$EGOV_BIN" config check "$work/node.ini"
EGOV_PATHS_VAR="$var" egov_serve_start s "$work/serve2.log" --db "sqlite:$work/egov.db" || exit 1
egov_serve_stop s
[ "$(cat "$key")" = "$first" ] && ok "a restart keeps the key" || bad "a restart replaced the key"

chmod 644 "$key"
expect "config check: a key others can read" 1 'account\.secret_key_file.*chmod 600' -- \
  "$EGOV_BIN" config check "$work/node.ini"
if EGOV_PATHS_VAR="$var" egov_serve_start s "$work/serve3.log" --db "sqlite:$work/egov.db" >/dev/null 2>&1; then
  egov_serve_stop s
  bad "a node started with a key others can read"
else
  grep -q 'chmod 600' "$work/serve3.log" && ok "a node refuses a key others can read" ||
    bad "no reason in the log: $(tail -3 "$work/serve3.log")"
fi
chmod 600 "$key"
printf 'not a key\n' >"$key"
expect "config check: a malformed key" 1 'account\.secret_key_file.*64 hexadecimal digits' -- \
  "$EGOV_BIN" config check "$work/node.ini"
printf '[account]\nsecret_key_file = %s/nosuch.key\n' "$work" >>"$work/node.ini"
expect "config check: a named key file that is missing" 1 'account\.secret_key_file.*nosuch\.key' -- \
  "$EGOV_BIN" config check "$work/node.ini"
exit $((fails > 0))
