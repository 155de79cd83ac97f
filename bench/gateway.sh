#!/usr/bin/env bash
# bench/gateway.sh -- calls through the common gateway against the same
# back-office endpoint called directly and through Debian nginx proxy_pass,
# in one run.
#
# Starts a release build of the household back office (`egov backoffice
# household`, a generated population, SQLite) and an `egov serve` node
# (SQLite) with the gateway: the service TW/GOV/MOI/household/persons is
# registered as personal data with a legal basis, the consumer
# TW/GOV/MOF/tax has an Ed25519 key and a grant.  Then wrk runs:
#   direct    GET <household>/persons/ID
#   nginx     GET <nginx>/persons/ID            (proxy_pass, upstream keepalive)
#   gateway   GET <node>/r1/TW/GOV/MOI/household/persons/persons/ID
#             every request signed by the consumer (bench/gateway-sign.lua,
#             unique X-Road-Id; signed before the clock starts unless
#             PRESIGN=0), verified, grant- and legal-basis-checked,
#             forwarded over kept-alive connections (signed with the
#             household system's secret, checked by the back office), the
#             answer signed by the gateway and every call in the
#             hash-chained audit log before the answer leaves.
# Prints calls/s (the gateway's from its own audit log), p50, p99, the
# ratios gateway/direct and gateway/nginx,
# the p99 overhead over direct, the node's RSS and the audit entries written.
#
# Environment: DURATION (default 10s), THREADS (wrk threads, default 2),
# CLIENT_ALG (ecdsa-p256-sha256, ed25519, rsa-v1_5-sha256 or rsa-pss-sha512), CONNS (default 64), EGOV_BIN (default build/egov), PORT_BASE (default 18180),
# NODE_DB (sqlite, default, or pg: the node on a throwaway PostgreSQL
# cluster from scripts/pg-cluster.sh), PERSONS (how many different people the runs ask about in turn, default
# 500), PRESIGN (requests each wrk thread signs before the measured run, default
# 80000: a consumer signs on its own machine, not on the gateway's cores;
# 0 signs while sending),
# GATEWAY_ONLY (set: skip the direct and nginx runs, for profiling),
# BEFORE_GATEWAY (a shell command started as the gateway run begins, with
# NODE_PID set, e.g. 'perf record -g -p $NODE_PID -o /tmp/gw.perf -- sleep 5'),
# RATE (the consumer's calls per second through the cluster, default 0 = no
# limit; set it high, e.g. 1000000, to measure the cost of counting calls),
# NODE_THREADS (the node's http.threads, default 0 = one per CPU: a call
# waiting for its provider is suspended and holds no thread).
# Targets (2 cores): >= 10,000 calls/s through the gateway, >= 0.5x nginx,
# p99 overhead <= 2 ms at 64 connections, RSS <= 64 MB.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
EGOV_BIN=${EGOV_BIN:-$top/build/egov}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
PORT_BASE=${PORT_BASE:-18180}
# how many different people the runs ask about, in turn
PERSONS=${PERSONS:-500}
# calls waiting for the provider are suspended and hold no server thread
NODE_THREADS=${NODE_THREADS:-0}
# the consumer's key: ecdsa-p256-sha256 (default; cheaper with OpenSSL 3) or ed25519
CLIENT_ALG=${CLIENT_ALG:-ecdsa-p256-sha256}
# requests each wrk thread signs before the clock starts (0: sign while sending);
# RSA signs about 15 times slower than P-256, so fewer are made in advance
case "$CLIENT_ALG" in
  rsa-*) PRESIGN=${PRESIGN:-40000} ;;
  *) PRESIGN=${PRESIGN:-80000} ;;
esac
bo_port=$PORT_BASE
node_port=$((PORT_BASE + 1))
nginx_port=$((PORT_BASE + 2))
CLIENT=TW/GOV/MOF/tax
SERVICE=TW/GOV/MOI/household/persons

for tool in wrk nginx curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing (make bench installs it)" >&2; exit 1; }
done
[ -x "$EGOV_BIN" ] || { echo "bench: $EGOV_BIN is missing; run make" >&2; exit 1; }

work=$(mktemp -d /tmp/egov-gwbench.XXXXXX)
chmod 755 "$work"
bo_pid=
node_pid=
pg_dir=
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  [ -n "$bo_pid" ] && kill "$bo_pid" 2>/dev/null && wait "$bo_pid" 2>/dev/null
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  [ -n "$pg_dir" ] && "$top/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_http() {
  for _ in $(seq 300); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: $1 does not answer" >&2
  return 1
}

export EGOV_LOG_REQUESTS=false EGOV_LOG_LEVEL=warn EGOV_PATHS_VAR="$work/var"
mkdir -p "$work/var" "$work/barrier"

# --- the back office ---
# the back office checks the gateway's signature on every call with its system's secret
"$EGOV_BIN" gateway provider-secret --system TW/GOV/MOI/household --out "$work/household.secret"
"$EGOV_BIN" backoffice household --listen "127.0.0.1:$bo_port" --db "sqlite:$work/household.db" \
  --people 2000 --seed 7 --gateway-secret-file "$work/household.secret" >"$work/bo.out" 2>"$work/bo.err" &
bo_pid=$!
wait_http "http://127.0.0.1:$bo_port/healthz" || { cat "$work/bo.err"; exit 1; }
person=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT national_id FROM hh_person ORDER BY national_id LIMIT 1').fetchone()[0])" "$work/household.db")
# the runs go over PERSONS different people in turn, not one record and one cache line
python3 - "$work/household.db" "$PERSONS" "$SERVICE" "$work" <<'PY'
import sqlite3, sys
db, n, svc, work = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ids = [r[0] for r in sqlite3.connect(db).execute(
    'SELECT national_id FROM hh_person ORDER BY national_id LIMIT ?', (n,))]
open(work + '/direct-paths.txt', 'w').write(''.join('/persons/%s\n' % i for i in ids))
open(work + '/gateway-paths.txt', 'w').write(''.join('/r1/%s/persons/%s\n' % (svc, i) for i in ids))
PY
curl -fsS "http://127.0.0.1:$bo_port/persons/$person" -o "$work/person.json"

# --- the gateway node and its registry ---
if [ "${NODE_DB:-sqlite}" = pg ]; then
  "$top/scripts/pg-cluster.sh" start "$work/pg" >/dev/null
  pg_dir="$work/pg"
  export EGOV_DB_URL=$("$top/scripts/pg-cluster.sh" url "$work/pg")
else
  export EGOV_DB_URL="sqlite:$work/node.db"
fi
"$EGOV_BIN" db migrate >/dev/null 2>&1
"$EGOV_BIN" gateway keygen --alg "$CLIENT_ALG" --out "$work/client.key" >"$work/client.pub"
"$EGOV_BIN" gateway client-add --id "$CLIENT" --key "$work/client.pub" --rate "${RATE:-0}"
curl -fsS "http://127.0.0.1:$bo_port/openapi.json" -o "$work/openapi.json"
"$EGOV_BIN" gateway service-add --id "$SERVICE" --url "http://127.0.0.1:$bo_port" \
  --openapi "$work/openapi.json" --personal
"$EGOV_BIN" gateway legal-basis-add --consumer "$CLIENT" --service "$SERVICE" \
  --basis "稅捐稽徵法第30條" >/dev/null
"$EGOV_BIN" authz grant add --consumer "${CLIENT//\//:}" --service "${SERVICE//\//:}" \
  --agency MOI --method GET --path '/persons/*' >/dev/null
EGOV_HTTP_THREADS=$NODE_THREADS "$EGOV_BIN" serve --listen "127.0.0.1:$node_port" >"$work/node.out" 2>"$work/node.err" &
node_pid=$!
wait_http "http://127.0.0.1:$node_port/healthz" || { cat "$work/node.err"; exit 1; }
sleep 1
rss_idle=$(rss_kb "$node_pid")

# --- nginx proxy_pass to the same endpoint ---
mkdir -p "$work/nginx-tmp"
cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx-tmp;
  proxy_temp_path $work/nginx-tmp;
  fastcgi_temp_path $work/nginx-tmp;
  uwsgi_temp_path $work/nginx-tmp;
  scgi_temp_path $work/nginx-tmp;
  keepalive_requests 100000;
  upstream household { server 127.0.0.1:$bo_port; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://household;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" 2>/dev/null || nginx -c "$work/nginx.conf"
wait_http "http://127.0.0.1:$nginx_port/persons/$person"

# one call by hand first: it must succeed and carry the gateway's signature
gw_path="/r1/$SERVICE/persons/$person"
wrk -t1 -c1 -d1s -s "$here/gateway-sign.lua" "http://127.0.0.1:$node_port" -- \
  "$work/client.key" "$CLIENT" "$gw_path" "$CLIENT_ALG" >"$work/probe.txt" 2>&1
if grep -q 'Non-2xx' "$work/probe.txt"; then
  echo "bench: calls through the gateway fail:" >&2
  cat "$work/probe.txt" "$work/node.err" >&2
  exit 1
fi

to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print "nan" }'
}
# run NAME URL [SCRIPT ARGS...] -> "rps p50_ms p99_ms errors"
run() {
  local name=$1 url=$2
  shift 2
  local out
  if [ $# -gt 0 ]; then
    local script=$1
    shift
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$script" "$url" -- "$@" 2>&1)
  else
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url" 2>&1)
  fi
  echo "$out" >"$work/wrk-$name.txt"
  local rps p50 p99 errs
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${errs:-0}"
}

if [ -n "${GATEWAY_ONLY:-}" ]; then
  d_rps=0 d_p50=0 d_p99=0 d_err=- n_rps=0 n_p50=0 n_p99=0 n_err=-
else
  read -r d_rps d_p50 d_p99 d_err < <(run direct "http://127.0.0.1:$bo_port" \
    "$here/rotate-paths.lua" "$work/direct-paths.txt")
  read -r n_rps n_p50 n_p99 n_err < <(run nginx "http://127.0.0.1:$nginx_port" \
    "$here/rotate-paths.lua" "$work/direct-paths.txt")
fi
[ -n "${BEFORE_GATEWAY:-}" ] && NODE_PID=$node_pid bash -c "$BEFORE_GATEWAY" &
if [ -n "$pg_dir" ]; then
  sql() { psql -At -F ' ' "$EGOV_DB_URL" -c "$1"; }
else
  sql() { python3 -c "import sqlite3,sys; print(*sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone())" "$work/node.db" "$1"; }
fi
seq0=$(sql 'SELECT COALESCE(MAX(seq), 0) FROM gw_audit')
t0=$(cpu_ticks "$node_pid")
read -r w_rps g_p50 g_p99 g_err < <(run gateway "http://127.0.0.1:$node_port" \
  "$here/gateway-sign.lua" "$work/client.key" "$CLIENT" "@$work/gateway-paths.txt" "$CLIENT_ALG" "$PRESIGN" \
  "$work/barrier" "$THREADS")
t1=$(cpu_ticks "$node_pid")
g_calls=$(awk '/requests in/ {print $1}' "$work/wrk-gateway.txt")
rss_end=$(rss_kb "$node_pid")
kill "$node_pid" && wait "$node_pid" 2>/dev/null || true
node_pid=
# calls/s as the gateway's own audit log saw them: answered calls of the run over
# the time from the first to the last (wrk's clock may include a moment before
# all its threads had signed their requests)
read -r a_calls a_span_us < <(sql "SELECT COUNT(*), MAX(at) - MIN(at) FROM gw_audit WHERE seq > $seq0 AND status = 200")
g_rps=$(awk -v n="$a_calls" -v us="$a_span_us" 'BEGIN { printf "%.2f", (us > 0 ? (n - 1) * 1e6 / us : 0) }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf 'gateway benchmark: %s connections, %s wrk threads, %s each, %s CPUs, load %s, node threads %s, node database %s, consumer key %s, presigned %s per wrk thread, %s people in turn\n' \
  "$CONNS" "$THREADS" "$DURATION" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" "$NODE_THREADS" "${NODE_DB:-sqlite}" "$CLIENT_ALG" "$PRESIGN" "$PERSONS"
printf '%-30s %12s %9s %9s %8s\n' target calls/s p50_ms p99_ms non2xx
printf '%-30s %12s %9s %9s %8s\n' "direct (back office)" "$d_rps" "$d_p50" "$d_p99" "$d_err"
printf '%-30s %12s %9s %9s %8s\n' "nginx proxy_pass" "$n_rps" "$n_p50" "$n_p99" "$n_err"
printf '%-30s %12s %9s %9s %8s\n' "gateway (signed, audited)" "$g_rps" "$g_p50" "$g_p99" "$g_err"
printf '(gateway calls/s from its audit log: %s calls in %.2f s; wrk counted %s/s)\n' \
  "$a_calls" "$(awk -v us="$a_span_us" 'BEGIN { print us / 1e6 }')" "$w_rps"
printf '\ngateway/direct %s, gateway/nginx %s, p99 overhead over direct %s ms\n' \
  "$(ratio "$g_rps" "$d_rps")" "$(ratio "$g_rps" "$n_rps")" \
  "$(awk -v a="$g_p99" -v b="$d_p99" 'BEGIN { printf "%.3f", a - b }')"
printf 'node CPU per call through the gateway: %s us\n' \
  "$(awk -v t="$((t1 - t0))" -v n="$g_calls" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0) }')"
printf 'node RSS: idle %.1f MB, after the run %.1f MB\n' "$(awk -v k="$rss_idle" 'BEGIN {print k / 1024}')" \
  "$(awk -v k="$rss_end" 'BEGIN {print k / 1024}')"
printf 'audit entries written: %s\n' "$(sql 'SELECT COUNT(*) FROM gw_audit')"
if [ "${RATE:-0}" -gt 0 ]; then
  printf 'rate limit %s/s: at most %s calls answered in one second of the clock, %s refused as over the rate\n' \
    "$RATE" "$(sql "SELECT COALESCE(MAX(n), 0) FROM (SELECT at / 1000000 AS s, COUNT(*) AS n FROM gw_audit WHERE seq > $seq0 AND status = 200 GROUP BY at / 1000000) per_second")" \
    "$(sql "SELECT COUNT(*) FROM gw_audit WHERE seq > $seq0 AND status = 429")"
fi
"$EGOV_BIN" audit verify 2>/dev/null
