# shellcheck shell=bash
# Shared environment for Lockstep's scripts. Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# Builds are slow on small machines: keep compiled artefacts outside the
# clone, so a fresh clone (CI) reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lockstep/target}"
# Where npm-installed tools (wasm-opt) live, also outside the clone.
export LOCKSTEP_TOOLS="${LOCKSTEP_TOOLS:-$HOME/.cache/lockstep/tools}"
export PATH="$LOCKSTEP_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# sqlx checks queries against the committed metadata in .sqlx/, so building
# needs no database.
export SQLX_OFFLINE="${SQLX_OFFLINE:-true}"
export LEPTOS_ENV=PROD

CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132.0.0
SCHEMATHESIS_VERSION=4.32.5
# schemathesis (PyPI) lives in a virtual environment of its own.
SCHEMATHESIS="$LOCKSTEP_TOOLS/schemathesis-$SCHEMATHESIS_VERSION/bin/st"

# The release site: server, and the browser's WASM split into the part every
# page needs and the lazily loaded pages (--split), each file precompressed
# as .br and .gz beside it (--precompress).
#
# wasm-bindgen and wasm-opt run on every release build, minutes even when
# nothing changed. So the server binary and the site of the last build are
# kept in the target directory with a digest of everything they are built
# from; when that digest is unchanged (here, or in another clone sharing
# the target directory, as CI's), they are put back instead of rebuilt.
build_site() {
    local cache="$CARGO_TARGET_DIR/site-cache" digest
    digest="$(site_inputs_digest "$@")"
    if [ "$(cat "$cache/digest" 2>/dev/null)" = "$digest" ] && [ -x "$cache/lockstep" ] && [ -d "$cache/site" ]; then
        echo "nothing the release site is built from has changed since its last build: using that build"
        mkdir -p "$ROOT/target" "$CARGO_TARGET_DIR/release"
        rm -rf "$ROOT/target/site"
        cp -a "$cache/site" "$ROOT/target/site"
        # A rename, not a copy over it: the old binary may be serving.
        cp "$cache/lockstep" "$CARGO_TARGET_DIR/release/lockstep.reused"
        mv -f "$CARGO_TARGET_DIR/release/lockstep.reused" "$CARGO_TARGET_DIR/release/lockstep"
        return 0
    fi
    # `|| return` throughout: a caller on the left of `||` turns `set -e` off.
    (cd "$ROOT" && cargo leptos build --release --precompress --split "$@") || return
    # The hashed names of pkg/'s files, written beside the binary; the server
    # reads them from the site (src/main.rs), so they travel with it.
    cp "$CARGO_TARGET_DIR/release/hash.txt" "$ROOT/target/site/hash.txt" || return
    rm -rf "$cache"
    # Kept only when nothing changed while it was built.
    [ "$(site_inputs_digest "$@")" = "$digest" ] || return 0
    mkdir -p "$cache" || return
    cp -a "$ROOT/target/site" "$cache/site" || return
    cp "$CARGO_TARGET_DIR/release/lockstep" "$cache/lockstep" || return
    echo "$digest" >"$cache/digest"
}

# A digest of what the release site is built from: the sources, the
# locked dependencies, the styles and public files, the migrations and
# query metadata compiled into the server, this file (tool versions), the
# build's flags, environment and tools.
site_inputs_digest() {
    (
        cd "$ROOT"
        local inputs=() input
        for input in Cargo.toml Cargo.lock rust-toolchain.toml .cargo src app server model style public migrations .sqlx \
            scripts/env.sh; do
            if [ -e "$input" ]; then inputs+=("$input"); fi
        done
        find "${inputs[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
        echo "build_site $*"
        env | grep -E '^(RUSTFLAGS|CARGO_[A-Z_]*|LEPTOS_[A-Z_]*)=' | LC_ALL=C sort
        rustc -V
        cargo leptos --version
        wasm-opt --version 2>/dev/null || echo "no wasm-opt"
    ) | sha256sum | cut -d ' ' -f 1
}

# A build of another tree (a baseline commit in a worktree) in the same
# target directory leaves fingerprints naming that tree's files, and cargo
# would then take this tree's own crates as fresh and link the other tree's
# code. Forgets the workspace's crates (the registry crates stay compiled);
# the bench scripts run it before each build of theirs.
forget_workspace_crates() {
    (cd "$ROOT" && cargo clean -q --release -p lockstep -p app -p server -p model &&
        cargo clean -q --target-dir "$CARGO_TARGET_DIR/front" --target wasm32-unknown-unknown --profile wasm-release \
            -p lockstep -p app -p model)
}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    say "installing $* (apt)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# The wasm-bindgen version Cargo.lock resolved; the CLI must match it exactly.
locked_wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}
