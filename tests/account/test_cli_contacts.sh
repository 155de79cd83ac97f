#!/usr/bin/env bash
# `egov account add --email --phone` and `egov account show` as the help desk
# uses them: the number is stored in E.164 form and shown unverified; a
# number in national form is refused; a number another account has is
# refused and no account is left behind; a dictionary word is refused as a
# password.  SQLite, and PostgreSQL when EGOV_TEST_PG_URL is set.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/testlib/serve.sh"
egov_require_bin
egov_serve_workdir work account-cli
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
  if [ "$rc" -eq "$want" ] && printf '%s' "$out" | tr -d '\n' | grep -Eq -- "$re"; then
    ok "$name"
  else
    bad "$name (exit $rc, want $want): $out"
  fi
}
printf 'correct horse battery staple\n' >"$work/pw"
printf 'Dragonfly\n' >"$work/weak"
chmod 600 "$work/pw" "$work/weak"

run_on() {
  local db=$1 label=$2
  local -a e=(env EGOV_DB_URL="$db" EGOV_PATHS_VAR="$work/var-$label")
  "${e[@]}" "$EGOV_BIN" db migrate >/dev/null 2>&1 || { bad "$label: migrate"; return; }
  expect "$label: add with e-mail and phone" 0 '"phone": "\+886912000111"' -- \
    "${e[@]}" "$EGOV_BIN" account add --national-id A123456789 --name 王小明 \
    --password-file "$work/pw" --email Ming@Example.TW --phone '+886 912-000-111'
  expect "$label: show lists the contacts as not verified" 0 \
    '"email": "ming@example.tw",.*"email_verified": false,.*"phone": "\+886912000111",.*"phone_verified": false' -- \
    "${e[@]}" "$EGOV_BIN" account show --national-id A123456789
  expect "$label: a number in national form is refused" 2 'phone: not a number in international form' -- \
    "${e[@]}" "$EGOV_BIN" account add --national-id B123456780 --name 林 --password-file "$work/pw" \
    --phone 0912000111
  expect "$label: a number another account has is refused" 1 'another account has this number' -- \
    "${e[@]}" "$EGOV_BIN" account add --national-id B123456780 --name 林 --password-file "$work/pw" \
    --phone +886912000111
  expect "$label: ... and no account is left behind" 1 'no account with national ID B123456780' -- \
    "${e[@]}" "$EGOV_BIN" account show --national-id B123456780
  expect "$label: a word of the cracklib dictionary is refused as a password" 1 'too common' -- \
    "${e[@]}" "$EGOV_BIN" account add --national-id B123456780 --name 林 --password-file "$work/weak"
}

run_on "sqlite:$work/cli.db" sqlite
if [ -n "${EGOV_TEST_PG_URL:-}" ]; then
  dbname="egov_account_cli_$$"
  if psql "$EGOV_TEST_PG_URL" -qc "CREATE DATABASE $dbname" >/dev/null 2>&1; then
    pg_url=$(printf '%s' "$EGOV_TEST_PG_URL" | sed -E "s#/[^/?]*(\?|$)#/$dbname\1#")
    run_on "$pg_url" postgresql
    psql "$EGOV_TEST_PG_URL" -qc "DROP DATABASE $dbname WITH (FORCE)" >/dev/null 2>&1
  else
    bad "postgresql: cannot create a database at EGOV_TEST_PG_URL"
  fi
fi
exit $((fails > 0))
