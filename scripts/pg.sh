# shellcheck shell=bash
# Project-local PostgreSQL clusters. Sourced by run.sh and test.sh.
#
# initdb and postgres refuse to run as root, so as root every cluster command
# runs as the `postgres` user, which also owns the data folder. The cluster
# listens on 127.0.0.1 only (no Unix socket, so long paths cannot break it)
# and trusts local connections: it is a developer's or CI's private database.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_postgres_binaries() {
    if [ ! -x "$PG_BIN/initdb" ]; then
        echo "==> installing PostgreSQL (apt package postgresql)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
}

# pg_cluster_start DATA_DIR PORT [extra postgres -c settings...]
pg_cluster_start() {
    local data_dir="$1" port="$2"
    shift 2
    mkdir -p "$data_dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$data_dir"; fi
    chmod 700 "$data_dir"
    if [ ! -f "$data_dir/PG_VERSION" ]; then
        as_pg_owner "$PG_BIN/initdb" -D "$data_dir" -U lockstep --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 >"$data_dir.initdb.log" 2>&1 \
            || { cat "$data_dir.initdb.log"; return 1; }
    fi
    if as_pg_owner "$PG_BIN/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
        return 0
    fi
    local options="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300"
    local setting
    for setting in "$@"; do options="$options -c $setting"; done
    as_pg_owner "$PG_BIN/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -o "$options" -w -t 60 start >/dev/null \
        || { tail -n 20 "$data_dir/server.log"; return 1; }
}

# pg_cluster_resume DATA_DIR: starts a stopped cluster again with the options
# it last ran with (pg_ctl keeps them in postmaster.opts; only `restart`
# would reuse them by itself).
pg_cluster_resume() {
    local data_dir="$1" options
    options="$(sed -E 's/^[^ ]+ "-D" "[^"]*" ?//' "$data_dir/postmaster.opts")"
    as_pg_owner "$PG_BIN/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -o "$options" -w -t 60 start >/dev/null \
        || { tail -n 20 "$data_dir/server.log"; return 1; }
}

pg_cluster_stop() {
    local data_dir="$1"
    as_pg_owner "$PG_BIN/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null 2>&1 || true
}

# pg_ensure_database PORT NAME
pg_ensure_database() {
    local port="$1" name="$2"
    if ! psql -h 127.0.0.1 -p "$port" -U lockstep -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
        psql -h 127.0.0.1 -p "$port" -U lockstep -d postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
    fi
}
