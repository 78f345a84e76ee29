#!/usr/bin/env bash
# Runs every test of Lockstep on a fresh machine: installs what is missing,
# starts a throw-away PostgreSQL, runs unit and integration tests, builds the
# release site, serves it on a fresh database and runs Playwright against it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/pg.sh"

"$ROOT/scripts/setup.sh" --test

say "formatting (cargo fmt --check)"
(cd "$ROOT" && cargo fmt --all --check)

test_port="${LOCKSTEP_TEST_PG_PORT:-55432}"
app_port="${LOCKSTEP_TEST_APP_PORT:-3100}"
work_dir="$(mktemp -d -t lockstep-test.XXXXXX)"
pg_dir="$work_dir/pg"
server_pid=""

cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    pg_cluster_stop "$pg_dir"
    rm -rf "$work_dir"
}
trap cleanup EXIT
if [ "$(id -u)" = 0 ]; then chmod 755 "$work_dir"; fi

say "starting a throw-away PostgreSQL on port $test_port"
# Durability is pointless for a database that is deleted afterwards.
pg_cluster_start "$pg_dir" "$test_port" fsync=off synchronous_commit=off full_page_writes=off
base_url="postgres://lockstep@127.0.0.1:$test_port"

say "unit and integration tests"
# #[sqlx::test] creates a fresh database per test through this URL.
DATABASE_URL="$base_url/postgres" cargo test --workspace --features ssr --locked

say "building the release site"
cargo leptos build --release

say "end-to-end tests (Playwright, Chromium)"
pg_ensure_database "$test_port" lockstep_e2e
DATABASE_URL="$base_url/lockstep_e2e" LOCKSTEP_LISTEN="127.0.0.1:$app_port" LEPTOS_SITE_ROOT="$ROOT/target/site" \
    LOCKSTEP_LOG=warn "$CARGO_TARGET_DIR/release/lockstep" serve >"$work_dir/server.log" 2>&1 &
server_pid=$!
ready=false
for _ in $(seq 1 150); do
    if curl -fs "http://127.0.0.1:$app_port/readyz" >/dev/null 2>&1; then ready=true; break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.2
done
if ! $ready; then
    echo "error: the server did not become ready" >&2
    cat "$work_dir/server.log" >&2
    exit 1
fi
# Accounts the end-to-end tests sign in as (members sign up in the tests
# themselves): one staff member, one admin, two counselors.
e2e_password="e2e-password-$RANDOM$RANDOM"
create_user() { # email name role [external id]
    echo "$e2e_password" | DATABASE_URL="$base_url/lockstep_e2e" "$CARGO_TARGET_DIR/release/lockstep" \
        admin create-user --email "$1" --name "$2" --role "$3" ${4:+--external-id "$4"} --password-stdin >/dev/null
}
create_user staff@lockstep.test "Sam Staff" staff
create_user admin@lockstep.test "Ada Admin" admin
create_user casey@lockstep.test "Casey Cole" counselor e2e-casey
create_user robin@lockstep.test "Robin Reyes" counselor e2e-robin
(cd "$ROOT/end2end" && LOCKSTEP_URL="http://127.0.0.1:$app_port" LOCKSTEP_E2E_PASSWORD="$e2e_password" \
    npx playwright test)

say "race verifier (lockstep hammer, a quick pass against the release server)"
DATABASE_URL="$base_url/lockstep_e2e" "$CARGO_TARGET_DIR/release/lockstep" \
    hammer --target "http://127.0.0.1:$app_port" --clients "${LOCKSTEP_HAMMER_CLIENTS:-25}"

# The fault tests stop and restart this PostgreSQL, so the server above goes first.
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""
"$ROOT/scripts/fault-tests.sh" "$pg_dir" "$test_port"
say "all tests passed"
