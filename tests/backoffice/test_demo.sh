#!/usr/bin/env bash
# test_demo.sh -- `egov demo` with its back offices: six children with a
# generated population, wired to the node's gateway, var/demo.json with
# every URL, service, credential and password; Ctrl-C stops them all.
set -u
: "${EGOV_BIN:?}"
command -v curl >/dev/null || exit 77
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d "${EGOV_TEST_TMP:-/tmp}/demo.XXXXXX" 2>/dev/null || mktemp -d)
demo_pid=
cleanup() {
  [ -n "$demo_pid" ] && kill -TERM "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }

cd "$tmp" || exit 1
EGOV_DEMO_PEOPLE=300 EGOV_LOG_LEVEL=warn "$EGOV_BIN" demo --listen 127.0.0.1:0 \
  --db "sqlite:$tmp/var/egov.db" >demo.out 2>demo.err &
demo_pid=$!
for _ in $(seq 1 600); do
  grep -q 'Press Ctrl-C' demo.out 2>/dev/null && break
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q 'var/demo.json' demo.out && ok "the demo names var/demo.json" || bad "demo output: $(cat demo.out demo.err)"
[ -f var/demo.json ] && ok "var/demo.json written" || { bad "no var/demo.json"; exit 1; }

# what demo.json holds
report=$(python3 - <<'PY'
import json
d = json.load(open('var/demo.json'))
bos = d['backoffices']
print('backoffices', len(bos))
print('services', len(d['services']))
print('not_wired', len(d['not_wired']))
for w in d['not_wired']:
    print('note', w)
print('citizen', d['citizen']['national_id'], 'yes' if d['citizen']['password'] else 'no')
print('admin', 'yes' if d['administrator']['password'] and d['administrator']['platform_admin'] else 'no')
print('consumer', d['consumer']['id'], 'yes' if d['consumer'].get('oauth', {}).get('client_secret') else 'no')
for name, b in bos.items():
    print('url', name, b['url'], b['pid'])
for s in d['services']:
    assert s['id'].startswith('TW/GOV/') and s['paths'], s
PY
)
echo "$report" | grep '^note' || true
n=$(sed -n 's/^backoffices //p' <<<"$report")
want=6
[ -d "${EGOV_SHARED_DATA:-/nonexistent}/cns11643" ] || want=4
[ "${n:-0}" -ge "$want" ] && ok "$n back offices started" || bad "back offices: $n, wanted $want"
s=$(sed -n 's/^services //p' <<<"$report")
[ "${s:-0}" -ge 9 ] && ok "$s services registered" || bad "services: $s"
grep -q '^citizen [A-Z][12][0-9]\{8\} yes' <<<"$report" && ok "demo citizen with a password" || bad "citizen: $report"
grep -q '^admin yes' <<<"$report" && ok "administrator with a password" || bad "administrator: $report"
grep -q '^consumer TW/GOV/NDC/one-window yes' <<<"$report" && ok "consumer system with client credentials" || bad "consumer: $report"
[ "$want" = 6 ] && { grep -q '^not_wired 0' <<<"$report" && ok "everything wired" || bad "not wired: $report"; }

pids=()
while read -r _ name url pid; do
  pids+=("$pid")
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")
  [ "$code" = 200 ] && ok "$name back office answers" || bad "$name at $url: $code"
done < <(grep '^url ' <<<"$report")

# the household registry's address change reaches the health system through the gateway
cid=$(sed -n 's/^citizen \([A-Z0-9]*\) .*/\1/p' <<<"$report")
hh=$(grep '^url household ' <<<"$report" | cut -d' ' -f3)
hl=$(grep '^url health ' <<<"$report" | cut -d' ' -f3)
curl -s -X POST -H 'Content-Type: application/json' "$hh/persons/$cid/address-change" \
  -d '{"address":"澎湖縣馬公市中正路1號","district_code":"10016010"}' >/dev/null
seen=
for _ in $(seq 1 100); do
  if [ -n "$(python3 - "$tmp/var/demo/backoffice-health.db" "$cid" <<'PY'
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute("select address from hl_patient where national_id=?", (sys.argv[2],)).fetchone()
print('x' if r and r[0] == '澎湖縣馬公市中正路1號' else '')
PY
)" ]; then seen=1; break; fi
  sleep 0.1
done
[ -n "$seen" ] && ok "address change delivered to the health system via the gateway" || bad "health system not updated"

kill -INT "$demo_pid"
wait "$demo_pid"; rc=$?
demo_pid=
[ $rc = 0 ] && ok "Ctrl-C stops the demo" || bad "demo exit $rc"
alive=0
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
[ $alive = 0 ] && ok "every back office stopped" || bad "$alive back offices still running"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
