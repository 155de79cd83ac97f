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

node=$(python3 -c "import json;print(json.load(open('var/demo.json'))['node']['url'])")
# the demo citizen and the administrator sign in with the passwords of demo.json
for who in citizen administrator; do
  login=$(python3 -c "import json;print(json.load(open('var/demo.json'))['$who']['login'])")
  pw=$(python3 -c "import json;print(json.load(open('var/demo.json'))['$who']['password'])")
  rm -f cj
  tok=$(curl -s -c cj -H 'Accept: text/html' "$node/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
  code=$(curl -s -b cj -c cj -o /dev/null -w '%{http_code}' -H 'Accept: text/html' \
    --data-urlencode "csrf_token=$tok" --data-urlencode "login=$login" --data-urlencode "password=$pw" "$node/login")
  acct=$(curl -s -b cj -o /dev/null -w '%{http_code}' -H 'Accept: text/html' "$node/account")
  [ "$code" = 303 ] && [ "$acct" = 200 ] && ok "$who signs in" || bad "$who sign-in: $code, /account $acct"
done
code=$(curl -s -b cj -o gwpage.html -w '%{http_code}' -H 'Accept: text/html' "$node/gateway")
[ "$code" = 200 ] && ok "the administrator opens the gateway page" || bad "gateway page: $code"
# the header names who is signed in instead of offering to sign in
admin_name=$(python3 -c "import json;print(json.load(open('var/demo.json'))['administrator']['name'])")
grep -q "href=\"/account\"[^>]*>$admin_name<" gwpage.html && ! grep -q 'href="/login"' gwpage.html &&
  ok "the page header names the signed-in administrator" || bad "header: $(grep -o 'site-header__tools.*' gwpage.html | head -c 300)"
# the consumer's client credentials give a token
cid=$(python3 -c "import json;print(json.load(open('var/demo.json'))['consumer']['oauth']['client_id'])")
cs=$(python3 -c "import json;print(json.load(open('var/demo.json'))['consumer']['oauth']['client_secret'])")
curl -s -u "$cid:$cs" -d grant_type=client_credentials "$node/oidc/token" | grep -q '"access_token"' &&
  ok "client credentials give an access token" || bad "no access token"
# a signed call through the gateway to the tax system (legacy code, transcoded)
if [ "$want" = 6 ] && python3 -c 'import cryptography' 2>/dev/null; then
  out=$(python3 - <<'PY'
import json, time, uuid, base64, urllib.request
from cryptography.hazmat.primitives.serialization import load_pem_private_key
d = json.load(open('var/demo.json'))
key = load_pem_private_key(open(d['consumer']['signing_key_file'], 'rb').read(), None)
client, rid, created = d['consumer']['id'], str(uuid.uuid4()), int(time.time())
path = '/r1/TW/GOV/MOF/tax/taxpayers/' + d['citizen']['national_id']
params = '("@method" "@path" "x-road-client" "x-road-id");created=%d;keyid="%s";alg="ed25519"' % (created, client)
base = '\n'.join(['"@method": GET', '"@path": ' + path, '"x-road-client": ' + client,
                  '"x-road-id": ' + rid, '"@signature-params": ' + params])
sig = base64.b64encode(key.sign(base.encode())).decode()
req = urllib.request.Request(d['node']['url'] + path, headers={'X-Road-Client': client,
      'X-Road-Id': rid, 'Signature-Input': 'sig1=' + params, 'Signature': 'sig1=:%s:' % sig})
r = urllib.request.urlopen(req)
body = json.loads(r.read().decode('utf-8'))
print(r.status, body['name'] == d['citizen']['name'])
PY
)
  [ "$out" = "200 True" ] && ok "signed call to the tax system through the gateway" || bad "signed call: $out"
fi

# the back offices believe X-Road headers only under the gateway's signature
tax=$(grep '^url tax ' <<<"$report" | cut -d' ' -f3)
if [ -n "$tax" ]; then
  nid=$(python3 -c "import json;print(json.load(open('var/demo.json'))['citizen']['national_id'])")
  code=$(curl -s -o forged.json -w '%{http_code}' -H 'X-Road-Client: TW/GOV/MOF/tax' -H 'X-Road-Id: forged-1' \
    "$tax/taxpayers/$nid")
  [ "$code" = 401 ] && grep -q 'GATEWAY_SIGNATURE_MISSING' forged.json &&
    ok "a call bypassing the gateway with its headers is refused" || bad "forged call: $code $(cat forged.json)"
  code=$(curl -s -o forged.json -w '%{http_code}' -H 'X-Road-Client: TW/GOV/MOF/tax' -H 'X-Road-Id: forged-2' \
    -H 'Signature-Input: sig1=("@method" "@path" "x-road-client" "x-road-service" "x-road-id");created='"$(date +%s)"';keyid="gateway";alg="hmac-sha256"' \
    -H 'X-Road-Service: TW/GOV/MOF/tax/taxpayers' -H 'Signature: sig1=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:' \
    "$tax/taxpayers/$nid")
  [ "$code" = 401 ] && grep -q 'GATEWAY_SIGNATURE_INVALID' forged.json &&
    ok "a forged gateway signature is refused" || bad "forged signature: $code $(cat forged.json)"
fi

# the household event feed carries addresses: X-Road headers without the
# gateway's signature are refused there as on the record routes
hh_url=$(grep '^url household ' <<<"$report" | cut -d' ' -f3)
if [ -n "$hh_url" ]; then
  code=$(curl -s -o forged.json -w '%{http_code}' -H 'X-Road-Client: TW/GOV/MOF/tax' -H 'X-Road-Id: forged-3' \
    "$hh_url/events?after=0")
  [ "$code" = 401 ] && grep -q 'GATEWAY_SIGNATURE_MISSING' forged.json &&
    ok "the event feed refuses a caller posing as the gateway" || bad "forged feed read: $code $(cat forged.json)"
fi

# an event delivery changes records: one the gateway did not sign is refused
hl_url=$(grep '^url health ' <<<"$report" | cut -d' ' -f3)
if [ -n "$hl_url" ]; then
  code=$(curl -s -o forged.json -w '%{http_code}' -H 'Content-Type: application/json' \
    -H 'X-Egov-Delivery: 0190f0f0-0000-7000-8000-000000000001' \
    -d '{"subject":"household.address-changed","key":"A123456789","data":{"national_id":"A123456789","address":"forged"}}' \
    "$hl_url/events")
  [ "$code" = 401 ] && grep -q 'GATEWAY_SIGNATURE_MISSING' forged.json &&
    ok "an event delivery the gateway did not sign is refused" || bad "forged event: $code $(cat forged.json)"
fi

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
