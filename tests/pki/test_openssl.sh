#!/usr/bin/env bash
# test_openssl.sh -- the platform CA as the real openssl command line and
# curl see it: `egov pki init`, keys and requests made by openssl, issuing
# per profile, `openssl verify` with and without -crl_check, `openssl ocsp`
# (good, revoked, unknown; POST and GET) against a running `egov serve`,
# a tampered request and a foreign CA refused, expiry, and certificate
# login with the egov signer and with a signature made by openssl itself.
set -u
: "${EGOV_BIN:?}"
command -v openssl >/dev/null || { echo "openssl missing"; exit 77; }
command -v curl >/dev/null || { echo "curl missing"; exit 77; }
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/testlib/serve.sh"
egov_serve_workdir tmp pki
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
# expect NAME WANT_RC PATTERN -- CMD...
expect() {
  local name=$1 want=$2 pat=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, wanted $want; output: $out"; return; fi
  if [ -n "$pat" ] && ! grep -Eq -- "$pat" <<<"$out"; then bad "$name: output lacks /$pat/: $out"; return; fi
  ok "$name"
}

cd "$tmp" || exit 1
export EGOV_PATHS_VAR="$tmp/var" EGOV_LOG_LEVEL=warn
db="sqlite:$tmp/egov.db"
id=A123456789

# a node first: the CA is set up while it runs and it picks the keys up
egov_serve_start s serve.log --db "$db" || exit 1
base=$s_url

expect "pki --help" 0 'sign-challenge' -- "$EGOV_BIN" pki --help
expect "issue before init" 1 'PKI_NOT_INITIALISED|run .egov pki init' -- \
  bash -c "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k0.pem -subj /CN=x -out r0.csr 2>/dev/null && '$EGOV_BIN' pki issue --ca citizen --csr r0.csr --name x --national-id $id --db '$db'"
expect "pki init" 0 'hierarchy created' -- "$EGOV_BIN" pki init --url "$base" --db "$db"
expect "pki init twice" 1 'PKI_ALREADY_INITIALISED' -- "$EGOV_BIN" pki init --url "$base" --db "$db"
[ "$(stat -c %a var/pki/keys)" = 700 ] && [ "$(stat -c %a var/pki/keys/*.key | sort -u)" = 600 ] \
  && [ "$(ls var/pki/keys | wc -l)" = 4 ] && ok "four keys, modes 0700/0600" \
  || bad "key store: $(ls -l var/pki/keys)"
for ca in root citizen agency server; do
  "$EGOV_BIN" pki ca "$ca" --out "$ca.pem" --db "$db" || bad "export $ca"
done
cat citizen.pem agency.pem server.pem >inter.pem
expect "root is self-signed CA" 0 'CA:TRUE' -- openssl x509 -in root.pem -noout -text
expect "issuing CA chains to root" 0 'OK' -- openssl verify -CAfile root.pem citizen.pem

# a citizen: key and request made by openssl
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout user.key \
  -subj "/CN=anything" -out user.csr 2>/dev/null
expect "issue citizen" 0 'issued serial' -- "$EGOV_BIN" pki issue --ca citizen --csr user.csr \
  --name "王小明" --national-id "$id" --out user.crt --db "$db"
serial=$(openssl x509 -in user.crt -noout -serial | cut -d= -f2 | sed 's/^0*//')
expect "citizen verify" 0 'user.crt: OK' -- openssl verify -CAfile root.pem -untrusted citizen.pem user.crt
expect "citizen is clientAuth" 0 'user.crt: OK' -- \
  openssl verify -purpose sslclient -CAfile root.pem -untrusted citizen.pem user.crt
expect "citizen is not serverAuth" 2 'certificate purpose' -- \
  openssl verify -purpose sslserver -CAfile root.pem -untrusted citizen.pem user.crt
expect "pseudonym, no national ID" 0 'serialNumber *= *P[0-9A-F]{16}' -- \
  openssl x509 -in user.crt -noout -subject -nameopt multiline,utf8
if openssl x509 -in user.crt -noout -text | grep -q "$id"; then bad "national ID in certificate"; else ok "national ID not in certificate"; fi
expect "AIA names the OCSP endpoint" 0 "^$base/pki/ocsp\$" -- openssl x509 -in user.crt -noout -ocsp_uri
expect "CRL distribution point" 0 "$base/pki/crl/citizen.crl" -- openssl x509 -in user.crt -noout -text

# server and agency profiles
openssl req -new -newkey rsa:3072 -nodes -keyout srv.key -subj "/CN=x" -out srv.csr 2>/dev/null
expect "issue server" 0 'issued' -- "$EGOV_BIN" pki issue --ca server --csr srv.csr \
  --dns www.example.gov.tw --dns api.example.gov.tw --out srv.crt --db "$db"
expect "server verify sslserver" 0 'srv.crt: OK' -- \
  openssl verify -purpose sslserver -CAfile root.pem -untrusted server.pem srv.crt
expect "server SAN" 0 'DNS:api.example.gov.tw' -- openssl x509 -in srv.crt -noout -ext subjectAltName
expect "issue agency" 0 'issued' -- "$EGOV_BIN" pki issue --ca agency --csr user.csr \
  --agency-code A00000000A --agency-name 財政部 --system tax-client --out agency.crt --db "$db"
expect "agency verify" 0 'agency.crt: OK' -- openssl verify -CAfile root.pem -untrusted agency.pem agency.crt
expect "agency key usage" 0 'Non Repudiation' -- openssl x509 -in agency.crt -noout -ext keyUsage
expect "server needs --dns" 1 'PKI_REQUEST_INVALID' -- \
  "$EGOV_BIN" pki issue --ca server --csr srv.csr --out x.crt --db "$db"

# refused requests
openssl req -in user.csr -outform DER -out user.csr.der
python3 - <<'PY'
d = bytearray(open('user.csr.der', 'rb').read())
i = d.find(b'anything')
d[i] = ord('A')
open('tampered.der', 'wb').write(bytes(d))
PY
expect "tampered CSR refused" 1 'PKI_CSR_SIGNATURE' -- "$EGOV_BIN" pki issue --ca citizen \
  --csr tampered.der --name x --national-id "$id" --db "$db"
head -c 300 /dev/urandom >junk.csr
expect "malformed CSR refused" 1 'PKI_CSR_MALFORMED' -- "$EGOV_BIN" pki issue --ca citizen \
  --csr junk.csr --name x --national-id "$id" --db "$db"
openssl req -new -newkey rsa:1024 -nodes -keyout weak.key -subj /CN=x -out weak.csr 2>/dev/null
expect "weak key refused" 1 'PKI_KEY_UNSUPPORTED' -- "$EGOV_BIN" pki issue --ca citizen \
  --csr weak.csr --name x --national-id "$id" --db "$db"

# expiry: a one-day certificate is expired the day after tomorrow
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout short.key \
  -subj /CN=x -out short.csr 2>/dev/null
"$EGOV_BIN" pki issue --ca citizen --csr short.csr --name x --national-id "$id" --days 1 \
  --out short.crt --db "$db" 2>/dev/null || bad "issue short"
expect "expired refused" 2 'certificate has expired' -- openssl verify -attime $(( $(date +%s) + 3 * 86400 )) \
  -CAfile root.pem -untrusted citizen.pem short.crt

# a foreign CA: same names, other keys
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout evil.key \
  -subj "/C=TW/O=egov Platform PKI/CN=egov Citizen CA" -days 30 -out evil-ca.pem 2>/dev/null
openssl x509 -req -in user.csr -CA evil-ca.pem -CAkey evil.key -CAcreateserial -days 30 \
  -out evil.crt 2>/dev/null
expect "foreign CA refused by openssl" 2 'error' -- openssl verify -CAfile root.pem -untrusted citizen.pem evil.crt
body=$(python3 -c 'import json,sys; print(json.dumps({"certificate": open("evil.crt").read()}))')
expect "foreign CA refused by /api/pki/verify" 0 '^401 .*PKI_CHAIN_INVALID' -- bash -c \
  "curl -s -w '%{http_code} ' -o out.json -H 'Content-Type: application/json' --data-binary @- '$base/api/pki/verify' <<<'$body'; cat out.json"

# CRLs: served as DER, accepted by openssl verify -crl_check
curl -sf "$base/pki/crl/citizen.crl" -o citizen.crl.der || bad "GET CRL"
curl -sf "$base/pki/crl/root.crl" -o root.crl.der || bad "GET root CRL"
openssl crl -inform DER -in citizen.crl.der -out citizen.crl.pem
openssl crl -inform DER -in root.crl.der -out root.crl.pem
expect "CRL signed by citizen CA" 0 'verify OK' -- openssl crl -in citizen.crl.pem -CAfile inter.pem -noout
expect "CRL has nextUpdate" 0 'nextUpdate=' -- openssl crl -in citizen.crl.pem -noout -nextupdate
expect "verify -crl_check" 0 'user.crt: OK' -- \
  openssl verify -crl_check -CAfile root.pem -untrusted citizen.pem -CRLfile citizen.crl.pem user.crt
expect "verify -crl_check_all" 0 'user.crt: OK' -- openssl verify -crl_check_all -CAfile root.pem \
  -untrusted citizen.pem -CRLfile citizen.crl.pem -CRLfile root.crl.pem user.crt
expect "CA certificate as DER" 0 'egov Root CA' -- bash -c \
  "curl -sf '$base/pki/ca/root.crt' | openssl x509 -inform DER -noout -subject"

# OCSP: POST with a nonce, GET without
expect "OCSP good" 0 'user.crt: good' -- openssl ocsp -issuer citizen.pem -cert user.crt \
  -url "$base/pki/ocsp" -CAfile root.pem
expect "OCSP unknown" 0 '0x1234: unknown' -- openssl ocsp -issuer citizen.pem -serial 0x1234 \
  -url "$base/pki/ocsp" -CAfile root.pem
openssl ocsp -issuer citizen.pem -cert user.crt -no_nonce -reqout req.der >/dev/null 2>&1
req64=$(base64 -w0 req.der | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
curl -sf "$base/pki/ocsp/$req64" -o resp.der || bad "OCSP GET"
expect "OCSP by GET" 0 'user.crt: good' -- openssl ocsp -respin resp.der -issuer citizen.pem \
  -cert user.crt -CAfile root.pem
expect "OCSP garbage is 400" 0 '^400$' -- curl -s -o /dev/null -w '%{http_code}' \
  -H 'Content-Type: application/ocsp-request' --data-binary @junk.csr "$base/pki/ocsp"
head -c 200000 /dev/zero >huge.bin
expect "OCSP huge is 413" 0 '^413$' -- curl -s -o /dev/null -w '%{http_code}' \
  -H 'Content-Type: application/ocsp-request' --data-binary @huge.bin "$base/pki/ocsp"

# certificate login: an account, a challenge bound to a cookie, the signer
printf 'correct horse battery staple\n' >pw
"$EGOV_BIN" account add --national-id "$id" --name "王小明" --password-file pw --db "$db" \
  >/dev/null 2>&1 || bad "account add"
ch=$(curl -s -c jar -X POST "$base/api/pki/challenges")
cid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["challenge_id"])' "$ch")
ctext=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["challenge"])' "$ch")
resp=$("$EGOV_BIN" pki sign-challenge --key user.key --cert user.crt "$ctext")
expect "signer refuses a foreign key" 1 'does not belong' -- \
  "$EGOV_BIN" pki sign-challenge --key srv.key --cert user.crt "$ctext"
login() { # login JSON -> "STATUS BODY"
  local code
  code=$(curl -s -b jar -o login.out -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "$1" "$base/api/pki/login")
  printf '%s %s\n' "$code" "$(cat login.out)"
}
expect "certificate login" 0 '^200 .*urn:egov:loa:3' -- login "{\"challenge_id\":\"$cid\",\"response\":\"$resp\"}"
expect "challenge single use" 0 '^401 .*PKI_CHALLENGE_INVALID' -- login "{\"challenge_id\":\"$cid\",\"response\":\"$resp\"}"
ch=$(curl -s -b jar -c jar -X POST "$base/api/pki/challenges")
cid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["challenge_id"])' "$ch")
ctext=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["challenge"])' "$ch")
sig=$(printf '%s' "$ctext" | openssl dgst -sha256 -sign user.key | base64 -w0)
body=$(python3 -c 'import json,sys; print(json.dumps({"challenge_id": sys.argv[1], "certificate": open("user.crt").read(), "signature": sys.argv[2]}))' "$cid" "$sig")
expect "login with an openssl signature" 0 '^200 ' -- login "$body"
expect "login page" 0 'egov-login:' -- curl -s -H 'Accept: text/html' "$base/pki/login?lang=en"
expect "login page zh-TW" 0 '以憑證登入' -- curl -s -H 'Accept: text/html' "$base/pki/login?lang=zh-TW"
# the page as a browser without JavaScript uses it: read, sign, paste, post
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" page.html | head -1; }
form_login() { # RETURN_TO RESPONSE_OVERRIDE -> "STATUS LOCATION"
  curl -s -b pjar -c pjar -H 'Accept: text/html' -o page.html "$base/pki/login?lang=en&return_to=$1"
  local ct resp
  ct=$(sed -n 's/.*<code>\(egov-login:[A-Za-z0-9_-]*\)<\/code>.*/\1/p' page.html | head -1)
  resp=${2:-$("$EGOV_BIN" pki sign-challenge --key user.key --cert user.crt "$ct")}
  curl -s -b pjar -c pjar -o form.out -w '%{http_code} %{redirect_url}' -H 'Accept: text/html' \
    --data-urlencode "csrf_token=$(field csrf_token)" --data-urlencode "challenge_id=$(field challenge_id)" \
    --data-urlencode "return_to=$(field return_to)" --data-urlencode "response=$resp" "$base/pki/login"
}
expect "form login redirects to return_to" 0 "^303 $base/eservice/tax\$" -- form_login /eservice/tax
expect "form login never redirects off-site" 0 "^303 $base/account\$" -- form_login //evil.example
expect "form login with garbage shows the page" 0 '^400 ' -- form_login /x garbage.garbage
grep -q 'role="alert"' form.out && ok "error shown in an alert" || bad "no alert in $(head -c 300 form.out)"
expect "form without CSRF token refused" 0 '^403' -- curl -s -o /dev/null -w '%{http_code}' -b pjar \
  -H 'Accept: text/html' --data-urlencode "challenge_id=x" --data-urlencode "response=y" "$base/pki/login"

# revocation reaches the CRL and OCSP at once
expect "revoke" 0 'revoked' -- "$EGOV_BIN" pki revoke "$serial" --reason keyCompromise --db "$db"
expect "revoke twice" 1 'PKI_ALREADY_REVOKED' -- "$EGOV_BIN" pki revoke "$serial" --db "$db"
curl -sf "$base/pki/crl/citizen.crl" | openssl crl -inform DER -out citizen2.crl.pem
expect "CRL lists it" 0 'Key Compromise' -- openssl crl -in citizen2.crl.pem -noout -text
expect "verify -crl_check refuses it" 2 'certificate revoked' -- \
  openssl verify -crl_check -CAfile root.pem -untrusted citizen.pem -CRLfile citizen2.crl.pem user.crt
expect "OCSP revoked" 0 'user.crt: revoked' -- openssl ocsp -issuer citizen.pem -cert user.crt \
  -url "$base/pki/ocsp" -CAfile root.pem
ch=$(curl -s -b jar -c jar -X POST "$base/api/pki/challenges")
cid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["challenge_id"])' "$ch")
ctext=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["challenge"])' "$ch")
resp=$("$EGOV_BIN" pki sign-challenge --key user.key --cert user.crt "$ctext")
expect "revoked certificate cannot log in" 0 '^401 .*PKI_CERT_REVOKED' -- \
  login "{\"challenge_id\":\"$cid\",\"response\":\"$resp\"}"

kill "$s_pid"; wait "$s_pid"; rc=$?; s_pid=
[ "$rc" -eq 0 ] && ok "node stops cleanly" || bad "node exit $rc: $(tail -5 serve.log)"
if grep -q 'AddressSanitizer\|runtime error' serve.log; then bad "sanitizer: $(grep -m3 -A5 'Sanitizer\|runtime error' serve.log)"; fi
echo "$fails failures"
[ "$fails" -eq 0 ]
