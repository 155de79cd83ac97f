#!/bin/bash
# Browser test of the account pages: register -> verify through the
# development mailbox -> sign in -> TOTP enrolment with a code from
# oathtool -> sign out -> sign in with TOTP, on a real `egov serve`, with
# Debian's chromium driven by playwright-core and pages checked by
# axe-core.  Exits 77 (skipped) when node, chromium, oathtool or the npm
# packages are missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/testlib/serve.sh"
command -v oathtool >/dev/null 2>&1 || { echo "skip: oathtool missing"; exit 77; }
egov_require_browser
egov_require_bin

out=${EGOV_TEST_TMP:-/tmp}
egov_serve_workdir work account-browser
log="$work/serve.log"

# plain HTTP on loopback: cookies without Secure; mail to the development mailbox
EGOV_HTTP_COOKIE_SECURE=false EGOV_ACCOUNT_DEV_MAILBOX=true EGOV_JOBS_POLL_INTERVAL=50ms \
  egov_serve_start s "$log" --db "sqlite:$work/x.db" || exit 1
for _ in $(seq 1 300); do
  curl -fs "$s_url/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "egov at $s_url; screenshots in $out"

EGOV_TEST_DB_URL="sqlite:$work/x.db" timeout 240 node "$root/tests/account/browser.mjs" "$s_url" "$out"
rc=$?
egov_serve_alive s "$log" || rc=1
exit $rc
