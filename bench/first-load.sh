#!/usr/bin/env bash
# What a first visit costs a user on a slow phone: for the public card, the
# member pages and the staff pages, the compressed bytes a cold browser is
# sent until the page is hydrated and the time until then, in Chromium with
# 4× CPU slowdown and a slow mobile network (bench/first-load.cjs).
#
#   bench/first-load.sh [BASELINE_COMMIT]
#
# With a baseline commit, that commit's release site is built in a git
# worktree and measured in the same run, beside this checkout's. Prints a
# Markdown table; BENCHMARKS.md keeps the last one.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
source "$ROOT/scripts/pg.sh"

baseline="${1:-}"
pg_port="${BENCH_PG_PORT:-55441}"
app_port="${BENCH_APP_PORT:-3310}"
ensure_postgres_binaries
# Whatever answers there would be measured instead of the build.
if curl -s -o /dev/null "http://127.0.0.1:$app_port/"; then
    echo "error: port $app_port is in use; stop what listens there or set BENCH_APP_PORT" >&2
    exit 1
fi
work="$(mktemp -d -t lockstep-first-load.XXXXXX)"
if [ "$(id -u)" = 0 ]; then chmod 755 "$work"; fi
server_pid=""
# Set while the shared target directory holds the baseline's build: an
# interrupted run must not leave it for scripts/test.sh to link.
holds_baseline=false
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if $holds_baseline; then forget_workspace_crates || true; fi
    pg_cluster_stop "$work/pg"
    [ -z "$baseline" ] || git -C "$ROOT" worktree remove --force "$work/baseline" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Builds of both trees share the target directory (the registry crates are
# compiled once); each binary is copied out before the next build.
if [ -n "$baseline" ]; then
    say "building the baseline's release site ($baseline)" >&2
    git -C "$ROOT" worktree add -q --detach "$work/baseline" "$baseline"
    forget_workspace_crates
    holds_baseline=true
    rm -f "$CARGO_TARGET_DIR/release/hash.txt"
    (cd "$work/baseline" && cargo leptos build --release --precompress >"$work/baseline-build.log" 2>&1) ||
        { tail -n 30 "$work/baseline-build.log" >&2; exit 1; }
    # A baseline built with hashed names (hash-files) reads them from its site,
    # as build_site arranges for this checkout.
    [ ! -f "$CARGO_TARGET_DIR/release/hash.txt" ] || cp "$CARGO_TARGET_DIR/release/hash.txt" "$work/baseline/target/site/"
    cp "$CARGO_TARGET_DIR/release/lockstep" "$work/baseline-lockstep"
fi
say "building this checkout's release site" >&2
[ -z "$baseline" ] || forget_workspace_crates
(cd "$ROOT" && build_site >"$work/build.log" 2>&1) || { tail -n 30 "$work/build.log" >&2; exit 1; }
holds_baseline=false
cp "$CARGO_TARGET_DIR/release/lockstep" "$work/current-lockstep"

pg_cluster_start "$work/pg" "$pg_port"
base="postgres://lockstep@127.0.0.1:$pg_port"
target="http://127.0.0.1:$app_port"
password="first-load-$RANDOM$RANDOM"

# measure NAME LABEL BINARY SITE_ROOT: serves one build on a database of its
# own and prints its rows.
measure() {
    pg_ensure_database "$pg_port" "first_load_$1"
    DATABASE_URL="$base/first_load_$1" LOCKSTEP_LISTEN="127.0.0.1:$app_port" LEPTOS_SITE_ROOT="$4" \
        LOCKSTEP_LOG=warn LOCKSTEP_METRICS_LISTEN=off LOCKSTEP_SIGN_UPS_PER_ADDRESS=100000 \
        "$3" serve >>"$work/server-$1.log" 2>&1 &
    server_pid=$!
    local deadline=$((SECONDS + 60))
    until curl -fs "$target/readyz" >/dev/null 2>&1; do
        kill -0 "$server_pid" 2>/dev/null || { cat "$work/server-$1.log" >&2; exit 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "error: the $1 build did not become ready" >&2; exit 1; }
        sleep 0.05
    done
    echo "$password" | DATABASE_URL="$base/first_load_$1" "$3" \
        admin create-user --email staff@first-load.test --name "Sam Staff" --role staff --password-stdin >/dev/null
    node "$ROOT/bench/first-load.cjs" "$2" "$target" staff@first-load.test "$password"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

echo "| Build | Page | Transferred (KiB) | of it JS + WASM (KiB) | WASM files | Until hydrated (median of ${FIRST_LOAD_RUNS:-3}) |"
echo "| --- | --- | --- | --- | --- | --- |"
[ -z "$baseline" ] ||
    measure baseline "baseline \`$(git -C "$ROOT" rev-parse --short "$baseline")\`" "$work/baseline-lockstep" "$work/baseline/target/site"
measure current "\`$(git -C "$ROOT" rev-parse --short HEAD)\`$(git -C "$ROOT" diff --quiet HEAD || echo ' + changes')" \
    "$work/current-lockstep" "$ROOT/target/site"
