#!/usr/bin/env bash
# Statements per request, route by route, counted by PostgreSQL itself
# (pg_stat_statements, utility statements such as BEGIN and COMMIT
# included), on a warm instance: each route is asked once to warm it, then
# BENCH_REQUESTS times one after the other with the counters reset before.
# Prints a Markdown table; BENCHMARKS.md keeps the last one.
#
#   bench/statements.sh
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
source "$ROOT/scripts/pg.sh"

requests="${BENCH_REQUESTS:-20}"
pg_port="${BENCH_PG_PORT:-55460}"
app_port="${BENCH_APP_PORT:-3310}"
ensure_postgres_binaries
(cd "$ROOT" && build_site >/dev/null 2>&1)
lockstep="$CARGO_TARGET_DIR/release/lockstep"

source "$ROOT/bench/lib.sh"
bench_cluster statements "$pg_port" shared_preload_libraries=pg_stat_statements pg_stat_statements.track=all \
    pg_stat_statements.track_utility=on
pg_ensure_database "$pg_port" bench
url="$base/bench"
psql -q "$url" -c "CREATE EXTENSION pg_stat_statements"
DATABASE_URL="$url" "$lockstep" migrate >/dev/null
serve bench

password="bench-$RANDOM$RANDOM"
for account in member:member staff:staff; do
    echo "$password" | DATABASE_URL="$url" "$lockstep" admin create-user \
        --email "${account%%:*}@bench.test" --role "${account##*:}" --password-stdin >/dev/null
done
member="$(cookie member)"
staff="$(cookie staff)"
json() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d '"' -f 4; }
card="$(curl -fs -H "Cookie: $member" -H 'content-type: application/json' -d '{"name":"Counted card"}' "$target/api/cards")"
card_id="$(json id <<<"$card")"
slug="$(json slug <<<"$card")"
curl -fs -H "Cookie: $staff" -H 'content-type: application/json' -d '{"id":"counted","name":"Counted client"}' \
    "$target/api/clients" >/dev/null
card_version=1

# One request of ROUTE; the card edit carries the version it last saw.
ask() {
    local n="$RANDOM$RANDOM"
    case "$1" in
    "GET /api/auth/me") curl -fs -o /dev/null -H "Cookie: $member" "$target/api/auth/me" ;;
    "GET /api/cards") curl -fs -o /dev/null -H "Cookie: $member" "$target/api/cards" ;;
    "POST /api/cards") curl -fs -o /dev/null -H "Cookie: $member" -H 'content-type: application/json' \
        -H "Idempotency-Key: count-$n" -d "{\"name\":\"Card $n\"}" "$target/api/cards" ;;
    "POST /api/cards (no key)") curl -fs -o /dev/null -H "Cookie: $member" -H 'content-type: application/json' \
        -d "{\"name\":\"Card $n\"}" "$target/api/cards" ;;
    "PATCH /api/cards/{id}")
        curl -fs -o /dev/null -X PATCH -H "Cookie: $member" -H 'content-type: application/json' \
            -d "{\"version\":$card_version,\"tagline\":\"Edit $n\"}" "$target/api/cards/$card_id"
        card_version=$((card_version + 1)) ;;
    "POST /api/clients") curl -fs -o /dev/null -H "Cookie: $staff" -H 'content-type: application/json' \
        -d "{\"id\":\"client-$n\",\"name\":\"Client $n\"}" "$target/api/clients" ;;
    "POST /api/requests") curl -fs -o /dev/null -H "Cookie: $staff" -H 'content-type: application/json' \
        -H "Idempotency-Key: count-$n" -d '{"client_id":"counted"}' "$target/api/requests" ;;
    "POST /api/requests (no key)") curl -fs -o /dev/null -H "Cookie: $staff" -H 'content-type: application/json' \
        -d '{"client_id":"counted"}' "$target/api/requests" ;;
    "GET /api/clients/{id}") curl -fs -o /dev/null -H "Cookie: $staff" "$target/api/clients/counted" ;;
    "GET /cards (page)") curl -fs -o /dev/null -H "Cookie: $member" -H 'Accept: text/html' "$target/cards" ;;
    "GET /cards/{id} (page)") curl -fs -o /dev/null -H "Cookie: $member" -H 'Accept: text/html' "$target/cards/$card_id" ;;
    "GET /profile (page)") curl -fs -o /dev/null -H "Cookie: $member" -H 'Accept: text/html' "$target/profile" ;;
    "GET /staff (page)") curl -fs -o /dev/null -H "Cookie: $staff" -H 'Accept: text/html' "$target/staff" ;;
    "GET /c/{slug} (public page)") curl -fs -o /dev/null -H 'Accept: text/html' "$target/c/$slug" ;;
    *) echo "no such route: $1" >&2; return 1 ;;
    esac
}

stat() { psql "$url" -tAXc "$1"; }
# What the counting itself runs is not counted.
counted="dbid = (SELECT oid FROM pg_database WHERE datname = 'bench')
    AND query NOT LIKE '%pg_stat_%' AND query NOT LIKE '%pg_database%'"

# Sent per request at a1da6ae (2026-12-03), before the per-instance caches
# of sessions, users and devices and the one-statement writes (the routes
# without a key were not counted then).
declare -A before=(
    ["GET /api/auth/me"]=3 ["GET /api/cards"]=4 ["POST /api/cards"]=10 ["PATCH /api/cards/{id}"]=7
    ["GET /api/clients/{id}"]=4 ["POST /api/clients"]=7 ["POST /api/requests"]=10 ["GET /cards (page)"]=4
    ["GET /cards/{id} (page)"]=4 ["GET /profile (page)"]=5 ["GET /staff (page)"]=7 ["GET /c/{slug} (public page)"]=1
    ["POST /api/cards (no key)"]="–" ["POST /api/requests (no key)"]="–")
# The statements about who is asking: the session record (tower-sessions),
# the user (accounts::find_by_id) and the device check (devices.rs).
asking="query ILIKE '%tower_sessions%' OR query ILIKE '%password_hash%FROM users WHERE id =%'
    OR query ILIKE '%UPDATE devices SET last_seen%' OR query ILIKE '%FROM devices WHERE id =%'"

echo "| Route | Statements sent per request: before → now | of them BEGIN or COMMIT | of them for who is asking (session, user, device) | Run inside the database too (triggers, foreign-key checks, functions) |"
echo "| --- | --- | --- | --- | --- |"
for route in "GET /api/auth/me" "GET /api/cards" "POST /api/cards" "POST /api/cards (no key)" "PATCH /api/cards/{id}" \
    "GET /api/clients/{id}" "POST /api/clients" "POST /api/requests" "POST /api/requests (no key)" "GET /cards (page)" "GET /cards/{id} (page)" "GET /profile (page)" \
    "GET /staff (page)" "GET /c/{slug} (public page)"; do
    ask "$route" || { echo "$route failed" >&2; exit 1; }
    stat "SELECT pg_stat_statements_reset()" >/dev/null
    for _ in $(seq 1 "$requests"); do ask "$route" || { echo "$route failed" >&2; exit 1; }; done
    stat "SELECT '${before[$route]} → ' || round(coalesce(sum(calls) FILTER (WHERE toplevel), 0)::numeric / $requests, 1)
        || ' | ' || round(coalesce(sum(calls) FILTER (WHERE toplevel AND query IN ('BEGIN', 'COMMIT')), 0)::numeric / $requests, 1)
        || ' | ' || round(coalesce(sum(calls) FILTER (WHERE toplevel AND ($asking)), 0)::numeric / $requests, 1)
        || ' | ' || round(coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0)::numeric / $requests, 1)
        FROM pg_stat_statements WHERE $counted" | awk -v route="$route" '{ print "| " route " | " $0 " |" }'
    if [ -n "${BENCH_SHOW:-}" ]; then
        stat "SELECT calls, toplevel, left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements
            WHERE $counted ORDER BY toplevel DESC, calls DESC" | sed 's/^/    /' >&2
    fi
done
