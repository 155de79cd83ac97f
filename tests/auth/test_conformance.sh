#!/bin/bash
# External conformance of the OpenID Connect provider: a real `egov serve`
# on loopback, driven by the npm openid-client and jose libraries as an
# agency's application would use them, with Debian's chromium (through
# playwright-core) for the login and consent pages.  Runs the Basic OP and
# Config OP checks listed in tests/auth/conformance.mjs.  Exits 77
# (skipped) only when node or chromium is missing; missing npm packages are
# a failure (run `npm ci`).
# With EGOV_TEST_PG_URL set it runs on a fresh PostgreSQL database too.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=${EGOV_CHROMIUM:-/usr/bin/chromium}

command -v node >/dev/null 2>&1 || { echo "skip: node missing"; exit 77; }
[ -x "$chromium" ] || { echo "skip: $chromium missing"; exit 77; }
for m in playwright-core openid-client jose axe-core; do
  [ -d "$root/node_modules/$m" ] || { echo "npm package $m is missing: run npm ci in $root"; exit 1; }
done
[ -n "${EGOV_BIN:-}" ] && [ -x "$EGOV_BIN" ] || { echo "EGOV_BIN not set or not executable"; exit 1; }

. "$root/tests/testlib/serve.sh"
egov_serve_workdir work oidc-conf

run_on() {
  local db=$1 label=$2
  local log="$work/serve-$label.log"
  mkdir -p "$work/var-$label"
  EGOV_PATHS_VAR="$work/var-$label" EGOV_HTTP_COOKIE_SECURE=false EGOV_ACCOUNT_DEV_MAILBOX=true \
    egov_serve_start s "$log" --db "$db" || return 1
  local url=$s_url
  echo "# $label: egov at $url"
  EGOV_PATHS_VAR="$work/var-$label" timeout 300 node "$root/tests/auth/conformance.mjs" "$url" "$db" "$work"
  local rc=$?
  egov_serve_alive s "$log" || rc=1
  egov_serve_stop s
  [ $rc -eq 0 ] || { echo "--- server log ($label) ---"; tail -30 "$log"; }
  return $rc
}

rc=0
run_on "sqlite:$work/conf.db" sqlite || rc=1
if [ -n "${EGOV_TEST_PG_URL:-}" ]; then
  dbname="egov_oidc_conf_$$"
  admin_url=$EGOV_TEST_PG_URL
  if psql "$admin_url" -qc "CREATE DATABASE $dbname" >/dev/null 2>&1; then
    pg_url=$(printf '%s' "$admin_url" | sed -E "s#/[^/?]*(\?|$)#/$dbname\1#")
    run_on "$pg_url" postgresql || rc=1
    psql "$admin_url" -qc "DROP DATABASE $dbname WITH (FORCE)" >/dev/null 2>&1
  else
    echo "# postgresql: cannot create a database at EGOV_TEST_PG_URL; not run"
  fi
fi
exit $rc
