#!/usr/bin/env bash
# bench/oidc.sh -- OpenID Connect token grants per second against egov's own
# /healthz in the same run, and the node's memory with 100,000 live sessions.
#
# Starts a release build of `egov serve` (SQLite under a temp dir), registers
# a confidential client with the CLI, and seeds the database with 100,000
# live login sessions (account_session) and 100,000 live OIDC grants, each
# with a refresh token (oidc_grant, oidc_refresh), as a busy node would hold.
# Then runs wrk against:
#   egov  GET  /healthz                                  (the reference)
#   egov  POST /oidc/token grant_type=client_credentials  (client_secret_basic)
#   egov  POST /oidc/token grant_type=refresh_token       (each request spends
#         a fresh refresh token and the next request of that thread uses the
#         rotated one it got back; a reused token would revoke its family)
# Prints requests/s, p50, p99, requests per CPU-second of the node (grants
# per core, measured from the node's own CPU time so that wrk and other load
# on the machine do not count) and its RSS.  As a reference for the
# signatures every grant makes, `openssl speed` measures RSA-2048 (two and
# three primes) and ECDSA P-256 signatures per second on one core in the same
# run; from them follows the most a core could do if a grant cost nothing
# but its signatures (a refresh grant signs its access token ES256 and its
# ID token with the client's algorithm).
#
# Environment: DURATION (default 10s), THREADS (wrk threads, default 2),
# CONNS (default 32), EGOV_BIN (default build/egov), PORT (default 18280),
# SESSIONS (default 100000), NODE_THREADS (egov http.threads, default 0 =
# one per core).  Target: >= 2,000 grants/s per core.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
EGOV_BIN=${EGOV_BIN:-$top/build/egov}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
PORT=${PORT:-18280}
SESSIONS=${SESSIONS:-100000}
NODE_THREADS=${NODE_THREADS:-0}

for tool in wrk curl sqlite3 python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing" >&2; exit 1; }
done
[ -x "$EGOV_BIN" ] || { echo "bench: $EGOV_BIN is missing; run make" >&2; exit 1; }

work=$(mktemp -d /tmp/egov-oidc-bench.XXXXXX)
egov_pid=
cleanup() {
  [ -n "$egov_pid" ] && kill "$egov_pid" 2>/dev/null && wait "$egov_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
db="sqlite:$work/bench.db"
export EGOV_PATHS_VAR="$work/var"
mkdir -p "$EGOV_PATHS_VAR"

# --- set-up: schema, one citizen, one client -----------------------------------
"$EGOV_BIN" db migrate --db "$db" >/dev/null 2>&1
printf 'quiet river lantern 7319\n' >"$work/pw"
"$EGOV_BIN" account add --national-id A123456789 --name "Wang Da-tung" --password-file "$work/pw" \
  --db "$db" >/dev/null
"$EGOV_BIN" oidc client add --name bench --redirect-uri https://rp.example.gov.tw/cb \
  --db "$db" >"$work/client.json"
read -r client_id client_secret < <(python3 -c '
import json,sys; c=json.load(open(sys.argv[1])); print(c["client_id"], c["client_secret"])' "$work/client.json")
basic=$(printf '%s:%s' "$client_id" "$client_secret" | base64 -w0)

# --- 100,000 live sessions and grants, straight into the database ------------------
python3 - "$work" "$client_id" "$SESSIONS" <<'PY'
import hashlib, os, sys, time, uuid
work, client, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
now = int(time.time())
us = now * 1000000
with open(os.path.join(work, "seed.sql"), "w") as f, open(os.path.join(work, "refresh.txt"), "w") as t1, \
        open(os.path.join(work, "refresh2.txt"), "w") as t2:
    f.write("BEGIN;\n")
    f.write("CREATE TEMP TABLE a AS SELECT id FROM account LIMIT 1;\n")
    for i in range(n):
        sid = str(uuid.uuid4())
        sh = hashlib.sha256(f"bench-session-{i}-{sid}".encode()).hexdigest()
        f.write("INSERT INTO account_session (id, token_hash, account_id, auth_time, amr, acr, created_at,"
                f" last_seen, expires_at) SELECT '{sid}', '{sh}', id, {us}, '[\"pwd\"]', 'urn:egov:loa:1',"
                f" {us}, {us}, {us + 8 * 3600 * 1000000} FROM a;\n")
        gid = str(uuid.uuid4())
        rt = f"bench-refresh-{i}-{uuid.uuid4().hex}"
        f.write("INSERT INTO oidc_grant (id, client_id, principal_id, session_id, scope, auth_time, acr, amr,"
                f" claims, created_at) VALUES ('{gid}', '{client}', 'p-{i}', '{sid}', 'openid profile',"
                f" {now}, 'urn:egov:loa:1', '[\"pwd\"]', '{{\"name\":\"Bench\"}}', {now});\n")
        f.write("INSERT INTO oidc_refresh (hash, grant_id, created_at, expires_at) VALUES"
                f" ('{hashlib.sha256(rt.encode()).hexdigest()}', '{gid}', {now}, {now + 86400});\n")
        (t1 if i % 2 == 0 else t2).write(rt + "\n")
    f.write("COMMIT;\n")
PY
sqlite3 "$work/bench.db" <"$work/seed.sql"
echo "seeded $(sqlite3 "$work/bench.db" 'SELECT COUNT(*) FROM account_session WHERE revoked_at IS NULL') live sessions and $(sqlite3 "$work/bench.db" 'SELECT COUNT(*) FROM oidc_refresh WHERE used_at IS NULL') live refresh tokens"

# --- the node ---------------------------------------------------------------------
EGOV_LOG_REQUESTS=false EGOV_LOG_LEVEL=info EGOV_HTTP_THREADS=$NODE_THREADS \
  "$EGOV_BIN" serve --listen "127.0.0.1:$PORT" --db "$db" >"$work/egov.out" 2>"$work/egov.err" &
egov_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$work/egov.err"; exit 1; }
cores=$(nproc)
sleep 1
rss_idle=$(rss_kb "$egov_pid")

# --- reference: signatures per second of one core (openssl speed) ------------------
rsa2=nan rsa3=nan ec=nan
if command -v openssl >/dev/null 2>&1; then
  speed() { openssl speed -seconds 2 -mr "$@" 2>/dev/null | awk -F: '/^\+F[24]:/ {printf "%.0f", $4; exit}'; }
  rsa2=$(speed rsa2048); rsa3=$(speed -primes 3 rsa2048); ec=$(speed ecdsap256)
fi
# the form of the node's RS256 key, from its log line when it made the key
rsa_primes=$(grep -o 'a modulus of [0-9] primes' "$work/egov.err" | head -1 | awk '{print $4}')

# a check that both grants work before timing them
curl -fsS -H "Authorization: Basic $basic" -d grant_type=client_credentials \
  "http://127.0.0.1:$PORT/oidc/token" >/dev/null || { echo "bench: client credentials fail" >&2; exit 1; }

cat >"$work/cc.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
function response(status, headers, body)
  if status ~= 200 then bad = (bad or 0) + 1 end
end
LUA

# refresh: every thread owns a slice of the seeded tokens and keeps them on a
# stack; each request spends the top one, and a 200 answer pushes the rotated
# token it carries, so the seeded ones are only the starting pool.  The two
# refresh runs use disjoint halves of the seeded tokens (a token spent twice
# would be a reuse and revoke its family).
refresh_lua() { # FILE -> a wrk script on stdout
  cat <<LUA
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  stack, top = {}, 0
  local i = 0
  for line in io.lines("$1") do
    if i % $THREADS == id then top = top + 1; stack[top] = line end
    i = i + 1
  end
  errors = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = "Basic $basic"
end
function request()
  local t = stack[top]
  stack[top] = nil
  top = top - 1
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. t)
end
function response(status, headers, body)
  if status == 200 then
    local rt = body:match('"refresh_token":"([^"]+)"')
    if rt then top = top + 1; stack[top] = rt end
  else
    errors = errors + 1
  end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write(string.format("refresh_errors %d\\n", e))
end
LUA
}
refresh_lua "$work/refresh.txt" >"$work/refresh.lua"
refresh_lua "$work/refresh2.txt" >"$work/refresh2.lua"

to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print "nan" }'
}
# CPU seconds (user + system) the node has used so far
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$egov_pid/stat"; }
# run NAME URL [LUA] -> "rps p50_ms p99_ms requests_per_cpu_second_of_the_node"
run() {
  local out c0 c1
  c0=$(cpu_s)
  if [ -n "${3:-}" ]; then
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$3" "$2" 2>&1)
  else
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$2" 2>&1)
  fi
  if grep -qE 'Non-2xx|refresh_errors [1-9]' <<<"$out"; then
    echo "bench: $1 had errors:" >&2
    grep -E 'Non-2xx|Socket errors|refresh_errors' <<<"$out" >&2
  fi
  c1=$(cpu_s)
  local n
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") $(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")") $(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")") $(awk -v n="$n" -v a="$c0" -v b="$c1" 'BEGIN {if (b > a) printf "%.0f", n / (b - a); else print "nan"}')"
}

read -r h_rps h_p50 h_p99 h_cpu < <(run healthz "http://127.0.0.1:$PORT/healthz")
read -r c_rps c_p50 c_p99 c_cpu < <(run client_credentials "http://127.0.0.1:$PORT/oidc/token" "$work/cc.lua")
read -r r_rps r_p50 r_p99 r_cpu < <(run refresh "http://127.0.0.1:$PORT/oidc/token" "$work/refresh.lua")
# the same with the client's ID tokens signed ES256 instead of RS256 (a client
# registration choice, id_token_signed_response_alg); keys are re-read within a minute
sqlite3 "$work/bench.db" "UPDATE oidc_client SET id_token_alg = 'ES256' WHERE id = '$client_id'"
read -r e_rps e_p50 e_p99 e_cpu < <(run refresh-es256 "http://127.0.0.1:$PORT/oidc/token" "$work/refresh2.lua")
rss_end=$(rss_kb "$egov_pid")

echo
echo "egov OIDC grants, $CONNS connections, $THREADS wrk threads, $DURATION each, $cores cores shared by wrk and egov"
printf '%-36s %10s %9s %9s %10s %14s\n' target req/s p50_ms p99_ms vs_healthz per_node_cpu_s
row() { # NAME RPS P50 P99 CPU
  printf '%-36s %10s %9s %9s %10.2f %14s\n' "$1" "$2" "$3" "$4" "$(awk -v a="$2" -v b="$h_rps" 'BEGIN {print a / b}')" "$5"
}
row "GET /healthz" "$h_rps" "$h_p50" "$h_p99" "$h_cpu"
row "token client_credentials" "$c_rps" "$c_p50" "$c_p99" "$c_cpu"
row "token refresh_token (RS256 ID token)" "$r_rps" "$r_p50" "$r_p99" "$r_cpu"
row "token refresh_token (ES256 ID token)" "$e_rps" "$e_p50" "$e_p99" "$e_cpu"
echo
echo "reference, one core (openssl speed): RSA-2048 signatures/s ${rsa2:-nan} (two primes), ${rsa3:-nan} (three primes);"
echo "  ECDSA P-256 signatures/s ${ec:-nan}; the node's RS256 key has ${rsa_primes:-?} primes"
awk -v r2="$rsa2" -v r3="$rsa3" -v ec="$ec" -v p="${rsa_primes:-2}" 'BEGIN {
  r = (p == 3) ? r3 : r2
  if (r > 0 && ec > 0)
    printf "  a core signing and doing nothing else: %.0f refresh grants/s (RS256 ID token), %.0f (ES256)\n",
      1 / (1 / r + 1 / ec), ec / 2 }'
printf '\negov RSS with %s live sessions and %s live grants: idle %.1f MB, after the run %.1f MB\n' \
  "$SESSIONS" "$SESSIONS" "$(awk -v k="$rss_idle" 'BEGIN {print k / 1024}')" "$(awk -v k="$rss_end" 'BEGIN {print k / 1024}')"
echo "(per_node_cpu_s: requests per CPU-second the egov process itself used, i.e. per core fully"
echo " given to egov; req/s is what this machine managed with wrk and everything else on it)"
