#!/usr/bin/env bash
# The hydrate WASM of this checkout beside a baseline commit's, built the
# same way in the same run (cargo leptos build --release --frontend-only,
# each in a git worktree of its own), as raw / gzip -9 / brotli bytes.
# Prints a Markdown table; BENCHMARKS.md keeps the last one.
#
#   bench/wasm-size.sh [BASELINE_COMMIT]   (default: 5bd0b4a, before the
#                                          one-model redesign)
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"

baseline="${1:-5bd0b4a}"
command -v brotli >/dev/null || apt_install brotli
work="$(mktemp -d -t lockstep-wasm.XXXXXX)"
cleanup() {
    git -C "$ROOT" worktree remove --force "$work/baseline" 2>/dev/null || true
    git -C "$ROOT" worktree remove --force "$work/current" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Both trees build into one target directory of their own, so the crates
# from the registry are compiled once and the normal build is left alone.
export CARGO_TARGET_DIR="$CARGO_TARGET_DIR/wasm-size"

# size_row LABEL COMMIT [BUILD FLAGS]: builds COMMIT's front end and prints
# its table row: every .wasm file it is split into, summed, and the main
# module (what every page loads) on its own.
size_row() {
    local tree="$work/$1"
    git -C "$ROOT" worktree add -q --detach "$tree" "$2"
    forget_workspace_crates
    (cd "$tree" && cargo leptos build --release --frontend-only "${@:3}" >"$work/$1.log" 2>&1) ||
        { tail -n 30 "$work/$1.log" >&2; exit 1; }
    local pkg="$tree/target/site/pkg" files=0 raw=0 gzip=0 br=0 main_br
    for wasm in "$pkg"/*.wasm; do
        files=$((files + 1))
        raw=$((raw + $(stat -c %s "$wasm")))
        gzip=$((gzip + $(gzip -9 -c "$wasm" | wc -c)))
        br=$((br + $(brotli -c -q 11 "$wasm" | wc -c)))
    done
    # lockstep.wasm, or lockstep.<hash>.wasm in a build with hashed names.
    main_br=$(brotli -c -q 11 "$pkg"/lockstep*.wasm | wc -c)
    printf '| %s | `%s` | %s | %s | %s | %s | %s |\n' "$1" "$(git -C "$ROOT" rev-parse --short "$2")" "$files" \
        "$((raw / 1024))" "$((gzip / 1024))" "$((br / 1024))" "$((main_br / 1024))"
}

say "building the baseline ($baseline) and this checkout's WASM" >&2
echo "| Build | Commit | WASM files | Raw, all (KiB) | gzip -9, all (KiB) | brotli -q 11, all (KiB) | brotli, main module (KiB) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
size_row baseline "$baseline"
# This checkout's front end as one module, the way the baseline is built
# (the fair comparison), and split into lazily loaded parts as build_site
# builds it (what a browser is sent).
size_row current "$(git -C "$ROOT" rev-parse HEAD)"
size_row current-split "$(git -C "$ROOT" rev-parse HEAD)" --split
