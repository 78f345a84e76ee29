# shellcheck shell=bash
# What the benchmark scripts share: a PostgreSQL cluster of their own in a
# scratch folder removed on exit, one Lockstep server on $app_port, and
# signing in. Sourced after scripts/env.sh and scripts/pg.sh; uses
# $lockstep, $app_port and (for cookie) $password.

# bench_cluster NAME PORT [postgres settings...]: sets $work, $base, $target.
bench_cluster() {
    local name="$1" port="$2"
    shift 2
    work="$(mktemp -d -t "lockstep-$name.XXXXXX")"
    if [ "$(id -u)" = 0 ]; then chmod 755 "$work"; fi
    server_pid=""
    trap bench_cleanup EXIT
    pg_cluster_start "$work/pg" "$port" "$@"
    base="postgres://lockstep@127.0.0.1:$port"
    target="http://127.0.0.1:$app_port"
}

bench_cleanup() {
    if [ -n "${unbatched_pid:-}" ]; then kill "$unbatched_pid" 2>/dev/null || true; fi
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [ -d "$work/standby" ]; then pg_cluster_stop "$work/standby"; fi
    pg_cluster_stop "$work/pg"
    rm -rf "$work"
}

# serve DATABASE [BINARY]: starts Lockstep and waits until /readyz answers.
serve() {
    DATABASE_URL="$base/$1" LOCKSTEP_LISTEN="127.0.0.1:$app_port" LEPTOS_SITE_ROOT="$ROOT/target/site" \
        LOCKSTEP_LOG=warn LOCKSTEP_METRICS_LISTEN=off "${2:-$lockstep}" serve >>"$work/server.log" 2>&1 &
    server_pid=$!
    until curl -fs "$target/readyz" >/dev/null 2>&1; do
        kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
        sleep 0.01
    done
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

# cookie NAME: the session cookie of NAME@bench.test, signed in with $password.
cookie() {
    curl -fs -D - -o /dev/null -H 'content-type: application/json' \
        -d "{\"email\":\"$1@bench.test\",\"password\":\"$password\"}" "$target/api/auth/login" |
        awk 'tolower($1) == "set-cookie:" { sub(/;.*/, "", $2); print $2 }' | tr -d '\r'
}
