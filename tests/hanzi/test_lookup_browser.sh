#!/bin/bash
# Browser test of /hanzi/lookup: a real `egov serve` on loopback, Debian's
# chromium driven by playwright-core, accessibility checked with axe-core.
# Exits 77 (skipped) when node, chromium, the npm packages or Unihan are missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/testlib/serve.sh"
egov_require_browser
[ -f /usr/share/unicode/Unihan_IRGSources.txt.bz2 ] || [ -n "${EGOV_UNIHAN_DIR:-}" ] ||
  { echo "skip: no Unihan data (unicode-data)"; exit 77; }
egov_require_bin

out=${EGOV_TEST_TMP:-/tmp}
egov_serve_workdir work hanzi-browser
egov_serve_start s "$work/serve.log" --db "sqlite:$work/x.db" || exit 1
timeout 240 node "$root/tests/hanzi/lookup_browser.mjs" "$s_url" "$out"
rc=$?
egov_serve_alive s "$work/serve.log" || rc=1
exit $rc
