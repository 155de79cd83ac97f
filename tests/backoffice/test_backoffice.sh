#!/usr/bin/env bash
# test_backoffice.sh -- the back offices as separate processes: flags,
# the population listing, a household registry that pushes its address
# changes to a land registry, a vehicle registry speaking its legacy code,
# clean stops on SIGTERM, and generation speed.
set -u
: "${EGOV_BIN:?}"
command -v curl >/dev/null || exit 77
tmp=$(mktemp -d "${EGOV_TEST_TMP:-/tmp}/backoffice.XXXXXX" 2>/dev/null || mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
export EGOV_PATHS_VAR="$tmp/var" EGOV_LOG_LEVEL=warn
mkdir -p "$tmp/var"
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
expect() {
  local name=$1 want=$2 pat=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, wanted $want; output: $out"; return; fi
  if [ -n "$pat" ] && ! grep -Eq -- "$pat" <<<"$out"; then bad "$name: output lacks /$pat/: $out"; return; fi
  ok "$name"
}

expect "backoffice without a name" 2 'usage: egov backoffice' -- "$EGOV_BIN" backoffice
expect "backoffice --help" 0 'household\|land' -- "$EGOV_BIN" backoffice --help
expect "unknown back office" 2 "unknown back office 'police'" -- "$EGOV_BIN" backoffice police
expect "bad --people" 2 'people must be' -- "$EGOV_BIN" backoffice household --people many
expect "too many people" 2 'people must be' -- "$EGOV_BIN" backoffice household --people 20000000
expect "bad --publish" 2 'publish must be' -- "$EGOV_BIN" backoffice household --publish ftp://x
expect "stray argument" 2 "unexpected argument" -- "$EGOV_BIN" backoffice land extra
expect "unreadable geocode" 1 'city-112.json' -- "$EGOV_BIN" backoffice land --people 5 \
  --geocode "$tmp/none" --db "sqlite:$tmp/x.db" --generate-only
expect "unreachable database" 1 'cannot open the database' -- "$EGOV_BIN" backoffice land \
  --db "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"

geo=()
[ -d "${EGOV_SHARED_DATA:-/nonexistent}/geocode" ] && geo=(--geocode "$EGOV_SHARED_DATA/geocode")
people=$("$EGOV_BIN" backoffice people --people 600 --seed 4 --limit 2 "${geo[@]}")
demo_line=$(grep '"demo_citizen":true' <<<"$people")
demo_id=$(sed -n 's/.*"national_id":"\([A-Z][0-9]*\)".*/\1/p' <<<"$demo_line")
demo_name=$(sed -n 's/.*"name":"\([^"]*\)".*/\1/p' <<<"$demo_line")
if [[ "$demo_id" =~ ^[A-Z][12][0-9]{8}$ ]]; then ok "people lists a demo citizen"; else bad "people: $people"; fi
again=$("$EGOV_BIN" backoffice people --people 600 --seed 4 --limit 2 "${geo[@]}")
[ "$people" = "$again" ] && ok "people is deterministic" || bad "people differs between runs"
other=$("$EGOV_BIN" backoffice people --people 600 --seed 5 --limit 2 "${geo[@]}")
[ "$people" != "$other" ] && ok "another seed, other people" || bad "seed ignored"

# start NAME OUTFILE ARGS...: starts a back office; sets url and pid
start() {
  local name=$1 out=$2; shift 2
  "$EGOV_BIN" backoffice "$name" --listen 127.0.0.1:0 --seed 4 --people 600 "${geo[@]}" "$@" \
    >"$out" 2>"$out.err" &
  pid=$!
  pids+=($pid)
  for _ in $(seq 1 300); do
    grep -q '^listening on http://' "$out" 2>/dev/null && break
    sleep 0.1
  done
  url=$(sed -n 's/^listening on //p' "$out")
}

start land "$tmp/land.out" --db "sqlite:$tmp/land.db"
land=$url land_pid=$pid
[ -n "$land" ] && ok "land registry listens" || bad "land did not start: $(cat "$tmp/land.out.err")"
start household "$tmp/hh.out" --db "sqlite:$tmp/hh.db" --publish "$land/events"
hh=$url hh_pid=$pid
[ -n "$hh" ] && ok "household registry listens" || bad "household did not start: $(cat "$tmp/hh.out.err")"

out=$(curl -s "$hh/persons/$demo_id")
grep -q "\"name\":\"$demo_name\"" <<<"$out" && ok "person record" || bad "person record: $out"
code=$(curl -s -o /dev/null -w '%{http_code}' "$hh/persons/A12345678")
[ "$code" = 400 ] && ok "bad id is 400" || bad "bad id gave $code"
curl -s "$hh/openapi.json" | grep -q '"/persons/{id}/address-change"' && ok "openapi.json" || bad "openapi.json"

out=$(curl -s -X POST -H 'Content-Type: application/json' "$hh/persons/$demo_id/address-change" \
  -d '{"address":"花蓮縣花蓮市中山路一段1號","district_code":"10015010"}')
grep -q '"events":\[' <<<"$out" && ok "address change" || bad "address change: $out"
seen=
for _ in $(seq 1 100); do
  if curl -s "$land/owners/$demo_id/parcels" | grep -q '花蓮縣花蓮市中山路一段1號'; then seen=1; break; fi
  sleep 0.1
done
[ -n "$seen" ] && ok "the land registry received the change" || bad "land registry not updated"

# the vehicle registry speaks its in-house code when the tables are imported
if [ -d "${EGOV_SHARED_DATA:-/nonexistent}/cns11643" ] &&
   "$EGOV_BIN" hanzi import "$EGOV_SHARED_DATA/cns11643" >/dev/null 2>&1; then
  start vehicle "$tmp/veh.out" --db "sqlite:$tmp/veh.db"
  veh=$url
  [ -n "$veh" ] && ok "vehicle registry listens" || bad "vehicle did not start: $(cat "$tmp/veh.out.err")"
  ct=$(curl -s -o "$tmp/veh.body" -w '%{content_type}' "$veh/owners/$demo_id/vehicles")
  [ "$ct" = "application/json; charset=cns-dci" ] && ok "vehicle replies in cns-dci" || bad "content type $ct"
  name=$("$EGOV_BIN" hanzi conv --from cns-dci --to utf-8 <"$tmp/veh.body" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
  [ "$name" = "$demo_name" ] && ok "cns-dci name decodes" || bad "decoded name '$name' != '$demo_name'"
  kill -TERM "$pid"; wait "$pid"; rc=$?
  [ $rc = 0 ] && ok "vehicle stops cleanly" || bad "vehicle exit $rc"
else
  rm -rf "$tmp/var/hanzi"
  expect "vehicle without tables" 1 'egov hanzi import' -- "$EGOV_BIN" backoffice vehicle \
    --db "sqlite:$tmp/veh.db"
fi

kill -TERM "$hh_pid"; wait "$hh_pid"; rc=$?
[ $rc = 0 ] && ok "household stops cleanly on SIGTERM" || bad "household exit $rc"
kill -TERM "$land_pid"; wait "$land_pid"; rc=$?
[ $rc = 0 ] && ok "land stops cleanly on SIGTERM" || bad "land exit $rc"
pids=()

# a restart keeps the data and does not generate again
start land "$tmp/land2.out" --db "sqlite:$tmp/land.db"
curl -s "$url/owners/$demo_id/parcels" | grep -q '花蓮縣花蓮市中山路一段1號' &&
  ok "restart keeps the records" || bad "restart lost the records"
kill -TERM "$pid"; wait "$pid"
pids=()

# generation speed (this build may carry sanitizers: a small population)
start_s=$(date +%s%N)
"$EGOV_BIN" backoffice household --people 10000 --db "sqlite:$tmp/big.db" --generate-only 2>/dev/null
rc=$?
ms=$(( ($(date +%s%N) - start_s) / 1000000 ))
[ $rc = 0 ] && [ $ms -lt 20000 ] && ok "10,000 people in $ms ms" || bad "generation: exit $rc, $ms ms"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
