#!/usr/bin/env bash
# Prepares a data folder that recovers a base backup to a point in time
# from the WAL archive (what scripts/ha-tests.sh restores with, and what an
# operator runs):
#
#   scripts/restore.sh BASE_BACKUP ARCHIVE NEW_DATA_DIR --name RESTORE_POINT
#   scripts/restore.sh BASE_BACKUP ARCHIVE NEW_DATA_DIR --time '2026-12-03 18:00:00+00'
#
# Then start PostgreSQL on NEW_DATA_DIR (its own port, as the postgres user):
# it replays the archive up to the target, across failovers' timelines,
# and is promoted there. Run `lockstep check` against it before pointing
# Lockstep at it.
#
# A base backup of a Patroni node carries that node's postgresql.conf: the
# old standby named in synchronous_standby_names (every commit would wait
# for it forever), archiving into the production archive, the node's own
# hba_file and ident_file. postgresql.auto.conf, read after it, sets those
# back for a database on its own.
set -euo pipefail

if [ "$#" -ne 5 ] || { [ "$4" != --name ] && [ "$4" != --time ]; }; then
    echo "usage: $0 BASE_BACKUP ARCHIVE NEW_DATA_DIR --name POINT | --time TIME" >&2
    exit 2
fi
backup="$1"
archive="$(cd "$2" && pwd)"
data_dir="$3"
target="$5"
# Written into postgresql.auto.conf between quotes: nothing that could end them.
if [[ ! "$target" =~ ^[A-Za-z0-9\ :.+_-]+$ ]]; then
    echo "restore: a target is letters, digits, spaces and : . + _ - only" >&2
    exit 2
fi
case "$archive$data_dir" in *"'"*) echo "restore: no quotes in paths" >&2; exit 2 ;; esac
if [ -e "$data_dir" ] && [ -n "$(ls -A "$data_dir")" ]; then
    echo "restore: $data_dir is not empty" >&2
    exit 1
fi

mkdir -p "$data_dir"
cp -a "$backup/." "$data_dir/"
data_dir="$(cd "$data_dir" && pwd)"
rm -f "$data_dir/postmaster.pid" "$data_dir/standby.signal" "$data_dir/patroni.dynamic.json"
if [ "$4" = --name ]; then
    recovery_target="recovery_target_name = '$target'"
else
    recovery_target="recovery_target_time = '$target'"
fi
cat >>"$data_dir/postgresql.auto.conf" <<EOF
# scripts/restore.sh
restore_command = 'cp "$archive/%f" "%p"'
$recovery_target
recovery_target_action = 'promote'
synchronous_standby_names = ''
archive_mode = 'off'
cluster_name = 'restored'
hba_file = '$data_dir/pg_hba.conf'
ident_file = '$data_dir/pg_ident.conf'
EOF
touch "$data_dir/recovery.signal"
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then chown -R postgres: "$data_dir"; fi
chmod 700 "$data_dir"
