#!/usr/bin/env bash
# test_cli.sh -- the egov command line as a person uses it: --help on every
# command, version, config check naming bad keys, db migrate, and clear
# failures for an unreachable database and bad flags.
set -u
: "${EGOV_BIN:?}"
tmp=$(mktemp -d "${EGOV_TEST_TMP:-/tmp}/cli.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
# expect NAME WANT_RC PATTERN -- CMD...: runs CMD, checks exit code and output
expect() {
  local name=$1 want=$2 pat=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, wanted $want; output: $out"; return; fi
  if [ -n "$pat" ] && ! grep -Eq -- "$pat" <<<"$out"; then bad "$name: output lacks /$pat/: $out"; return; fi
  ok "$name"
}

expect "egov --help" 0 'serve' -- "$EGOV_BIN" --help
expect "egov without command" 2 'usage: egov' -- "$EGOV_BIN"
expect "egov unknown command" 2 "unknown command 'frobnicate'" -- "$EGOV_BIN" frobnicate
for cmd in serve demo db config version; do
  expect "egov $cmd --help" 0 'usage: egov' -- "$EGOV_BIN" $cmd --help
done
expect "egov db migrate --help" 0 'usage: egov db' -- "$EGOV_BIN" db migrate --help
expect "egov config check --help" 0 'usage: egov config' -- "$EGOV_BIN" config check --help
expect "egov version" 0 '^egov [0-9]+\.[0-9]+\.[0-9]+' -- "$EGOV_BIN" version
expect "egov version names libmicrohttpd" 0 'libmicrohttpd' -- "$EGOV_BIN" version

# config check: a good file passes, a bad one names each key, value and range
cat >"$tmp/good.ini" <<'INI'
[http]
listen = 127.0.0.1:9000
[db]
url = sqlite:/tmp/x.db
pool = 4
INI
expect "config check good file" 0 'ok' -- "$EGOV_BIN" config check "$tmp/good.ini"
cat >"$tmp/bad.ini" <<'INI'
[db]
pool = 0
[http]
listen = nowhere
lisen = 127.0.0.1:1
INI
expect "config check names db.pool" 1 'db\.pool.*"?0"?.*1.*256' -- "$EGOV_BIN" config check "$tmp/bad.ini"
expect "config check names http.listen" 1 'listen.*nowhere' -- "$EGOV_BIN" config check "$tmp/bad.ini"
expect "config check names unknown key" 1 'lisen' -- "$EGOV_BIN" config check "$tmp/bad.ini"
expect "config check missing file" 1 'nosuch' -- "$EGOV_BIN" config check "$tmp/nosuch.ini"
expect "config show applies env" 0 'pool *= *7' -- env EGOV_DB_POOL=7 "$EGOV_BIN" config show
expect "bad env value named" 1 'EGOV_DB_POOL|db\.pool' -- env EGOV_DB_POOL=zero "$EGOV_BIN" config show

# db migrate on a fresh SQLite file, twice (idempotent), then status
expect "db migrate" 0 'applied' -- "$EGOV_BIN" db migrate --db "sqlite:$tmp/m/egov.db"
expect "db migrate again applies nothing" 0 '^0 migrations applied' -- "$EGOV_BIN" db migrate --db "sqlite:$tmp/m/egov.db"
expect "db status lists store" 0 'store' -- "$EGOV_BIN" db status --db "sqlite:$tmp/m/egov.db"
expect "db bad URL" 1 'sqlite:PATH|postgresql' -- "$EGOV_BIN" db migrate --db "mysql://x"

# serve: unreachable database -> one clear message, non-zero exit, quickly
start=$(date +%s)
expect "serve with unreachable PostgreSQL" 1 'cannot open the database' -- \
  timeout 30 "$EGOV_BIN" serve --listen 127.0.0.1:0 --db "postgresql://egov@127.0.0.1:1/egov"
[ $(( $(date +%s) - start )) -lt 20 ] && ok "unreachable database fails fast" || bad "unreachable database took too long"
expect "serve bad listen flag" 2 'listen' -- "$EGOV_BIN" serve --listen "nope" --db "sqlite:$tmp/s.db"
expect "serve unexpected argument" 2 'unexpected argument' -- "$EGOV_BIN" serve extra

# serve prints its URL and stops cleanly on SIGTERM
"$EGOV_BIN" serve --listen 127.0.0.1:0 --db "sqlite:$tmp/run/egov.db" >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$tmp/serve.out")
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -n "$url" ] && curl -fsS "$url/healthz" | grep -q '"ok"'; then ok "serve prints URL and answers /healthz"; else bad "serve did not come up: $(cat "$tmp/serve.err")"; fi
kill -TERM "$pid"; wait "$pid"; rc=$?
[ "$rc" -eq 0 ] && ok "serve exits 0 on SIGTERM" || bad "serve exit code $rc on SIGTERM"
grep -q '"msg":"stopped"' "$tmp/serve.err" && ok "serve logs its stop as JSON" || bad "no JSON stop line in log"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
