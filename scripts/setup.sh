#!/usr/bin/env bash
# Installs whatever building (and, with --test, testing) Lockstep needs on a
# fresh machine, skipping everything already present. Safe to run again.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/pg.sh"

with_test_tools=false
[ "${1:-}" = "--test" ] && with_test_tools=true

if ! command -v cargo >/dev/null; then
    echo "error: cargo not found; install Rust with rustup first" >&2
    exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# 0.3.11 needs a newer rustc than this machine's; 0.3.10 builds with --locked.
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes a while, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# cargo-leptos downloads wasm-bindgen from GitHub unless it is on PATH, and
# uses whatever it finds there, so it must equal the crate version exactly.
# (--locked fails: a locked dependency is missing from the registry.)
wasm_bindgen_version="$(locked_wasm_bindgen_version)"
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wasm_bindgen_version"; then
    say "installing wasm-bindgen-cli $wasm_bindgen_version"
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
fi

# wasm-opt for release builds, from npm's binaryen (no GitHub download).
if [ ! -x "$LOCKSTEP_TOOLS/node_modules/.bin/wasm-opt" ]; then
    say "installing wasm-opt (npm binaryen $BINARYEN_VERSION)"
    mkdir -p "$LOCKSTEP_TOOLS"
    npm install --prefix "$LOCKSTEP_TOOLS" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi

ensure_postgres_binaries

if $with_test_tools; then
    if [ ! -x /usr/bin/chromium ]; then
        apt_install chromium
    fi
    # The reverse proxy the tests run three instances behind.
    if [ ! -x /usr/sbin/nginx ]; then
        apt_install nginx-light
    fi
    # The replicated PostgreSQL of the cluster fault tests (scripts/ha.sh).
    if ! command -v patroni >/dev/null || ! command -v etcd >/dev/null || ! command -v haproxy >/dev/null; then
        apt_install patroni etcd-server haproxy
    fi
    # The API fuzzer that holds /api/openapi.json to what the API answers.
    if [ ! -x "$SCHEMATHESIS" ]; then
        say "installing schemathesis $SCHEMATHESIS_VERSION (PyPI, in a virtual environment)"
        if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
            apt_install python3 python3-venv
        fi
        venv="$LOCKSTEP_TOOLS/schemathesis-$SCHEMATHESIS_VERSION"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    fi
    # Any package of package.json missing (one added since the last install).
    if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ] || [ ! -d "$ROOT/end2end/node_modules/jsqr" ]; then
        say "installing end-to-end test packages"
        (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
    fi
fi
