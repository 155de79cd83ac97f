#!/usr/bin/env bash
# bench/pki.sh -- OCSP answers per second (POST, each one looked up in the
# database and signed with the issuing CA's P-256 key) and CRL downloads,
# against egov's own /healthz in the same run, on a release `egov serve`
# (SQLite under a temp dir), with CPU-seconds of the node per answer.
#
# Environment: DURATION (default 10s), THREADS (wrk, default 2), CONNS
# (default 16), EGOV_BIN (default build/egov), PORT (default 18380).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
EGOV_BIN=${EGOV_BIN:-$top/build/egov}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
PORT=${PORT:-18380}
for tool in wrk curl openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing" >&2; exit 1; }
done
[ -x "$EGOV_BIN" ] || { echo "bench: $EGOV_BIN is missing; run make" >&2; exit 1; }
work=$(mktemp -d /tmp/egov-pki-bench.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export EGOV_PATHS_VAR="$work/var" EGOV_LOG_LEVEL=warn EGOV_LOG_REQUESTS=false
db="sqlite:$work/egov.db"
base="http://127.0.0.1:$PORT"
"$EGOV_BIN" pki init --url "$base" --db "$db" >/dev/null
"$EGOV_BIN" pki ca citizen --out citizen.pem --db "$db"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout u.key -subj /CN=x \
  -out u.csr 2>/dev/null
"$EGOV_BIN" pki issue --ca citizen --csr u.csr --name x --national-id A123456789 --out u.crt \
  --db "$db" 2>/dev/null
openssl ocsp -issuer citizen.pem -cert u.crt -no_nonce -reqout req.der >/dev/null 2>&1
"$EGOV_BIN" serve --listen "127.0.0.1:$PORT" --db "$db" >serve.log 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
cat >ocsp.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/ocsp-request"
local f = io.open("$work/req.der", "rb")
wrk.body = f:read("*a")
f:close()
LUA
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
run() { # NAME PATH [wrk args]
  local name=$1 path=$2; shift 2
  local c0 c1 out rps
  c0=$(cpu)
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$base$path")
  c1=$(cpu)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local total
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  printf '%-22s %10s req/s  p50 %8s  p99 %8s  %8.0f per CPU-second of the node\n' "$name" "$rps" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")" \
    "$(awk -v n="$total" -v c=$((c1 - c0)) -v hz="$hz" 'BEGIN {print (c > 0 ? n * hz / c : 0)}')"
}

run "GET /healthz" /healthz
[ -n "${PERF_OUT:-}" ] && { perf record -F 999 -g -p "$pid" -o "$PERF_OUT" -- sleep 4 >/dev/null 2>&1 & }
run "POST /pki/ocsp" /pki/ocsp -s ocsp.lua
run "GET /pki/crl/citizen.crl" /pki/crl/citizen.crl
openssl ocsp -respin <(curl -s -H 'Content-Type: application/ocsp-request' --data-binary @req.der \
  "$base/pki/ocsp") -issuer citizen.pem -cert u.crt -noverify 2>/dev/null | grep -q 'u.crt: good' \
  && echo "last answer checked by openssl ocsp: good"
