#!/usr/bin/env bash
# Regenerates .sqlx/ (the offline metadata of every compile-checked query).
# Run after changing a query or a migration, and commit the result.
#
# The queries are checked against a scratch database that gets the
# migrations straight from migrations/*.sql with psql, so this works even
# when the code does not compile offline yet (a new query, a new table).
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/pg.sh"
port="${LOCKSTEP_PG_PORT:-5433}"
ensure_postgres_binaries
pg_cluster_start "$ROOT/.lockstep/pg" "$port"
psql -h 127.0.0.1 -p "$port" -U lockstep -d postgres -qc 'DROP DATABASE IF EXISTS lockstep_prepare' >/dev/null
psql -h 127.0.0.1 -p "$port" -U lockstep -d postgres -qc 'CREATE DATABASE lockstep_prepare' >/dev/null
url="postgres://lockstep@127.0.0.1:$port/lockstep_prepare"
for migration in "$ROOT"/migrations/*.sql; do
    psql -q -v ON_ERROR_STOP=1 "$url" -f "$migration" >/dev/null
done
rm -rf "$ROOT/.sqlx" && mkdir -p "$ROOT/.sqlx"
find "$ROOT/server" -name '*.rs' -exec touch {} +
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$ROOT/.sqlx" DATABASE_URL="$url" cargo check -q -p server --tests --features bench-unsafe
echo "$(ls "$ROOT/.sqlx" | wc -l) queries in .sqlx/"
