#!/usr/bin/env bash
# Losing the database machine: fault tests on a replicated PostgreSQL
# (scripts/ha.sh: etcd, two nodes under Patroni with synchronous
# replication, HAProxy in front), and a backup restored to a point in time.
#
#   scripts/ha-tests.sh
#
# Three Lockstep instances write through HAProxy under `lockstep soak`
# (scripts/soak-lib.sh) while the test breaks the primary; soak then checks
# on whichever node leads that every acknowledged write is there, each
# create happened once, numbers are gapless and every invariant holds, and
# that writes were acknowledged again within $LOCKSTEP_HA_RECOVERY_SECONDS
# of the fault:
#   6. kill -9 the primary's postmaster;
#   7. the primary's machine is lost while its archiver is stuck and the
#      standby lags (the WAL sender paused for 2 s): its Patroni and PostgreSQL killed at once,
#      its data folder gone; a new empty machine then joins as the standby;
#   8. a switchover with patronictl;
#   after 7 and 8, a card edit through one instance reaches a live stream on
#   each (every listening connection followed the primary);
#   9. a base backup taken before the faults, restored with the WAL archive
#      into a fresh cluster (scripts/restore.sh), across the failovers'
#      timelines, to a point after them: the restored database is exactly
#      the database at that point, later writes absent, invariants clean.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/pg.sh"
source "$ROOT/scripts/ha.sh"

bin="${LOCKSTEP_BIN:-$CARGO_TARGET_DIR/release/lockstep}"
database="lockstep_ha"
base_url="postgres://lockstep@127.0.0.1:$HA_PORT/$database"
work_dir="$(mktemp -d -t lockstep-ha.XXXXXX)"
soak_seconds="${LOCKSTEP_SOAK_SECONDS:-12}"
soak_clients="${LOCKSTEP_SOAK_CLIENTS:-12}"
# The bound covers a whole failover (each fault is "over" as soon as the
# test has done it): a silent leader keeps its key for Patroni's ttl
# (10 s), then the standby is promoted and HAProxy's check (every 0.5 s)
# moves the connections.
soak_recovery_seconds="${LOCKSTEP_HA_RECOVERY_SECONDS:-25}"
source "$ROOT/scripts/soak-lib.sh"
restored_dir="$work_dir/restored"
restored_port=55459
extra_cleanup() {
    pg_cluster_stop "$restored_dir"
    ha_stop
}
trap cleanup EXIT
if [ "$(id -u)" = 0 ]; then chmod 755 "$work_dir"; fi

cluster() { ha_patronictl list 2>&1 | sed 's/^/    /'; }
other_node() { if [ "$1" = node1 ]; then echo node2; else echo node1; fi; }
leader_is() { [ "$(ha_leader)" = "$1" ]; }

say "a replicated PostgreSQL: etcd, two nodes under Patroni (synchronous), HAProxy on port $HA_PORT"
started=$SECONDS
ha_start "$work_dir/cluster" || fail "the cluster did not start"
echo "    leader and synchronous standby up in $((SECONDS - started)) s"
pg_ensure_database "$HA_PORT" "$database"
DATABASE_URL="$base_url" "$bin" migrate >/dev/null
for port in 3201 3202 3203; do start_instance "$port"; done

# Every instance's listening connection followed the primary: a card edit
# made through one instance reaches a live stream open on each of them.
notices_reach_every_instance() {
    local cookies="$work_dir/notice-cookies" card card_id port
    sign_in_new_user "$cookies"
    card="$(curl -fs -b "$cookies" -H 'content-type: application/json' -H "Idempotency-Key: notice-$RANDOM$RANDOM" \
        -d '{"name":"Notice probe"}' http://127.0.0.1:3201/api/cards)" || fail "could not create the notice probe card"
    card_id="$(grep -o '"id":"[^"]*"' <<<"$card" | head -n 1 | cut -d '"' -f 4)"
    local streams=()
    for port in 3201 3202 3203; do
        curl -sN -b "$cookies" -D "$work_dir/stream-$port.headers" -o "$work_dir/stream-$port.events" \
            "http://127.0.0.1:$port/api/events?watch=business_card:$card_id" &
        streams+=($!)
    done
    stream_open() { grep -q "^HTTP/1.1 200" "$work_dir/stream-$1.headers" 2>/dev/null; }
    for port in 3201 3202 3203; do wait_until 10 "the live stream on $port to open" stream_open "$port"; done
    curl -fs -o /dev/null -b "$cookies" -X PATCH -H 'content-type: application/json' \
        -d '{"version":1,"tagline":"After the failover"}' "http://127.0.0.1:3202/api/cards/$card_id" ||
        fail "could not edit the notice probe card"
    notified() { grep -q '"version":2' "$work_dir/stream-$1.events"; }
    for port in 3201 3202 3203; do wait_until 10 "the edit's notice on the stream of $port" notified "$port"; done
    kill "${streams[@]}" 2>/dev/null || true
    wait "${streams[@]}" 2>/dev/null || true
    echo "    a card edit through 3202 reached the live streams on all three instances"
}

fault_6() {
    say "fault 6: kill -9 the primary's postmaster"
    local leader postmaster
    leader="$(ha_leader)"
    postmaster="$(head -n 1 "$HA_DIR/$leader/data/postmaster.pid")"
    start_soak kill-postmaster $((soak_seconds + soak_recovery_seconds)) 3201 3202 3203
    fault_begins
    kill -KILL "$postmaster"
    fault_over
    echo "    killed PostgreSQL on $leader (pid $postmaster)"
    wait_until 60 "a leader with a synchronous standby again" ha_healthy
    if leader_is "$leader"; then
        echo "    Patroni restarted PostgreSQL on $leader in place (crash recovery; a failover after 10 s without it)"
    else
        echo "    $(ha_leader) took over"
    fi
    finish_soak kill-postmaster
}

fault_7() {
    say "fault 7: the primary's machine is lost (Patroni and PostgreSQL killed at once, data folder gone)"
    local leader survivor
    leader="$(ha_leader)"
    survivor="$(other_node "$leader")"
    start_soak machine-lost $((soak_seconds + soak_recovery_seconds)) 3201 3202 3203
    fault_begins
    # The primary's archiver is stuck (slow archive storage, say) while a
    # finished segment reaches the standby: only the standby can archive
    # it now, and the restore test below needs it.
    local postmaster archiver switched
    postmaster="$(head -n 1 "$HA_DIR/$leader/data/postmaster.pid")"
    archiver="$(pgrep -P "$postmaster" -f "archiver")" || fail "no archiver on $leader"
    kill -STOP "$archiver"
    switched="$(sql "SELECT pg_switch_wal()")"
    standby_has() { [ "$(sql "SELECT flush_lsn >= '$1' FROM pg_stat_replication WHERE application_name = '$survivor'")" = t ]; }
    wait_until 10 "$survivor to have the WAL up to $switched" standby_has "$switched"
    # The standby falls behind first (the primary's WAL sender paused): a
    # write acknowledged before the standby had it would now be lost; with
    # synchronous replication none is, commits wait for the standby instead.
    local sender
    sender="$(sql "SELECT pid FROM pg_stat_replication WHERE application_name = '$survivor'")"
    [[ "$sender" =~ ^[0-9]+$ ]] || fail "no WAL sender to $survivor on $leader: '$sender'"
    kill -STOP "$sender"
    sleep 2 # how far the standby falls behind, not a wait for anything
    ha_kill_node "$leader"
    # Its stopped processes go with the machine (stopped, they would never
    # see their postmaster die, and outlive the test run).
    kill -KILL "$archiver" "$sender" 2>/dev/null || true
    mv "$HA_DIR/$leader/data" "$HA_DIR/$leader/data.lost"
    fault_over
    echo "    $leader is gone; waiting for $survivor to be promoted"
    wait_until 60 "$survivor to lead" leader_is "$survivor"
    finish_soak machine-lost
    # A replacement machine: an empty data folder, which Patroni fills by
    # copying the new leader; it becomes the synchronous standby.
    rm -rf "$HA_DIR/$leader/data.lost"
    started=$SECONDS
    ha_start_node "$leader"
    wait_until 120 "the replacement $leader to be the synchronous standby" ha_healthy
    echo "    a replacement $leader joined as the synchronous standby in $((SECONDS - started)) s"
    cluster
    notices_reach_every_instance
}

fault_8() {
    say "fault 8: a switchover (patronictl switchover)"
    local leader candidate
    leader="$(ha_leader)"
    candidate="$(other_node "$leader")"
    start_soak switchover $((soak_seconds + soak_recovery_seconds)) 3201 3202 3203
    fault_begins
    ha_patronictl switchover --leader "$leader" --candidate "$candidate" --force >"$work_dir/patronictl-switchover.log" 2>&1 ||
        fail "patronictl switchover failed: $(cat "$work_dir/patronictl-switchover.log")"
    fault_over
    wait_until 60 "$candidate to lead with a synchronous standby" ha_healthy_led_by "$candidate"
    echo "    $leader handed over to $candidate"
    finish_soak switchover
    notices_reach_every_instance
}
ha_healthy_led_by() { leader_is "$1" && ha_healthy; }

# A digest of every row of every table but the migrations', so two databases
# compare equal exactly when they hold the same data.
digest() {
    local url="$1" table tables
    tables="$(psql "$url" -tAXc "SELECT tablename FROM pg_tables WHERE schemaname = 'public'
        AND tablename <> '_sqlx_migrations' ORDER BY tablename")"
    for table in $tables; do
        echo "$table $(psql "$url" -tAXc "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')
            FROM \"$table\" t")"
    done
}

# Before the faults, so the restore replays the archive across every
# timeline the failovers made (and finds the segments the lost primary had
# not archived, which its standby archived).
base_backup() {
    say "backup: a base backup while soak writes, through HAProxy, from the leader"
    local leader started
    leader="$(ha_leader)"
    start_soak before-the-faults "$soak_seconds" 3201 3202 3203
    started=$SECONDS
    as_pg_owner "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$HA_PORT" -U lockstep -D "$HA_DIR/backup/base" \
        --wal-method=stream --checkpoint=fast >/dev/null || fail "pg_basebackup failed"
    echo "    base backup taken from $leader in $((SECONDS - started)) s, timeline $(timeline)"
    finish_soak before-the-faults
}
# The timeline the leader writes on now.
timeline() {
    local segment
    segment="$(sql "SELECT pg_walfile_name(pg_current_wal_lsn())")"
    echo $((16#${segment:0:8}))
}

fault_9() {
    say "restore: the base backup and the WAL archive, to a point in time, into a fresh cluster"
    local started restore_point="lockstep-ha-test"
    # No instance runs (their reapers write too) while the point is made and
    # the database as it is at that point is taken down.
    for port in 3201 3202 3203; do stop_instance "$port"; done
    sql "SELECT pg_create_restore_point('$restore_point')" >/dev/null
    digest "$base_url" >"$work_dir/at-the-point"
    for port in 3201 3202 3203; do start_instance "$port"; done
    start_soak after-the-point "$soak_seconds" 3201 3202 3203
    finish_soak after-the-point
    # The segment holding the last writes goes to the archive now.
    local last_segment
    last_segment="$(sql "SELECT pg_walfile_name(pg_current_wal_lsn())")"
    sql "SELECT pg_switch_wal()" >/dev/null
    wait_until 30 "the WAL up to the last writes ($last_segment) to be archived" test -f "$HA_DIR/archive/$last_segment"
    started=$SECONDS
    "$ROOT/scripts/restore.sh" "$HA_DIR/backup/base" "$HA_DIR/archive" "$restored_dir" --name "$restore_point" ||
        fail "restore.sh failed"
    pg_cluster_start "$restored_dir" "$restored_port" || fail "the restored cluster did not start"
    local restored_url="postgres://lockstep@127.0.0.1:$restored_port/$database"
    promoted() { [ "$(psql "$restored_url" -tAXc "SELECT pg_is_in_recovery()")" = f ]; }
    wait_until 120 "the restored cluster to reach the point and be promoted" promoted
    echo "    restored and promoted in $((SECONDS - started)) s, from timeline $(sed -n 's/^START TIMELINE: //p' \
        "$HA_DIR/backup/base/backup_label") to the point on timeline $(timeline)"
    digest "$restored_url" >"$work_dir/restored-digest"
    diff "$work_dir/at-the-point" "$work_dir/restored-digest" >"$work_dir/digest.diff" ||
        fail "the restored database is not the database at the restore point: $(cat "$work_dir/digest.diff")"
    # The cards soak made after the point are in the cluster, not in the
    # restored database (the instances' own writes alone would not do).
    [ "$(grep '^business_cards ' "$work_dir/at-the-point")" != "$(digest "$base_url" | grep '^business_cards ')" ] ||
        fail "no card was made after the point; the restore test tested nothing"
    DATABASE_URL="$restored_url" "$bin" check >"$work_dir/restored-check.log" 2>&1 ||
        fail "lockstep check on the restored database: $(cat "$work_dir/restored-check.log")"
    echo "    every table equal to the database at the point ($(wc -l <"$work_dir/at-the-point") tables), the later writes absent, lockstep check clean"
}

base_backup
# LOCKSTEP_HA_FAULTS="7 9" runs a subset while working on one.
for fault in ${LOCKSTEP_HA_FAULTS:-6 7 8 9}; do "fault_$fault"; done
for port in 3201 3202 3203; do stop_instance "$port"; done
say "cluster fault tests and the restore test passed"
