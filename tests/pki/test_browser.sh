#!/bin/bash
# Browser test of certificate sign-in on a real `egov serve`: CA set up,
# a citizen certificate issued and an account made with the CLI, then
# tests/pki/browser.mjs signs in with chromium (JavaScript off) and checks
# the pages with axe-core.  Exits 77 (skipped) without node, chromium or
# the npm packages.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=${EGOV_CHROMIUM:-/usr/bin/chromium}
command -v node >/dev/null 2>&1 || { echo "skip: node missing"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "skip: openssl missing"; exit 77; }
[ -x "$chromium" ] || { echo "skip: $chromium missing"; exit 77; }
if [ ! -d "$root/node_modules/playwright-core" ] || [ ! -d "$root/node_modules/axe-core" ]; then
  echo "skip: npm packages missing (run npm ci in $root)"
  exit 77
fi
[ -n "${EGOV_BIN:-}" ] && [ -x "$EGOV_BIN" ] || { echo "EGOV_BIN not set or not executable"; exit 1; }
mkdir -p "${EGOV_TEST_TMP:-/tmp}"
work=$(mktemp -d "${EGOV_TEST_TMP:-/tmp}/pki-browser.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
export EGOV_PATHS_VAR="$work/var" EGOV_HTTP_COOKIE_SECURE=false EGOV_LOG_LEVEL=warn
db="sqlite:$work/x.db"
"$EGOV_BIN" pki init --url http://127.0.0.1:1 --db "$db" >/dev/null || exit 1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/user.key" \
  -subj /CN=x -out "$work/user.csr" 2>/dev/null || exit 1
"$EGOV_BIN" pki issue --ca citizen --csr "$work/user.csr" --name "林美" --national-id A123456789 \
  --out "$work/user.crt" --db "$db" 2>/dev/null || exit 1
printf 'rainy days in Taipei 2026\n' >"$work/pw"
"$EGOV_BIN" account add --national-id A123456789 --name "林美" --password-file "$work/pw" \
  --db "$db" >/dev/null 2>&1 || exit 1
"$EGOV_BIN" serve --listen 127.0.0.1:0 --db "$db" >"$work/serve.log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 300); do
  url=$(grep -o 'listening on http://[^ ]*' "$work/serve.log" 2>/dev/null | head -1 | sed 's/^listening on //')
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || { echo "egov serve did not start:"; cat "$work/serve.log"; exit 1; }
timeout 120 node "$root/tests/pki/browser.mjs" "$url" "$work"
rc=$?
if grep -q 'AddressSanitizer\|runtime error' "$work/serve.log"; then
  grep -m3 -A8 'Sanitizer\|runtime error' "$work/serve.log"
  rc=1
fi
exit $rc
