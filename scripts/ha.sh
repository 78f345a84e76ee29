# shellcheck shell=bash
# A replicated PostgreSQL on one machine: etcd, two PostgreSQL 15 nodes under
# Patroni (a primary and a synchronous standby), and HAProxy in front sending
# every connection to whichever node Patroni says leads. Sourced by
# scripts/ha-tests.sh; an operator's production layout is the same with each
# node (and each etcd member) on a machine of its own.
#
#   ha_start DIR       start everything, wait for a leader and a sync standby
#   ha_stop            stop everything ha_start started
#   ha_leader          the name of the node that leads now (node1 or node2)
#
# Lockstep connects to HAProxy ($HA_PORT), never to a node: when the leader
# changes, HAProxy's health check (Patroni's GET /primary, 200 only on the
# leader) moves new connections and closes the old ones
# (on-marked-down shutdown-sessions), so the pool and the LISTEN connection
# reconnect to the new primary.
#
# Durability: synchronous_mode makes Patroni name the standby in
# synchronous_standby_names, so a commit is acknowledged only once it is
# flushed on both nodes, and Patroni promotes only a node that was
# synchronous. Not strict (synchronous_mode_strict off): with only two
# nodes, strict would stop every write whenever either node is down, the
# survivor of a failover included; instead the survivor writes alone until
# the other node is back, and for that window an acknowledged write is on
# one machine only. Three nodes with strict mode close that window.

HA_ETCD_PORT="${HA_ETCD_PORT:-2479}"
HA_PORT="${HA_PORT:-55450}"
# node N: PostgreSQL on 5545N, Patroni's REST API on 844N.
HA_NODES=(node1 node2)
HA_DIR=""
declare -A ha_pids=()

ha_node_pg_port() { echo "5545${1#node}"; }
ha_node_api_port() { echo "844${1#node}"; }
ha_patronictl() { as_pg_owner patronictl -c "$HA_DIR/node1/patroni.yml" "$@"; }

# Like as_pg_owner, but the command replaces this process instead of running
# as a child of runuser, so $! is the command itself and signals reach it.
ha_exec_as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then
        exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
    else
        exec "$@"
    fi
}

# The node whose Patroni answers 200 on /primary.
ha_leader() {
    local node
    for node in "${HA_NODES[@]}"; do
        if curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$(ha_node_api_port "$node")/primary"; then
            echo "$node"
            return 0
        fi
    done
    return 1
}

# A leader, a streaming synchronous standby, and HAProxy routing to the leader.
ha_healthy() {
    local leader
    leader="$(ha_leader)" || return 1
    [ "$(psql -h 127.0.0.1 -p "$HA_PORT" -U lockstep -d postgres -tAXc \
        "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'" 2>/dev/null)" = 1 ] ||
        return 1
    [ "$(psql -h 127.0.0.1 -p "$HA_PORT" -U lockstep -d postgres -tAXc "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]
}

ha_wait_healthy() {
    local seconds="${1:-60}" deadline
    deadline=$((SECONDS + seconds))
    until ha_healthy; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "the cluster has no leader with a synchronous standby after ${seconds}s" >&2
            ha_patronictl list >&2 || true
            tail -n 20 "$HA_DIR"/node*/patroni.log >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

ha_write_node_config() {
    local node="$1" pg_port api_port
    pg_port="$(ha_node_pg_port "$node")"
    api_port="$(ha_node_api_port "$node")"
    mkdir -p "$HA_DIR/$node"
    # ttl is how long a silent leader keeps the leader key, so it bounds how
    # long a dead primary goes unnoticed; loop_wait + 2 * retry_timeout must
    # stay within it.
    # primary_start_timeout: a leader whose PostgreSQL crashed is restarted
    # in place (crash recovery); if that takes longer, the standby takes
    # over. maximum_lag_on_failover: the synchronous standby is promoted
    # however far its WAL position trails (WAL that no commit waited for,
    # a forced segment switch); Patroni's 1 MB default could leave the
    # cluster without a leader, and the synchronous key already says the
    # standby has every acknowledged commit.
    cat >"$HA_DIR/$node/patroni.yml" <<EOF
scope: lockstep
name: $node
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:$api_port
  connect_address: 127.0.0.1:$api_port
etcd3:
  hosts: 127.0.0.1:$HA_ETCD_PORT
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    synchronous_mode: true
    synchronous_mode_strict: false
    primary_start_timeout: 10
    maximum_lag_on_failover: 1073741824
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 300
        wal_level: replica
        wal_log_hints: "on"
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        synchronous_commit: "on"
        # Continuous archive for point-in-time recovery (archive-wal.sh).
        # "always": the standby archives what it receives too, so segments
        # the lost primary had not archived yet are archived anyway (with
        # "on" a promoted standby skips the segments it streamed). A
        # segment switch is forced at least this often, even when quiet.
        archive_mode: always
        archive_command: '"$HA_DIR/archive-wal.sh" "%p" "$HA_DIR/archive/%f"'
        archive_timeout: 30
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - auth: trust
  pg_hba:
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$pg_port
  connect_address: 127.0.0.1:$pg_port
  data_dir: $HA_DIR/$node/data
  bin_dir: $PG_BIN
  pgpass: $HA_DIR/$node/pgpass
  # A new standby copies the leader at once (the default waits for a spread
  # checkpoint, minutes on a quiet primary).
  basebackup:
    - checkpoint: fast
  authentication:
    superuser:
      username: lockstep
    replication:
      username: lockstep
    rewind:
      username: lockstep
  parameters:
    unix_socket_directories: ''
EOF
}

ha_start_node() {
    local node="$1"
    (ha_exec_as_pg_owner patroni "$HA_DIR/$node/patroni.yml" >>"$HA_DIR/$node/patroni.log" 2>&1) &
    ha_pids[$node]=$!
}

# Kills a node's Patroni and every PostgreSQL process of the node at once,
# as a machine that loses power would lose them: Patroni starts the
# postmaster in a session of its own, which its backends and archiver
# (and their cp) share.
ha_kill_node() {
    local node="$1" patroni postmaster session=""
    patroni="${ha_pids[$node]}"
    postmaster="$(head -n 1 "$HA_DIR/$node/data/postmaster.pid" 2>/dev/null)" || true
    if [ -n "$postmaster" ]; then session="$(ps -o sid= -p "$postmaster" | tr -d ' ')" || true; fi
    kill -KILL "$patroni" 2>/dev/null || true
    if [ -n "$session" ] && [ "$session" != 0 ]; then pkill -KILL -s "$session" || true; fi
    wait "$patroni" 2>/dev/null || true
    unset "ha_pids[$node]"
}

ha_start() {
    HA_DIR="$1"
    mkdir -p "$HA_DIR/archive" "$HA_DIR/etcd"
    # Where the postgres user can run it, whoever owns this checkout.
    install -m 755 "$ROOT/scripts/archive-wal.sh" "$HA_DIR/archive-wal.sh"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$HA_DIR"; chmod 755 "$HA_DIR"; fi
    etcd --name lockstep --data-dir "$HA_DIR/etcd" \
        --listen-client-urls "http://127.0.0.1:$HA_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$HA_ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$((HA_ETCD_PORT + 1))" \
        --initial-advertise-peer-urls "http://127.0.0.1:$((HA_ETCD_PORT + 1))" \
        --initial-cluster "lockstep=http://127.0.0.1:$((HA_ETCD_PORT + 1))" >"$HA_DIR/etcd.log" 2>&1 &
    ha_pids[etcd]=$!
    local node
    for node in "${HA_NODES[@]}"; do
        ha_write_node_config "$node"
    done
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$HA_DIR"; fi
    cat >"$HA_DIR/haproxy.cfg" <<EOF
global
    maxconn 1000
defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout check 1s
listen primary
    bind 127.0.0.1:$HA_PORT
    option httpchk GET /primary
    http-check expect status 200
    default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
    server node1 127.0.0.1:$(ha_node_pg_port node1) maxconn 400 check port $(ha_node_api_port node1)
    server node2 127.0.0.1:$(ha_node_pg_port node2) maxconn 400 check port $(ha_node_api_port node2)
EOF
    haproxy -f "$HA_DIR/haproxy.cfg" -db >"$HA_DIR/haproxy.log" 2>&1 &
    ha_pids[haproxy]=$!
    # node1 first, so it bootstraps the cluster and node2 copies it.
    ha_start_node node1
    local deadline=$((SECONDS + 60))
    until [ "$(ha_leader 2>/dev/null)" = node1 ]; do
        [ "$SECONDS" -lt "$deadline" ] || { tail -n 30 "$HA_DIR/node1/patroni.log" "$HA_DIR/etcd.log" >&2; return 1; }
        sleep 0.2
    done
    ha_start_node node2
    ha_wait_healthy 90
}

# ha_stop_processes SECONDS PID...: SIGTERM, and SIGKILL for what is left
# after SECONDS.
ha_stop_processes() {
    local seconds="$1" pid deadline
    shift
    [ "$#" -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    deadline=$((SECONDS + seconds))
    for pid in "$@"; do
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    done
    kill -KILL "$@" 2>/dev/null || true
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

# Patroni stops its PostgreSQL on SIGTERM; etcd goes last, as they talk to it.
ha_stop() {
    local name others=()
    for name in "${!ha_pids[@]}"; do
        [ "$name" = etcd ] || others+=("${ha_pids[$name]}")
    done
    ha_stop_processes 30 "${others[@]}"
    if [ -n "${ha_pids[etcd]:-}" ]; then ha_stop_processes 10 "${ha_pids[etcd]}"; fi
    ha_pids=()
}
