#!/bin/bash
# Browser test of the directory and OID registry pages: a real `egov serve`
# on loopback holding part of the official OID list, Debian's chromium
# driven by playwright-core (npm), accessibility checked with axe-core.
# Exits 77 (skipped) when node, chromium, the npm packages or the shared
# data are missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=${EGOV_CHROMIUM:-/usr/bin/chromium}
data=${EGOV_SHARED_DATA:-}

command -v node >/dev/null 2>&1 || { echo "skip: node missing"; exit 77; }
[ -x "$chromium" ] || { echo "skip: $chromium missing"; exit 77; }
if [ ! -d "$root/node_modules/playwright-core" ] || [ ! -d "$root/node_modules/axe-core" ]; then
  echo "skip: npm packages missing (run npm ci in $root)"
  exit 77
fi
[ -n "$data" ] && [ -r "$data/oid/GDS.csv" ] || { echo "skip: shared data missing"; exit 77; }
[ -n "${EGOV_BIN:-}" ] && [ -x "$EGOV_BIN" ] || { echo "EGOV_BIN not set or not executable"; exit 1; }

out=${EGOV_TEST_TMP:-/tmp}
mkdir -p "$out"
work=$(mktemp -d "$out/dirbrowser.XXXXXX")
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
export EGOV_LOG_LEVEL=warn

"$EGOV_BIN" oid import "$data/oid/GDS.csv" --changes "$data/oid/change.csv" --db "sqlite:$work/x.db" ||
  { echo "import failed"; exit 1; }

"$EGOV_BIN" serve --listen 127.0.0.1:0 --db "sqlite:$work/x.db" >"$log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 600); do
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

timeout 240 node "$root/tests/directory/browser.mjs" "$url" "$out"
rc=$?
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
exit $rc
