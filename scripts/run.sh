#!/usr/bin/env bash
# Builds and serves Lockstep at http://127.0.0.1:3000 (LOCKSTEP_LISTEN to
# change). Without DATABASE_URL it starts a project-local PostgreSQL under
# .lockstep/ (created on first run, kept across runs).
#
#   scripts/run.sh          an empty Lockstep; it prints a one-time link to
#                           create the administrator in the browser
#   scripts/run.sh --demo   first seeds demo data (accounts, clients at every
#                           stage, cards, training) into an empty database
set -euo pipefail
demo=false
for argument in "$@"; do
    case "$argument" in
        --demo) demo=true ;;
        *) echo "usage: scripts/run.sh [--demo]" >&2; exit 2 ;;
    esac
done
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/pg.sh"

"$ROOT/scripts/setup.sh"

say "building the release site"
build_site

if [ -z "${DATABASE_URL:-}" ]; then
    port="${LOCKSTEP_PG_PORT:-5433}"
    say "starting the project-local PostgreSQL (.lockstep/pg, port $port)"
    pg_cluster_start "$ROOT/.lockstep/pg" "$port"
    pg_ensure_database "$port" lockstep
    export DATABASE_URL="postgres://lockstep@127.0.0.1:$port/lockstep"
fi

export LOCKSTEP_LISTEN="${LOCKSTEP_LISTEN:-127.0.0.1:3000}"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
binary="$CARGO_TARGET_DIR/release/lockstep"
if $demo; then
    say "seeding the demo data"
    "$binary" demo
fi
cat <<MSG

  Lockstep: http://$LOCKSTEP_LISTEN
  Prometheus metrics (this machine only): http://${LOCKSTEP_METRICS_LISTEN:-127.0.0.1:9464}/metrics
  Without an administrator yet, Lockstep prints a one-time setup link below.
  (Or from another terminal: echo 'a-long-password' | DATABASE_URL='$DATABASE_URL' \\
     $binary admin create-user --email you@example.com --role admin --password-stdin)

MSG
exec "$binary" serve
