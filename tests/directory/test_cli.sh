#!/usr/bin/env bash
# test_cli.sh -- the directory and the OID registry as an operator uses
# them: `egov oid import` of the official list (twice, with progress on a
# terminal), resolve, register, search, DER checked by `openssl asn1parse`,
# `egov directory` lookups, LDIF export and ID checks; then the JSON API
# and the pages of a real `egov serve`.
set -u
: "${EGOV_BIN:?}"
data=${EGOV_SHARED_DATA:-}
[ -n "$data" ] && [ -r "$data/oid/GDS.csv" ] || { echo "shared data missing"; exit 77; }
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/testlib/serve.sh"
egov_serve_workdir tmp dir
export EGOV_LOG_LEVEL=warn
db="sqlite:$tmp/egov.db"
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
# expect NAME WANT_RC PATTERN -- CMD...: runs CMD, checks exit code and output
expect() {
  local name=$1 want=$2 pat=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, wanted $want; output: ${out:0:600}"; return; fi
  if [ -n "$pat" ] && ! grep -Eq -- "$pat" <<<"$out"; then bad "$name: output lacks /$pat/: ${out:0:600}"; return; fi
  ok "$name"
}

expect "egov oid --help" 0 'usage: egov oid import' -- "$EGOV_BIN" oid --help
expect "egov directory --help" 0 'usage: egov directory export-ldif' -- "$EGOV_BIN" directory --help
expect "egov oid frobnicate" 2 'usage: egov oid' -- "$EGOV_BIN" oid frobnicate
expect "egov directory without a subcommand" 2 'usage: egov directory export-ldif' -- "$EGOV_BIN" directory
expect "egov directory rekey with an argument" 2 'usage: egov directory rekey' -- "$EGOV_BIN" directory rekey now

# --- import -----------------------------------------------------------
expect "oid import" 0 '8189 rows, 8189 created, 0 updated, 0 unchanged, 23 renames recorded' -- \
  "$EGOV_BIN" oid import "$data/oid/GDS.csv" --changes "$data/oid/change.csv" --db "$db"
# on a terminal the import shows its progress (script(1) gives it one)
expect "oid import again changes nothing" 0 '0 created, 0 updated, 8189 unchanged, 0 renames recorded' -- \
  "$EGOV_BIN" oid import "$data/oid/GDS.csv" --changes "$data/oid/change.csv" --db "$db"
expect "oid import shows progress on a terminal" 0 'importing agencies: 8189 / 8189 \(100%\)' -- \
  script -qec "$EGOV_BIN oid import $data/oid/GDS.csv --changes $data/oid/change.csv --db $db" /dev/null
expect "oid import without a file" 2 'usage: egov oid import' -- "$EGOV_BIN" oid import --db "$db"
expect "oid import of a missing file" 1 'cannot open' -- "$EGOV_BIN" oid import "$tmp/none.csv" --db "$db"

expect "directory rekey" 0 '^[0-9]+ search keys changed' -- "$EGOV_BIN" directory rekey --db "$db"
expect "directory rekey again changes nothing" 0 '^0 search keys changed' -- "$EGOV_BIN" directory rekey --db "$db"

# --- resolve, register, search ------------------------------------------
expect "oid resolve" 0 '"name": "內政部"' -- "$EGOV_BIN" oid resolve 2.16.886.101.20003.20001 --db "$db"
expect "oid resolve path" 0 '"name": "行政院"' -- "$EGOV_BIN" oid resolve 2.16.886.101.20003.20001 --db "$db"
expect "oid resolve unregistered below" 0 '"exact": false' -- "$EGOV_BIN" oid resolve 2.16.886.101.20003.20001.99999.1 --db "$db"
expect "oid resolve bad" 1 'OID_INVALID' -- "$EGOV_BIN" oid resolve 2.16..886 --db "$db"
expect "oid register" 0 '"oid": "2.16.886.101.20003.20001.31000"' -- \
  "$EGOV_BIN" oid register 2.16.886.101.20003.20001 '資訊服務' --arc 31000 --db "$db"
expect "oid register twice" 1 'OID_EXISTS' -- \
  "$EGOV_BIN" oid register 2.16.886.101.20003.20001 '資訊服務' --arc 31000 --db "$db"
expect "oid register under nothing" 1 'OID_PARENT_NOT_FOUND' -- \
  "$EGOV_BIN" oid register 2.16.886.101.1.2.3 x --db "$db"
expect "oid search with a variant" 0 '"name": "臺北市政府"' -- "$EGOV_BIN" oid search 台北市政府 --db "$db"

# --- DER, read back by openssl asn1parse ---------------------------------
for oid in 2.16.886.101 2.16.886.101.20003.20001.31000 2.999.3 0.9.2342.19200300.100.1.1 \
           2.25.329800735698586629295641978511506172918 1.2.3.18446744073709551616.4294967296; do
  hex=$("$EGOV_BIN" oid der "$oid")
  printf '%s' "$hex" | perl -ne 'print pack("H*", $_)' >"$tmp/ours.der"
  out=$(openssl asn1parse -inform DER -in "$tmp/ours.der" 2>&1)
  # OpenSSL names the OIDs it knows; ask it for the number of those
  want=$(openssl asn1parse -genstr "OID:$oid" 2>&1 | sed -n 's/.*OBJECT *://p')
  if grep -q "OBJECT *:$want\$" <<<"$out" && [ -n "$want" ]; then ok "asn1parse reads DER of $oid"
  else bad "asn1parse reads DER of $oid: $hex -> $out (wanted $want)"; fi
  genhex=$(openssl asn1parse -genstr "OID:$oid" -out "$tmp/o.der" >/dev/null 2>&1 && od -An -tx1 "$tmp/o.der" | tr -d ' \n')
  [ "$genhex" = "$hex" ] && ok "DER of $oid equals openssl's" || bad "DER of $oid: $hex, openssl $genhex"
  expect "oid der --decode $oid" 0 "^$oid\$" -- "$EGOV_BIN" oid der --decode "$hex"
done
expect "oid der refuses a non-minimal arc" 1 'OID_DER_INVALID' -- "$EGOV_BIN" oid der --decode 0603808001
expect "oid der refuses bad text" 1 'OID_INVALID' -- "$EGOV_BIN" oid der 1.40

# --- directory ------------------------------------------------------------
expect "directory agency by OID" 0 '"name": "內政部"' -- "$EGOV_BIN" directory agency 2.16.886.101.20003.20001 --db "$db"
expect "directory agency by former OID" 0 '"name": "衛生署"' -- "$EGOV_BIN" directory agency 2.16.886.101.20003.20014 --db "$db"
expect "directory search by former name" 0 '衛生福利部國民健康署' -- "$EGOV_BIN" directory search 國民健康局 --db "$db"
expect "directory export-ldif" 0 '' -- "$EGOV_BIN" directory export-ldif --out "$tmp/a.ldif" --db "$db"
n=$(grep -c '^dn' "$tmp/a.ldif")
[ "$n" -gt 8189 ] && ok "LDIF has $n entries" || bad "LDIF has $n entries"
head -1 "$tmp/a.ldif" | grep -qx 'version: 1' && ok "LDIF version line" || bad "LDIF version line"
awk 'length($0) > 76 { exit 1 }' "$tmp/a.ldif" && ok "LDIF lines folded at 76" || bad "LDIF line longer than 76"
# OpenLDAP's own tools, where Debian's ldap-utils and slapd are installed:
# ldapadd parses every record, slapadd checks each entry against the schema
if command -v ldapadd >/dev/null; then
  added=$(ldapadd -n -x -H ldap://127.0.0.1:1 -f "$tmp/a.ldif" 2>&1 | grep -c '^!adding new entry')
  [ "$added" -eq "$n" ] && ok "ldapadd -n reads all $added entries" || bad "ldapadd -n read $added of $n entries"
else
  echo "skip ldapadd check (ldap-utils not installed)"
fi
if [ -x /usr/sbin/slapadd ] && [ -r /etc/ldap/schema/core.schema ]; then
  mkdir -p "$tmp/ldapdb"
  cat >"$tmp/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "c=TW"
directory $tmp/ldapdb
CONF
  # slapadd takes no version line; the schema check is what counts here
  tail -n +2 "$tmp/a.ldif" >"$tmp/b.ldif"
  expect "slapadd accepts every entry under the LDAP schema" 0 '' -- /usr/sbin/slapadd -u -f "$tmp/slapd.conf" -l "$tmp/b.ldif"
else
  echo "skip slapadd check (slapd not installed)"
fi
expect "directory export-ldif of a subtree" 0 'description: OID 2.16.886.101.20003.20001$' -- \
  "$EGOV_BIN" directory export-ldif --root 2.16.886.101.20003.20001 --db "$db"
expect "check-id valid" 0 'A123456789	valid	national_id' -- "$EGOV_BIN" directory check-id A123456789 A800000014 04595252
expect "check-id resident" 0 'A800000014	valid	resident_certificate$' -- "$EGOV_BIN" directory check-id A800000014
expect "check-id invalid" 1 'A123456780	invalid' -- "$EGOV_BIN" directory check-id A123456780

# --- a real node ----------------------------------------------------------
printf 'dir-admin-token-0123456789\n' >"$tmp/token"
chmod 600 "$tmp/token"
EGOV_OID_ADMIN_TOKEN_FILE="$tmp/token" egov_serve_start s "$tmp/serve.log" --db "$db" ||
  { bad "egov serve did not start"; exit 1; }
base=$s_url
# get NAME WANT_STATUS PATTERN CURL_ARGS...
get() {
  local name=$1 want=$2 pat=$3; shift 3
  local status
  status=$(curl -s -o "$tmp/body" -w '%{http_code}' "$@")
  if [ "$status" != "$want" ]; then bad "$name: HTTP $status, wanted $want: $(head -c 400 "$tmp/body")"; return; fi
  if [ -n "$pat" ] && ! grep -Eq -- "$pat" "$tmp/body"; then bad "$name: body lacks /$pat/: $(head -c 400 "$tmp/body")"; return; fi
  ok "$name"
}
get "GET agency by code-less OID" 200 '"name":"內政部"' "$base/api/directory/agencies/2.16.886.101.20003.20001"
get "GET agency search" 200 '臺北市政府' -G --data-urlencode 'q=台北市政府' "$base/api/directory/agencies"
get "GET unknown agency" 404 '"code":12002' "$base/api/directory/agencies/2.16.886.101.1.1"
get "POST agency without token" 401 '' -H 'Content-Type: application/json' -d '{"name":"x"}' "$base/api/directory/agencies"
get "POST agency" 201 '"code":"A99999999Z"' -H 'Content-Type: application/json' \
  -H 'Authorization: Bearer dir-admin-token-0123456789' \
  -d '{"name":"<script>alert(1)</script>測試機關","code":"A99999999Z","oid":"2.16.886.101.99999"}' "$base/api/directory/agencies"
get "POST agency with a bad code" 400 '"field":"code"' -H 'Content-Type: application/json' \
  -H 'Authorization: Bearer dir-admin-token-0123456789' -d '{"name":"y","code":"bad"}' "$base/api/directory/agencies"
get "GET agency by code" 200 '測試機關' "$base/api/directory/agencies/A99999999Z"
get "HTML page escapes names" 200 '&lt;script&gt;alert\(1\)&lt;/script&gt;測試機關' -H 'Accept: text/html' "$base/directory/agencies/A99999999Z"
if grep -q '<script>alert' "$tmp/body"; then bad "page carries an unescaped name"; else ok "no unescaped name"; fi
get "agency tree page (zh-TW)" 200 '機關名錄' -H 'Accept: text/html' "$base/directory?lang=zh-TW"
get "agency tree page (en)" 200 'Agency directory' -H 'Accept: text/html' "$base/directory?lang=en"
get "agency page shows former names" 200 '衛生署' -H 'Accept: text/html' "$base/directory/agencies/2.16.886.101.20003.20065?lang=zh-TW"
get "OID page" 200 'OID 註冊中心' -H 'Accept: text/html' "$base/oid?oid=2.16.886.101.20003&lang=zh-TW"
get "LDIF endpoint" 200 '^version: 1' "$base/api/directory/ldif?root=2.16.886.101.20003.20001"
get "check-id endpoint" 200 '"valid":true' -H 'Content-Type: application/json' -d '{"ids":["A123456789","04595252"]}' "$base/api/directory/check-id"
tok='Authorization: Bearer dir-admin-token-0123456789'
json='Content-Type: application/json'
get "POST agency as form" 415 '' -H "$tok" -H 'Content-Type: application/x-www-form-urlencoded' -d 'name=x' "$base/api/directory/agencies"
get "POST agency with broken JSON" 400 '"code":1008' -H "$tok" -H "$json" -d '{"name":' "$base/api/directory/agencies"
get "POST agency without a name" 400 '"field":"name"' -H "$tok" -H "$json" -d '{"code":"A99999998Z"}' "$base/api/directory/agencies"
get "POST agency with a duplicate OID" 409 '"code":12004' -H "$tok" -H "$json" -d '{"name":"dup","oid":"2.16.886.101.20003.20001"}' "$base/api/directory/agencies"
get "PATCH rename" 200 '"source":"rename"' -X PATCH -H "$tok" -H "$json" -d '{"name":"測試機關二","effective_date":"2026-11-27"}' "$base/api/directory/agencies/A99999999Z"
get "PATCH with a bad date" 400 '"field":"effective_date"' -X PATCH -H "$tok" -H "$json" -d '{"effective_date":"2026-02-30x"}' "$base/api/directory/agencies/A99999999Z"
get "PATCH without token" 401 '' -X PATCH -H "$json" -d '{"name":"x"}' "$base/api/directory/agencies/A99999999Z"
get "POST unit" 201 '"name":"資訊室"' -H "$tok" -H "$json" -d '{"name":"資訊室"}' "$base/api/directory/agencies/A99999999Z/units"
get "GET units" 200 '"agency_id":"[0-9a-f-]{36}","items":\[\{.*"name":"資訊室"' -H "$tok" "$base/api/directory/agencies/A99999999Z/units"
get "GET units of an unknown agency" 404 '"field":"key"' "$base/api/directory/agencies/2.16.886.101.1.1/units"
get "GET children" 200 '"agency_id":"[0-9a-f-]{36}","items":\[\{' "$base/api/directory/agencies/2.16.886.101.20003/children"
get "GET children of an unknown agency" 404 '"field":"key"' "$base/api/directory/agencies/2.16.886.101.1.1/children"
get "GET agencies under a parent" 200 '"name":"內政部"' "$base/api/directory/agencies?parent=2.16.886.101.20003"
get "GET agencies under an unknown parent" 404 '"field":"parent"' "$base/api/directory/agencies?parent=2.16.886.101.1.1"
get "agency tree page under an unknown parent" 404 '' -H 'Accept: text/html' "$base/directory?parent=2.16.886.101.1.1"
get "LDIF of an unknown root" 404 '"field":"root"' "$base/api/directory/ldif?root=2.16.886.101.1.1"
get "POST agency answers with its place" 201 '"name":"位置測試".*"phone":"02-2345-6789"' -D "$tmp/headers" -H "$tok" -H "$json" -d '{"name":"位置測試","address":"臺北市中正區","phone":"02-2345-6789"}' "$base/api/directory/agencies"
if grep -Eiq '^Location: /api/directory/agencies/[0-9a-f-]{36}' "$tmp/headers"; then ok "Location of a new agency"; else bad "no Location: $(cat "$tmp/headers")"; fi
get "POST staff" 201 '"subject":"acct-9"' -H "$tok" -H "$json" -d '{"subject":"acct-9","name":"林","title":"主任"}' "$base/api/directory/agencies/A99999999Z/staff"
staff_id=$(sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' "$tmp/body")
get "GET staff without token" 401 '' "$base/api/directory/agencies/A99999999Z/staff"
get "GET staff" 200 '"acct-9"' -H "$tok" "$base/api/directory/agencies/A99999999Z/staff"
get "GET staff-of" 200 '測試機關二' -H "$tok" "$base/api/directory/staff-of/acct-9"
get "DELETE staff" 200 '"active":false' -X DELETE -H "$tok" "$base/api/directory/staff/$staff_id"
get "DELETE staff again keeps it ended" 200 '' -X DELETE -H "$tok" "$base/api/directory/staff/$staff_id"
get "DELETE unknown staff" 404 '' -X DELETE -H "$tok" "$base/api/directory/staff/0190f0a0-0000-7000-8000-00000000dead"
get "POST person without token" 401 '' -H "$json" -d '{"id_number":"A123456789","name":"陳"}' "$base/api/directory/persons"
get "POST person with a bad ID" 400 '"field":"id_number"' -H "$tok" -H "$json" -d '{"id_number":"A123456780","name":"陳"}' "$base/api/directory/persons"
get "POST person" 201 '"kind":"citizen"' -H "$tok" -H "$json" -d '{"id_number":"A123456789","name":"陳"}' "$base/api/directory/persons"
get "POST the same person" 409 '"field":"id_number"' -H "$tok" -H "$json" -d '{"id_number":"A123456789","name":"陳"}' "$base/api/directory/persons"
get "POST a resident with every field" 201 '"name_latin":"John Smith".*"birth_date":"1990-01-02"' -H "$tok" -H "$json" -d '{"id_number":"A800000014","name":"史密斯","name_latin":"John Smith","nationality":"USA","birth_date":"1990-01-02","address":"臺北市中正區"}' "$base/api/directory/persons"
get "POST person with too long a nationality" 400 '"field":"nationality"' -H "$tok" -H "$json" -d '{"id_number":"A800000022","name":"x","nationality":"USAA"}' "$base/api/directory/persons"
get "GET person without token" 401 '' "$base/api/directory/persons/A123456789"
get "GET person" 200 '"gender":"M"' -H "$tok" "$base/api/directory/persons/A123456789"
get "POST business" 201 '"ban":"04595252"' -H "$tok" -H "$json" -d '{"ban":"04595252","name":"測試公司"}' "$base/api/directory/businesses"
get "POST business with a bad number" 400 '"field":"ban"' -H "$tok" -H "$json" -d '{"ban":"12345678","name":"x"}' "$base/api/directory/businesses"
get "POST the same business" 409 '"field":"ban"' -H "$tok" -H "$json" -d '{"ban":"04595252","name":"測試公司"}' "$base/api/directory/businesses"
get "POST business with a bad status" 400 '"field":"status"' -H "$tok" -H "$json" -d '{"ban":"22099131","name":"x","status":"odd"}' "$base/api/directory/businesses"
get "GET business" 200 '測試公司' "$base/api/directory/businesses/04595252"
get "search principals" 200 '"測試公司"' -G -H "$tok" --data-urlencode 'q=測試' "$base/api/directory/principals"
get "search principals without token" 401 '' -G --data-urlencode 'q=測試' "$base/api/directory/principals"
get "a form post without a CSRF token is refused" 403 '' -H "$tok" -d 'name=x' "$base/directory/agencies/A99999999Z/units"
get "check-id with a number" 400 '"field":"ids"' -H "$json" -d '{"ids":[5]}' "$base/api/directory/check-id"
get "register an arc" 201 '"oid":"2.16.886.101.99999.1"' -H 'Content-Type: application/json' \
  -H 'Authorization: Bearer dir-admin-token-0123456789' -d '{"name":"子節點"}' "$base/api/oid/2.16.886.101.99999/children"
get "resolve over HTTP" 200 '"der":"' "$base/api/oid/2.16.886.101.99999.1"
kill "$s_pid"; wait "$s_pid"; rc=$?; s_pid=
[ "$rc" -eq 0 ] && ok "egov serve stopped cleanly" || bad "egov serve exit $rc: $(tail -5 "$tmp/serve.log")"

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
