#!/usr/bin/env bash
# pg-cluster.sh start|stop|status|url DIR
#
# A throwaway PostgreSQL 15 cluster for tests: data in DIR/data, log in
# DIR/postgres.log, listening only on a unix socket (no TCP), trust
# authentication, fsync off.  `start` replaces whatever a previous run left
# in DIR (running or not); `url` prints a libpq URL for the cluster.
#
# When run as root the server runs as the `postgres` user (initdb refuses
# root); DIR is handed to that user.
set -euo pipefail

PGBIN=${EGOV_PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${EGOV_PG_PORT:-5432}

usage() {
    echo "usage: $0 start|stop|status|url DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$(realpath -m -- "$2")
data=$dir/data
log=$dir/postgres.log

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# The socket folder: DIR itself unless its path is too long for a unix
# socket name (about 107 bytes), then a short folder under /tmp recorded in
# DIR/socket_dir.
socket_dir() {
    if [ -f "$dir/socket_dir" ]; then
        cat "$dir/socket_dir"
    else
        echo "$dir"
    fi
}

running() {
    [ -f "$data/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

stop_cluster() {
    if [ -d "$data" ]; then
        if running; then
            as_owner "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        fi
        # A postmaster that outlived its pid file's checks: end it by its pid.
        if [ -f "$data/postmaster.pid" ]; then
            pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
            if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
                tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$data"; then
                kill -QUIT "$pid" 2>/dev/null || true
                for _ in $(seq 50); do
                    [ -d "/proc/$pid" ] || break
                    sleep 0.1
                done
            fi
            rm -f "$data/postmaster.pid"
        fi
    fi
}

start_cluster() {
    stop_cluster
    local sock
    sock=$(socket_dir)
    if [ "$sock" != "$dir" ]; then
        rm -rf -- "$sock"
    fi
    rm -rf -- "$dir"
    mkdir -p -- "$dir"
    sock=$dir
    if [ ${#dir} -gt 90 ]; then
        sock=$(mktemp -d /tmp/egov-pg.XXXXXX)
        echo "$sock" >"$dir/socket_dir"
    fi
    if [ "$(id -u)" -eq 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            echo "pg-cluster: running as root needs a 'postgres' user" >&2
            exit 1
        fi
        chown postgres: "$dir" "$sock"
        # The server must be able to reach DIR through its parents.
        if ! runuser -u postgres -- test -x "$dir"; then
            echo "pg-cluster: user postgres cannot enter $dir; choose a folder it can reach" >&2
            exit 1
        fi
    fi
    if ! as_owner "$PGBIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C \
        --no-sync >"$dir/initdb.log" 2>&1; then
        echo "pg-cluster: initdb failed; see $dir/initdb.log" >&2
        exit 1
    fi
    cat >>"$data/postgresql.conf" <<EOF

# egov test cluster
listen_addresses = ''
unix_socket_directories = '$sock'
port = $PORT
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 32MB
max_locks_per_transaction = 128
log_min_messages = warning
log_min_error_statement = panic
EOF
    if ! as_owner "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null; then
        echo "pg-cluster: the server did not start; see $log" >&2
        exit 1
    fi
}

case "$cmd" in
start) start_cluster ;;
stop)
    stop_cluster
    sock=$(socket_dir)
    if [ "$sock" != "$dir" ]; then rm -rf -- "$sock"; fi
    ;;
status)
    if running; then echo running; else echo stopped; exit 3; fi
    ;;
url) echo "postgresql:///postgres?host=$(socket_dir)&port=$PORT&user=postgres" ;;
*) usage ;;
esac
