#!/bin/bash
# Browser test of /hanzi/lookup: a real `egov serve` on loopback, Debian's
# chromium driven by playwright-core, accessibility checked with axe-core.
# Exits 77 (skipped) when node, chromium, the npm packages or Unihan are missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=${EGOV_CHROMIUM:-/usr/bin/chromium}
command -v node >/dev/null 2>&1 || { echo "skip: node missing"; exit 77; }
[ -x "$chromium" ] || { echo "skip: $chromium missing"; exit 77; }
if [ ! -d "$root/node_modules/playwright-core" ] || [ ! -d "$root/node_modules/axe-core" ]; then
  echo "skip: npm packages missing (run npm ci in $root)"
  exit 77
fi
[ -f /usr/share/unicode/Unihan_IRGSources.txt.bz2 ] || [ -n "${EGOV_UNIHAN_DIR:-}" ] ||
  { echo "skip: no Unihan data (unicode-data)"; exit 77; }
[ -n "${EGOV_BIN:-}" ] && [ -x "$EGOV_BIN" ] || { echo "EGOV_BIN not set or not executable"; exit 1; }

out=${EGOV_TEST_TMP:-/tmp}
mkdir -p "$out"
work=$(mktemp -d "$out/hanzi-browser.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$EGOV_BIN" serve --listen 127.0.0.1:0 --db "sqlite:$work/x.db" >"$work/serve.log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 150); do
  url=$(grep -o 'listening on http://[^ ]*' "$work/serve.log" 2>/dev/null | head -1 | sed 's/^listening on //')
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "egov serve did not start:"
  cat "$work/serve.log"
  exit 1
fi
timeout 240 node "$root/tests/hanzi/lookup_browser.mjs" "$url" "$out"
rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "egov serve died during the test:"
  tail -40 "$work/serve.log"
  rc=1
fi
exit $rc
