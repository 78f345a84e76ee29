#!/usr/bin/env bash
# Lockstep's benchmarks, all in one go on this machine; writes BENCHMARKS.md.
#
# Every figure is a ratio of two things measured side by side in the same
# run (the baseline, then Lockstep, BENCH_RUNS times), reported as
# min / median / max over the runs. Uses the release build, a PostgreSQL
# cluster of its own with default durability, pgbench and wrk.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
source "$ROOT/scripts/pg.sh"

runs="${BENCH_RUNS:-3}"
seconds="${BENCH_SECONDS:-5}"
pg_port="${BENCH_PG_PORT:-55440}"
app_port="${BENCH_APP_PORT:-3300}"
command -v wrk >/dev/null || apt_install wrk
ensure_postgres_binaries
say "building the release site"
(cd "$ROOT" && build_site >/dev/null 2>&1)
lockstep="$CARGO_TARGET_DIR/release/lockstep"
# A second binary with the deliberately unsafe endpoint, in a target
# directory of its own so it can never be mistaken for the normal build.
say "building the benchmark-only binary (bench-unsafe)"
(cd "$ROOT" && cargo build -q --release --features bench-unsafe --bin lockstep \
    --target-dir "$CARGO_TARGET_DIR/bench-unsafe")
unsafe_lockstep="$CARGO_TARGET_DIR/bench-unsafe/release/lockstep"

source "$ROOT/bench/lib.sh"
bench_cluster bench "$pg_port"

now_ms() { date +%s%3N; }


# min / median / max of the numbers on stdin.
spread() { sort -g | awk '{ v[NR] = $1 } END { printf "%.2f / %.2f / %.2f", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a / b }'; }
# pgbench_tps DATABASE CLIENTS SCRIPT [pgbench options]: prepared
# statements, as the server's own (sqlx prepares every query it sends).
pgbench_tps() {
    local out
    out="$(pgbench -n -M prepared -h 127.0.0.1 -p "$pg_port" -U lockstep -c "$2" -j "$(( $2 < 2 ? $2 : 2 ))" \
        -T "$seconds" -f "$3" "${@:4}" "$1" 2>&1)" || { echo "error: pgbench $3 failed: $out" >&2; exit 1; }
    awk '/^tps = / { print $3; exit }' <<<"$out"
}
wrk_rps() { # connections script-or-empty url [threads]
    local threads=${4:-$(( $1 < 2 ? $1 : 2 ))}
    local out
    out="$(wrk -t "$threads" -c "$1" -d "${seconds}s" ${2:+-s "$2"} "$3")"
    if grep -q "Non-2xx" <<<"$out"; then echo "warning: non-2xx answers from $3: $(grep Non-2xx <<<"$out")" >&2; fi
    awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

p50_ms() { # script url
    wrk -t 1 -c 1 -d "${seconds}s" --latency -s "$1" "$2" | awk '$1 == "50%" {
        v = $2; unit = v; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", v);
        if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; print v }'
}

# 6. Start to ready on an empty database (migrations applied), no cluster creation.
say "start to ready"
startup=()
for i in $(seq 1 "$runs"); do
    pg_ensure_database "$pg_port" "startup_$i"
    started=$(now_ms); serve "startup_$i"; startup+=($(( $(now_ms) - started ))); stop_server
done

pg_ensure_database "$pg_port" bench
serve bench
password="bench-$RANDOM$RANDOM"
for account in member:member staff:staff pages:member; do
    echo "$password" | DATABASE_URL="$base/bench" "$lockstep" admin create-user \
        --email "${account%%:*}@bench.test" --role "${account##*:}" --password-stdin >/dev/null
done
export BENCH_MEMBER_COOKIE; BENCH_MEMBER_COOKIE="$(cookie member)"
export BENCH_STAFF_COOKIE; BENCH_STAFF_COOKIE="$(cookie staff)"
pages_cookie="$(cookie pages)"
curl -fs -H "Cookie: $BENCH_STAFF_COOKIE" -H 'content-type: application/json' \
    -d '{"id":"bench-client","name":"Bench client"}' "$target/api/clients" >/dev/null
for i in $(seq 1 20); do
    curl -fs -H "Cookie: $pages_cookie" -H 'content-type: application/json' \
        -d "{\"name\":\"Listed card $i\",\"full_name\":\"Page Bench\"}" "$target/api/cards" >/dev/null
done

# 7–10 replay what these routes send: PostgreSQL logs every statement of
# one request on a warm instance (log_statement = 'all' for this database
# while capturing), and bench/replay.py turns that log into a pgbench
# script. The statements stay as the server sent them; only what must
# differ per transaction (a new slug, a new request id, the card and the
# version an edit names) becomes a pgbench expression.
say "capturing the SQL of card create, card edit, numbered request create and the card list"
member_id="$(psql -tAX "$base/bench" -c "SELECT id FROM users WHERE email = 'member@bench.test'")"
stop_server
psql -q "$base/bench" -c "ALTER DATABASE bench SET log_statement = 'all'"
serve bench
pg_log="$work/pg/server.log"
capture_card="$(curl -fs -H "Cookie: $BENCH_MEMBER_COOKIE" -H 'content-type: application/json' \
    -d '{"name":"Capture target"}' "$target/api/cards" | grep -o '"id":"[^"]*"' | head -n 1 | cut -d '"' -f 4)"
capture_version=1
ask_card_create() {
    curl -fs -o /dev/null -H "Cookie: $BENCH_MEMBER_COOKIE" -H 'content-type: application/json' \
        -d "{\"name\":\"Captured $RANDOM$RANDOM\"}" "$target/api/cards"
}
ask_card_update() {
    curl -fs -o /dev/null -X PATCH -H "Cookie: $BENCH_MEMBER_COOKIE" -H 'content-type: application/json' \
        -d "{\"version\":$capture_version,\"tagline\":\"Edited\"}" "$target/api/cards/$capture_card"
    capture_version=$((capture_version + 1))
}
ask_request_create() {
    curl -fs -o /dev/null -H "Cookie: $BENCH_STAFF_COOKIE" -H 'content-type: application/json' \
        -d '{"client_id":"bench-client"}' "$target/api/requests"
}
ask_card_list() { curl -fs -o /dev/null -H "Cookie: $pages_cookie" "$target/api/cards"; }
# capture NAME: the log of one request of ask_NAME, the instance warmed by
# one just before; asked again when another connection's statement (a
# reaper's) got into the log.
capture() {
    local attempt from
    for attempt in 1 2 3 4 5; do
        "ask_${1//-/_}"
        from=$(stat -c %s "$pg_log")
        "ask_${1//-/_}"
        tail -c +$((from + 1)) "$pg_log" >"$work/capture-$1.log"
        python3 "$ROOT/bench/replay.py" "$work/capture-$1.log" >/dev/null 2>&1 && return 0
    done
    python3 "$ROOT/bench/replay.py" "$work/capture-$1.log" >/dev/null
}
for route in card-create card-update request-create card-list; do capture "$route"; done
stop_server
psql -q "$base/bench" -c "ALTER DATABASE bench RESET log_statement"
serve bench
replay() { python3 "$ROOT/bench/replay.py" "$work/capture-$1.log" "${@:2}"; }
{
    echo '\set n random(1, 4000000000000000000)'
    replay card-create --vary "create_business_card:2=('replay-card-' || :n)"
} >"$work/replay-card-create.sql"
# Each pgbench client edits a card of its own (made for each run), at the
# version it wrote last.
{
    replay card-update --vary 'UPDATE business_cards:1=md5(:run::text || :client_id::text)::uuid' \
        --vary 'UPDATE business_cards:3=:version'
    echo '\set version :version + 1'
} >"$work/replay-card-update.sql"
# The request's id is the table's default and its number is drawn in the
# statement, so the replay needs nothing varied.
replay request-create >"$work/replay-request-create.sql"
replay card-list >"$work/replay-card-list.sql"
for script in card-create card-update request-create card-list; do
    echo "    $script sends $(grep -vc '^\\' "$work/replay-$script.sql") statements:"
    grep -v '^\\' "$work/replay-$script.sql" | cut -c 1-150 | sed 's/^/        /'
done

cat >"$work/card.lua" <<'EOF'
local cookie = os.getenv("BENCH_MEMBER_COOKIE")
request = function()
  return wrk.format("POST", "/api/cards", { ["Content-Type"] = "application/json", ["Cookie"] = cookie },
    '{"name":"Bench ' .. math.random(1, 1000000000) .. '"}')
end
EOF
cat >"$work/request.lua" <<'EOF'
local cookie = os.getenv("BENCH_STAFF_COOKIE")
request = function()
  return wrk.format("POST", "/api/requests", { ["Content-Type"] = "application/json", ["Cookie"] = cookie },
    '{"client_id":"bench-client"}')
end
EOF
printf 'wrk.headers["Cookie"] = "%s"\n' "$pages_cookie" >"$work/page.lua"
# Each wrk thread (one connection) makes a card, then edits it at the
# version the last answer named.
cat >"$work/card-update.lua" <<'EOF'
local headers = { ["Content-Type"] = "application/json", ["Cookie"] = os.getenv("BENCH_MEMBER_COOKIE") }
local id, version = nil, nil
request = function()
  if not id then return wrk.format("POST", "/api/cards", headers, '{"name":"Edited by wrk"}') end
  return wrk.format("PATCH", "/api/cards/" .. id, headers, '{"version":' .. version .. ',"tagline":"Edited"}')
end
response = function(status, _, body)
  if status == 200 or status == 201 then
    id = id or body:match('"id":"([^"]+)"')
    version = tonumber(body:match('"version":(%d+)'))
  end
end
EOF
psql -q "$base/bench" -c 'CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload text NOT NULL)' \
    -c 'CREATE TABLE bench_counter (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO bench_counter VALUES (1, 0)'
echo "INSERT INTO bench_rows (payload) VALUES ('a row');" >"$work/insert.sql"
echo "UPDATE bench_counter SET n = n + 1 WHERE id = 1;" >"$work/counter.sql"

# 1. Plain single-row INSERT (pgbench) vs full-stack card create, same clients.
declare -A create_ratio insert_tps card_rps
for clients in 1 8 32; do
    say "card create vs INSERT at $clients clients"
    for _ in $(seq 1 "$runs"); do
        tps=$(pgbench_tps bench "$clients" "$work/insert.sql")
        rps=$(wrk_rps "$clients" "$work/card.lua" "$target/api/cards")
        insert_tps[$clients]+="$tps "; card_rps[$clients]+="$rps "
        create_ratio[$clients]+="$(ratio "$rps" "$tps") "
    done
done

# 7–10. Each route vs pgbench replaying its SQL, same clients; 11. the
# page vs the API answer listing the same 20 cards.
replay_run=0
declare -A replay_tps route_rps replay_ratio
replay_pair() { # name clients replay-script lua url
    local tps rps
    if [ "$1" = card-update ]; then
        replay_run=$((replay_run + 1))
        psql -q "$base/bench" -c "INSERT INTO business_cards (id, owner_id, slug, name)
            SELECT md5('$replay_run' || c)::uuid, '$member_id', 'replay-$replay_run-' || c, 'Replayed edit'
            FROM generate_series(0, $2 - 1) c"
        tps=$(pgbench_tps bench "$2" "$3" -D run="$replay_run" -D version=1)
        local edits
        edits="$(psql -tAX "$base/bench" -c "SELECT sum(version - 1) FROM business_cards
            WHERE slug LIKE 'replay-$replay_run-%'")"
        [ "${edits:-0}" -gt 0 ] || { echo "error: the replayed card edits changed no card" >&2; exit 1; }
        # One connection per wrk thread: each edits its own card.
        rps=$(wrk_rps "$2" "$4" "$5" "$2")
    else
        tps=$(pgbench_tps bench "$2" "$3")
        rps=$(wrk_rps "$2" "$4" "$5")
    fi
    replay_tps["$1 $2"]+="$tps "; route_rps["$1 $2"]+="$rps "; replay_ratio["$1 $2"]+="$(ratio "$rps" "$tps") "
}
declare -A page_list_ratio list_rps cards_page_rps
for clients in 8 32; do
    say "routes vs pgbench replaying their SQL, $clients clients"
    for _ in $(seq 1 "$runs"); do
        replay_pair card-create "$clients" "$work/replay-card-create.sql" "$work/card.lua" "$target/api/cards"
        replay_pair card-update "$clients" "$work/replay-card-update.sql" "$work/card-update.lua" "$target/api/cards"
        replay_pair request-create "$clients" "$work/replay-request-create.sql" "$work/request.lua" "$target/api/requests"
        replay_pair card-list "$clients" "$work/replay-card-list.sql" "$work/page.lua" "$target/api/cards"
        list=$(wrk_rps "$clients" "$work/page.lua" "$target/api/cards")
        page=$(wrk_rps "$clients" "$work/page.lua" "$target/cards")
        list_rps[$clients]+="$list "; cards_page_rps[$clients]+="$page "
        page_list_ratio[$clients]+="$(ratio "$page" "$list") "
    done
done

# 3. Gapless numbered create vs its bound, 1 / single-client commit latency
# on one hot row (pgbench, one client, autocommit UPDATE).
declare -A number_ratio number_rps
bound_tps=""
for clients in 1 16 64; do
    say "numbered create at $clients clients vs the one-counter bound"
    for _ in $(seq 1 "$runs"); do
        bound=$(pgbench_tps bench 1 "$work/counter.sql")
        rps=$(wrk_rps "$clients" "$work/request.lua" "$target/api/requests")
        bound_tps+="$bound "; number_rps[$clients]+="$rps "
        number_ratio[$clients]+="$(ratio "$rps" "$bound") "
    done
done

# 12–15. Numbered creates sharing commits (numbers::batches).
# 12: numbered creates per WAL flush: rows inserted ÷ pg_stat_wal.wal_sync
# over the load. Backends report their WAL counts when they exit, so the
# server is stopped (its connections closed) before each reading.
backends_gone() {
    [ "$(psql -tAX "$base/bench" -c "SELECT count(*) FROM pg_stat_activity
        WHERE datname = 'bench' AND pid <> pg_backend_pid()")" = 0 ]
}
wal_reading() { # sets $wal_now to "wal_sync requests"; restarts the server (not in a subshell)
    stop_server
    until backends_gone; do sleep 0.05; done
    wal_now="$(psql -tAX -F ' ' "$base/bench" -c "SELECT (SELECT wal_sync FROM pg_stat_wal), (SELECT count(*) FROM requests)")"
    serve bench
}
declare -A per_flush batched_rps
wal_reading; reading="$wal_now"
for clients in 1 4 16 64; do
    say "numbered creates sharing commits, $clients clients: creates per WAL flush"
    for _ in $(seq 1 "$runs"); do
        rps=$(wrk_rps "$clients" "$work/request.lua" "$target/api/requests")
        wal_reading; next="$wal_now"
        per_flush[$clients]+="$(awk -v a="$reading" -v b="$next" 'BEGIN { split(a, x, " "); split(b, y, " ");
            printf "%.2f\n", (y[2] - x[2]) / (y[1] - x[1]) }') "
        batched_rps[$clients]+="$rps "
        reading="$next"
    done
done
# 13: the numbered create vs an un-numbered create of a similar row.
cat >"$work/client.lua" <<'LUA'
local cookie = os.getenv("BENCH_STAFF_COOKIE")
local run = os.getenv("BENCH_RUN")
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/clients", { ["Content-Type"] = "application/json", ["Cookie"] = cookie },
    '{"id":"bench-' .. run .. '-' .. tid .. '-' .. n .. '","name":"Bench client"}')
end
LUA
say "numbered request create vs client create, 64 clients"
client_rps=""; request_rps=""; vs_client_ratio=""
for run in $(seq 1 "$runs"); do
    c=$(BENCH_RUN="$run" wrk_rps 64 "$work/client.lua" "$target/api/clients")
    r=$(wrk_rps 64 "$work/request.lua" "$target/api/requests")
    client_rps+="$c "; request_rps+="$r "; vs_client_ratio+="$(ratio "$r" "$c") "
done
# 14: the same binary with batching off (each create a transaction of its
# own request, as before batching) on a second port, same database.
unbatched="http://127.0.0.1:$((app_port + 1))"
DATABASE_URL="$base/bench" LOCKSTEP_LISTEN="127.0.0.1:$((app_port + 1))" LEPTOS_SITE_ROOT="$ROOT/target/site" \
    LOCKSTEP_LOG=warn LOCKSTEP_METRICS_LISTEN=off LOCKSTEP_NUMBER_BATCH=0 "$lockstep" serve \
    >>"$work/server-unbatched.log" 2>&1 &
unbatched_pid=$!
until curl -fs "$unbatched/readyz" >/dev/null 2>&1; do
    kill -0 "$unbatched_pid" 2>/dev/null || { cat "$work/server-unbatched.log"; exit 1; }
    sleep 0.01
done
say "numbered create, batching on vs off: p50 at 1 client, req/s at 64"
p50_batched=""; p50_single=""; p50_ratio=""; rps64_batched=""; rps64_single=""; rps64_ratio=""
for _ in $(seq 1 "$runs"); do
    one=$(p50_ms "$work/request.lua" "$unbatched/api/requests")
    many=$(p50_ms "$work/request.lua" "$target/api/requests")
    p50_single+="$one "; p50_batched+="$many "; p50_ratio+="$(ratio "$many" "$one") "
    one=$(wrk_rps 64 "$work/request.lua" "$unbatched/api/requests")
    many=$(wrk_rps 64 "$work/request.lua" "$target/api/requests")
    rps64_single+="$one "; rps64_batched+="$many "; rps64_ratio+="$(ratio "$many" "$one") "
done
# 15: slow commits. A synchronous standby on this machine confirms each
# commit only once applied, and applies it recovery_min_apply_delay after
# the primary committed: every commit waits at least that long, as with a
# standby that far away. The bound: one client committing one-row updates
# under the same wait.
commit_delay="${BENCH_COMMIT_DELAY:-2ms}"
say "numbered create at 64 clients where commits are slow (synchronous standby, apply delay $commit_delay)"
mkdir -p "$work/standby"
if [ "$(id -u)" = 0 ]; then chown postgres: "$work/standby"; fi
chmod 700 "$work/standby"
as_pg_owner "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$pg_port" -U lockstep -D "$work/standby" -R -X stream \
    --checkpoint=fast
pg_cluster_start "$work/standby" $((pg_port + 1)) "recovery_min_apply_delay=$commit_delay"
psql -q "$base/postgres" -c "ALTER SYSTEM SET synchronous_standby_names = '*'" \
    -c "ALTER SYSTEM SET synchronous_commit = 'remote_apply'" -c "SELECT pg_reload_conf()" >/dev/null
slow_bound=""; slow_batched=""; slow_single=""; slow_ratio=""; slow_single_ratio=""
for _ in $(seq 1 "$runs"); do
    bound=$(pgbench_tps bench 1 "$work/counter.sql")
    many=$(wrk_rps 64 "$work/request.lua" "$target/api/requests")
    one=$(wrk_rps 64 "$work/request.lua" "$unbatched/api/requests")
    slow_bound+="$bound "; slow_batched+="$many "; slow_single+="$one "
    slow_ratio+="$(ratio "$many" "$bound") "; slow_single_ratio+="$(ratio "$one" "$bound") "
done
psql -q "$base/postgres" -c "ALTER SYSTEM RESET synchronous_standby_names" \
    -c "ALTER SYSTEM RESET synchronous_commit" -c "SELECT pg_reload_conf()" >/dev/null
pg_cluster_stop "$work/standby"
kill "$unbatched_pid"; wait "$unbatched_pid" 2>/dev/null || true; unbatched_pid=""

# 4. Server-rendered card list (20 cards) vs a bare handler in the same binary.
say "card list page vs /healthz"
page_ratio=""; page_rps=""; hello_rps=""
for _ in $(seq 1 "$runs"); do
    hello=$(wrk_rps 8 "" "$target/healthz")
    page=$(wrk_rps 8 "$work/page.lua" "$target/cards")
    hello_rps+="$hello "; page_rps+="$page "; page_ratio+="$(ratio "$page" "$hello") "
done
stop_server

# 2. Unsafe check-then-insert vs the safe create, side by side in the
# benchmark-only binary: p50 latency at 1 client (distinct ids), and failed
# answers when 32 clients race for ids shared within each second.
say "unsafe check-then-insert vs safe create"
pg_ensure_database "$pg_port" bench_unsafe
serve bench_unsafe "$unsafe_lockstep"
echo "$password" | DATABASE_URL="$base/bench_unsafe" "$lockstep" admin create-user \
    --email staff@bench.test --role staff --password-stdin >/dev/null
export BENCH_STAFF_COOKIE; BENCH_STAFF_COOKIE="$(cookie staff)"
for variant in safe:/api/clients unsafe:/bench/unsafe/clients; do
    cat >"$work/${variant%%:*}-distinct.lua" <<EOF
local cookie = os.getenv("BENCH_STAFF_COOKIE")
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "${variant#*:}", { ["Content-Type"] = "application/json", ["Cookie"] = cookie },
    '{"id":"${variant%%:*}-' .. math.random(1, 1000000000) .. '-' .. n .. '","name":"Bench"}')
end
EOF
    cat >"$work/${variant%%:*}-race.lua" <<EOF
local cookie = os.getenv("BENCH_STAFF_COOKIE")
request = function()
  return wrk.format("POST", "${variant#*:}", { ["Content-Type"] = "application/json", ["Cookie"] = cookie },
    '{"id":"${variant%%:*}-race-' .. os.time() .. '","name":"Bench"}')
end
EOF
done
race_errors() { # script url: "failed/total"
    local out total errors
    out="$(wrk -t 2 -c 32 -d "${seconds}s" -s "$1" "$2")"
    total=$(awk '/requests in/ { print $1 }' <<<"$out")
    errors=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
    echo "${errors:-0}/$total"
}
unsafe_ratio=""; safe_p50=""; unsafe_p50=""; safe_race=""; unsafe_race=""
for _ in $(seq 1 "$runs"); do
    u=$(p50_ms "$work/unsafe-distinct.lua" "$target/bench/unsafe/clients")
    s=$(p50_ms "$work/safe-distinct.lua" "$target/api/clients")
    unsafe_p50+="$u "; safe_p50+="$s "; unsafe_ratio+="$(ratio "$s" "$u") "
    unsafe_race+="$(race_errors "$work/unsafe-race.lua" "$target/bench/unsafe/clients") "
    safe_race+="$(race_errors "$work/safe-race.lua" "$target/api/clients") "
done
stop_server

say "statements per request (bench/statements.sh)"
"$ROOT/bench/statements.sh" >"$work/statements.md"

# 5. The browser bundle.
# Named after their contents (hash-files): lockstep.<hash>.wasm.
wasm="$(ls "$ROOT"/target/site/pkg/lockstep*.wasm)"
js="$(ls "$ROOT"/target/site/pkg/lockstep*.js)"
wasm_raw=$(stat -c %s "$wasm"); wasm_gz=$(gzip -9 -c "$wasm" | wc -c)
js_raw=$(stat -c %s "$js"); js_gz=$(gzip -9 -c "$js" | wc -c)

numbers() { tr ' ' '\n' | grep -v '^$'; }
meets() { # median goal comparison(ge|le)
    awk -v m="$1" -v g="$2" -v op="$3" 'BEGIN { ok = (op == "ge") ? (m >= g) : (m <= g); print ok ? "met" : "**missed**" }'
}
median_of() { numbers | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

out="$ROOT/BENCHMARKS.md"
marker="<!-- Below: the other bench scripts' results, kept as they are by bench/run.sh. -->"
kept="$(awk -v marker="$marker" '$0 == marker { found = 1 } found' "$out" 2>/dev/null || true)"
{
    echo "# Benchmarks"
    echo
    echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$(git -C "$ROOT" rev-parse --short HEAD)\`,"
    echo "on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') (default durability)."
    echo "Each figure is measured side by side with its baseline in the same run, $runs runs of ${seconds} s each; min / median / max."
    echo
    echo "| # | What | Baseline | Lockstep | Ratio (min / median / max) | Goal | |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    for c in 1 8 32; do
        echo "| 1 | card create, $c clients (req/s) vs pgbench INSERT (tps) | $(numbers <<<"${insert_tps[$c]}" | spread) | $(numbers <<<"${card_rps[$c]}" | spread) | $(numbers <<<"${create_ratio[$c]}" | spread) | ≥ 0.5× | $(meets "$(median_of <<<"${create_ratio[$c]}")" 0.5 ge) |"
    done
    echo "| 2 | client create p50 at 1 client (ms): unsafe check-then-insert vs safe (safe ÷ unsafe) | $(numbers <<<"$unsafe_p50" | spread) | $(numbers <<<"$safe_p50" | spread) | $(numbers <<<"$unsafe_ratio" | spread) | ≤ 1.05× | $(meets "$(median_of <<<"$unsafe_ratio")" 1.05 le) |"
    echo "| 2 | 32 clients racing for ids shared within each second: failed answers / requests, per run | unsafe: $unsafe_race | safe: $safe_race | | safe: 0 failed | $(numbers <<<"$safe_race" | grep -qv '^0/' && echo '**missed**' || echo met) |"
    for c in 1 16 64; do
        echo "| 3 | REQ create, $c clients (req/s) vs 1 ÷ commit latency on one row | $(numbers <<<"$bound_tps" | spread) | $(numbers <<<"${number_rps[$c]}" | spread) | $(numbers <<<"${number_ratio[$c]}" | spread) | ≥ 0.8× | $(meets "$(median_of <<<"${number_ratio[$c]}")" 0.8 ge) |"
    done
    echo "| 4 | \`/cards\` with 20 cards vs \`/healthz\`, 8 connections (req/s) | $(numbers <<<"$hello_rps" | spread) | $(numbers <<<"$page_rps" | spread) | $(numbers <<<"$page_ratio" | spread) | ≥ 0.3× | $(meets "$(median_of <<<"$page_ratio")" 0.3 ge) |"
    echo "| 5 | hydrate WASM: raw / gzip -9 (KiB); JS glue raw / gzip | | $((wasm_raw / 1024)) / $((wasm_gz / 1024)); $((js_raw / 1024)) / $((js_gz / 1024)) | | ≤ 250 KiB gzip | $( [ $((wasm_gz / 1024)) -le 250 ] && echo met || echo '**missed**') |"
    echo "| 6 | start to ready on an empty database, migrations applied (ms) | | $(printf '%s\n' "${startup[@]}" | spread) | | ≤ 1500 ms | $(meets "$(printf '%s\n' "${startup[@]}" | median_of)" 1500 le) |"
    for c in 8 32; do
        replay_row() { # number what name goal
            local key="$3 $c" verdict="(no goal)"
            if [ -n "$4" ]; then verdict="$(meets "$(median_of <<<"${replay_ratio[$key]}")" "$4" ge)"; fi
            echo "| $1 | $2, $c clients (req/s) vs pgbench replaying its SQL (tps) | $(numbers <<<"${replay_tps[$key]}" | spread) | $(numbers <<<"${route_rps[$key]}" | spread) | $(numbers <<<"${replay_ratio[$key]}" | spread) | ${4:+≥ $4×} | $verdict |"
        }
        replay_row 7 "\`POST /api/cards\` (card create)" card-create 0.6
        replay_row 8 "\`PATCH /api/cards/{id}\` (card edit)" card-update 0.6
        replay_row 9 "\`POST /api/requests\` (numbered create)" request-create ""
        replay_row 10 "\`GET /api/cards\` (20 cards)" card-list 0.6
        echo "| 11 | \`/cards\` page vs \`GET /api/cards\` (20 cards), $c clients (req/s) | $(numbers <<<"${list_rps[$c]}" | spread) | $(numbers <<<"${cards_page_rps[$c]}" | spread) | $(numbers <<<"${page_list_ratio[$c]}" | spread) | ≥ 0.5× | $(meets "$(median_of <<<"${page_list_ratio[$c]}")" 0.5 ge) |"
    done
    for c in 1 4 16 64; do
        goal=""; verdict=""
        if [ "$c" = 64 ]; then goal="≥ 3 per flush"; verdict="$(meets "$(median_of <<<"${per_flush[$c]}")" 3 ge)"; fi
        echo "| 12 | REQ create, $c clients: req/s, and creates per WAL flush (rows ÷ \`pg_stat_wal.wal_sync\`) | | $(numbers <<<"${batched_rps[$c]}" | spread) | $(numbers <<<"${per_flush[$c]}" | spread) | $goal | $verdict |"
    done
    echo "| 13 | REQ create vs client create (un-numbered), 64 clients (req/s) | $(numbers <<<"$client_rps" | spread) | $(numbers <<<"$request_rps" | spread) | $(numbers <<<"$vs_client_ratio" | spread) | ≥ 0.9× | $(meets "$(median_of <<<"$vs_client_ratio")" 0.9 ge) |"
    echo "| 14 | REQ create p50 at 1 client (ms): batching off vs on | $(numbers <<<"$p50_single" | spread) | $(numbers <<<"$p50_batched" | spread) | $(numbers <<<"$p50_ratio" | spread) | ≤ 1.1× | $(meets "$(median_of <<<"$p50_ratio")" 1.1 le) |"
    echo "| 14 | REQ create at 64 clients (req/s): batching off vs on | $(numbers <<<"$rps64_single" | spread) | $(numbers <<<"$rps64_batched" | spread) | $(numbers <<<"$rps64_ratio" | spread) | (no goal) | |"
    echo "| 15 | slow commits (synchronous standby, apply delay $commit_delay): REQ create at 64 clients (req/s) vs one-row commits at 1 client (tps) | $(numbers <<<"$slow_bound" | spread) | $(numbers <<<"$slow_batched" | spread) | $(numbers <<<"$slow_ratio" | spread) | ≥ 2× | $(meets "$(median_of <<<"$slow_ratio")" 2 ge) |"
    echo "| 15 | the same with batching off (each create commits on its own) | $(numbers <<<"$slow_bound" | spread) | $(numbers <<<"$slow_single" | spread) | $(numbers <<<"$slow_single_ratio" | spread) | (no goal) | |"
    echo
    echo "Rows 7–10 replay, with \`pgbench -M prepared\`, the statements PostgreSQL logged for one request of each"
    echo "route on a warm instance in this run (\`bench/replay.py\`): per request"
    for script in card-create card-update request-create card-list; do
        echo "$script $(grep -vc '^\\' "$work/replay-$script.sql")"
    done | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 } END { print " statements." }'
    echo "Rows 1, 3 and 4 are the older baselines, kept for history. Rows 12–15 measure numbered creates sharing"
    echo "commits (\`server/src/numbers/batches.rs\`); \"batching off\" is the same binary with"
    echo "\`LOCKSTEP_NUMBER_BATCH=0\` on a second port, against the same database."
    echo
    echo "## Statements per request"
    echo
    echo "\`bench/statements.sh\` in this run: what PostgreSQL itself counted (pg_stat_statements, utility statements"
    echo "included) for 20 requests of each route on a warm instance. Goal: a signed-in request sends no statement"
    echo "for who is asking (session, user, device), only its operation's own."
    echo
    cat "$work/statements.md"
    echo
    asking="$(awk -F '|' 'NR > 2 { sum += $5 } END { printf "%.1f", sum }' "$work/statements.md")"
    echo "Statements for who is asking, summed over every route: $asking per request (goal 0): $(meets "$asking" 0 le)."
    echo
    cat "$ROOT/bench/notes.md"
    if [ -n "$kept" ]; then printf '\n%s\n' "$kept"; fi
} >"$out"
cat "$out"
say "wrote $out"
