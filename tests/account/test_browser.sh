#!/bin/bash
# Browser test of the account pages: register -> verify through the
# development mailbox -> sign in -> TOTP enrolment with a code from
# oathtool -> sign out -> sign in with TOTP, on a real `egov serve`, with
# Debian's chromium driven by playwright-core and pages checked by
# axe-core.  Exits 77 (skipped) when node, chromium, oathtool or the npm
# packages are missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=${EGOV_CHROMIUM:-/usr/bin/chromium}

command -v node >/dev/null 2>&1 || { echo "skip: node missing"; exit 77; }
command -v oathtool >/dev/null 2>&1 || { echo "skip: oathtool missing"; exit 77; }
[ -x "$chromium" ] || { echo "skip: $chromium missing"; exit 77; }
if [ ! -d "$root/node_modules/playwright-core" ] || [ ! -d "$root/node_modules/axe-core" ]; then
  echo "skip: npm packages missing (run npm ci in $root)"
  exit 77
fi
[ -n "${EGOV_BIN:-}" ] && [ -x "$EGOV_BIN" ] || { echo "EGOV_BIN not set or not executable"; exit 1; }

out=${EGOV_TEST_TMP:-/tmp}
mkdir -p "$out"
work=$(mktemp -d "$out/account-browser.XXXXXX")
log="$work/serve.log"
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# plain HTTP on loopback: cookies without Secure; mail to the development mailbox
EGOV_HTTP_COOKIE_SECURE=false EGOV_ACCOUNT_DEV_MAILBOX=true EGOV_JOBS_POLL_INTERVAL=50ms \
  "$EGOV_BIN" serve --listen 127.0.0.1:0 --db "sqlite:$work/x.db" >"$log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 300); do
  url=$(grep -o 'listening on http://[^ ]*' "$log" 2>/dev/null | head -1 | sed 's/^listening on //')
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "egov serve did not start:"
  cat "$log"
  exit 1
fi
for _ in $(seq 1 300); do
  curl -fs "$url/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "egov at $url; screenshots in $out"

EGOV_TEST_DB_URL="sqlite:$work/x.db" timeout 240 node "$root/tests/account/browser.mjs" "$url" "$out"
rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "egov serve died during the test:"
  tail -40 "$log"
  rc=1
fi
exit $rc
