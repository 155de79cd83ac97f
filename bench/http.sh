#!/usr/bin/env bash
# bench/http.sh -- egov's HTTP throughput and latency against nginx, in one run.
#
# Starts a release build of `egov serve` (SQLite under a temp dir) and
# Debian's nginx serving a static file of the same size as egov's answer,
# then runs wrk against:
#   egov  GET /healthz          (the smallest response)
#   egov  GET /api/version      (a small JSON endpoint)
#   nginx GET /healthz.json     (a file with the same bytes as egov's /healthz)
# at 64 and 256 connections.  Prints requests/s, p50, p99 and the ratio
# egov/nginx, and egov's RSS at idle and at the end.
#
# Environment: DURATION (default 10s), THREADS (wrk threads, default 2),
# EGOV_BIN (default build/egov), PORT_BASE (default 18080).
# Targets: ratio >= 0.5, p99 < 5 ms at 64 connections, RSS <= 64 MB.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
EGOV_BIN=${EGOV_BIN:-$top/build/egov}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
PORT_BASE=${PORT_BASE:-18080}
egov_port=$PORT_BASE
nginx_port=$((PORT_BASE + 1))

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing (make bench installs it)" >&2; exit 1; }
done
[ -x "$EGOV_BIN" ] || { echo "bench: $EGOV_BIN is missing; run make" >&2; exit 1; }

work=$(mktemp -d /tmp/egov-bench.XXXXXX)
chmod 755 "$work"   # nginx workers run as www-data and must read the file
egov_pid=
nginx_pid=
cleanup() {
  [ -n "$egov_pid" ] && kill "$egov_pid" 2>/dev/null && wait "$egov_pid" 2>/dev/null
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- egov ---
EGOV_LOG_REQUESTS=false EGOV_LOG_LEVEL=warn "$EGOV_BIN" serve --listen "127.0.0.1:$egov_port" \
  --db "sqlite:$work/bench.db" >"$work/egov.out" 2>"$work/egov.err" &
egov_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$egov_port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$egov_port/healthz" -o "$work/healthz.json" || { cat "$work/egov.err"; exit 1; }
sleep 1
rss_idle=$(rss_kb "$egov_pid")

# --- nginx, serving a file of the same size ---
mkdir -p "$work/www" "$work/nginx-tmp"
cp "$work/healthz.json" "$work/www/healthz.json"
chmod -R a+rX "$work/www"
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
  default_type application/json;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
  }
}
NGINX
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" 2>/dev/null || nginx -c "$work/nginx.conf"
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$nginx_port/healthz.json" >/dev/null 2>&1 && break
  sleep 0.1
done

# run NAME URL CONNS -> "rps p50_ms p99_ms"
run() {
  local out
  out=$(wrk -t"$THREADS" -c"$3" -d"$DURATION" --latency "$2" 2>&1)
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  if grep -q 'Non-2xx' <<<"$out"; then echo "bench: $1 had errors:" >&2; grep -E 'Non-2xx|Socket errors' <<<"$out" >&2; fi
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}
# wrk prints latencies as 1.23ms, 456.00us or 1.02s
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print "nan" }'
}

printf '%-26s %6s %12s %9s %9s %8s\n' target conns req/s p50_ms p99_ms ratio
for conns in 64 256; do
  read -r n_rps n_p50 n_p99 < <(run nginx "http://127.0.0.1:$nginx_port/healthz.json" "$conns")
  read -r h_rps h_p50 h_p99 < <(run healthz "http://127.0.0.1:$egov_port/healthz" "$conns")
  read -r v_rps v_p50 v_p99 < <(run version "http://127.0.0.1:$egov_port/api/version" "$conns")
  printf '%-26s %6s %12s %9s %9s %8s\n' "nginx /healthz.json" "$conns" "$n_rps" "$n_p50" "$n_p99" "1.00"
  printf '%-26s %6s %12s %9s %9s %8.2f\n' "egov /healthz" "$conns" "$h_rps" "$h_p50" "$h_p99" \
    "$(awk -v a="$h_rps" -v b="$n_rps" 'BEGIN {print a / b}')"
  printf '%-26s %6s %12s %9s %9s %8.2f\n' "egov /api/version" "$conns" "$v_rps" "$v_p50" "$v_p99" \
    "$(awk -v a="$v_rps" -v b="$n_rps" 'BEGIN {print a / b}')"
done
rss_end=$(rss_kb "$egov_pid")
printf '\negov RSS: idle %.1f MB, after the run %.1f MB\n' "$(awk -v k="$rss_idle" 'BEGIN {print k / 1024}')" \
  "$(awk -v k="$rss_end" 'BEGIN {print k / 1024}')"
