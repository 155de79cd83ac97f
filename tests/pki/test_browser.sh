#!/bin/bash
# Browser test of certificate sign-in on a real `egov serve`: CA set up,
# a citizen certificate issued and an account made with the CLI, then
# tests/pki/browser.mjs signs in with chromium (JavaScript off) and checks
# the pages with axe-core.  Exits 77 (skipped) without node, chromium or
# the npm packages.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/testlib/serve.sh"
command -v openssl >/dev/null 2>&1 || { echo "skip: openssl missing"; exit 77; }
egov_require_browser
egov_require_bin
egov_serve_workdir work pki-browser
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
egov_serve_start s "$work/serve.log" --db "$db" || exit 1
timeout 120 node "$root/tests/pki/browser.mjs" "$s_url" "$work"
rc=$?
if grep -q 'AddressSanitizer\|runtime error' "$work/serve.log"; then
  grep -m3 -A8 'Sanitizer\|runtime error' "$work/serve.log"
  rc=1
fi
exit $rc
