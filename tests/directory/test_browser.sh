#!/bin/bash
# Browser test of the directory and OID registry pages: a real `egov serve`
# on loopback holding part of the official OID list, Debian's chromium
# driven by playwright-core (npm), accessibility checked with axe-core.
# Exits 77 (skipped) when node, chromium, the npm packages or the shared
# data are missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/testlib/serve.sh"
data=${EGOV_SHARED_DATA:-}

egov_require_browser
[ -n "$data" ] && [ -r "$data/oid/GDS.csv" ] || { echo "skip: shared data missing"; exit 77; }
egov_require_bin

out=${EGOV_TEST_TMP:-/tmp}
egov_serve_workdir work dirbrowser
export EGOV_LOG_LEVEL=warn

"$EGOV_BIN" oid import "$data/oid/GDS.csv" --changes "$data/oid/change.csv" --db "sqlite:$work/x.db" ||
  { echo "import failed"; exit 1; }

egov_serve_start s "$work/serve.log" --db "sqlite:$work/x.db" || exit 1

timeout 240 node "$root/tests/directory/browser.mjs" "$s_url" "$out"
rc=$?
egov_serve_stop s
exit $rc
