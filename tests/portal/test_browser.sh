#!/bin/bash
# Browser test of the portal: a real `egov serve` on loopback, Debian's
# chromium driven by playwright-core (npm), accessibility checked with
# axe-core.  Screenshots go to $EGOV_TEST_TMP.  Exits 77 (skipped) when
# node, chromium or the npm packages are missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/testlib/serve.sh"
egov_require_browser
egov_require_bin

out=${EGOV_TEST_TMP:-/tmp}
egov_serve_workdir work browser
log="$work/serve.log"
egov_serve_start s "$log" --db "sqlite:$work/x.db" || exit 1
echo "egov at $s_url; screenshots in $out"

timeout 240 node "$root/tests/portal/browser.mjs" "$s_url" "$out"
rc=$?
egov_serve_alive s "$log" || rc=1
exit $rc
