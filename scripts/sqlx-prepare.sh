#!/usr/bin/env bash
# Regenerates .sqlx/ (the offline metadata of every compile-checked query)
# against the local development database. Run after changing a query or a
# migration, and commit the result.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/pg.sh"
port="${LOCKSTEP_PG_PORT:-5433}"
pg_cluster_start "$ROOT/.lockstep/pg" "$port"
pg_ensure_database "$port" lockstep
url="postgres://lockstep@127.0.0.1:$port/lockstep"
(cd "$ROOT/server" && DATABASE_URL="$url" sqlx migrate run --source ../migrations >/dev/null 2>&1) \
    || DATABASE_URL="$url" SQLX_OFFLINE=false cargo run -q --features ssr -- migrate
rm -rf "$ROOT/.sqlx" && mkdir -p "$ROOT/.sqlx"
find "$ROOT/server" -name '*.rs' -exec touch {} +
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$ROOT/.sqlx" DATABASE_URL="$url" cargo check -q -p server --tests
echo "$(ls "$ROOT/.sqlx" | wc -l) queries in .sqlx/"
