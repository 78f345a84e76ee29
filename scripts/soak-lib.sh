# shellcheck shell=bash
# What the fault tests share (scripts/fault-tests.sh on one PostgreSQL,
# scripts/ha-tests.sh on a replicated one): Lockstep instances on ports of
# their own, `lockstep soak` in the background, and the fault notes it reads.
# Sourced after these are set: bin, base_url (the database the instances and
# soak use), work_dir, soak_seconds, soak_clients, soak_recovery_seconds.

declare -A server_pids=()
soak_pid=""
soak_faults=""
locker_pid=""
# Whatever else a test started and must stop (set by the sourcing script).
extra_cleanup() { :; }

cleanup() {
    local pid
    for pid in "${server_pids[@]}" $soak_pid $locker_pid; do kill "$pid" 2>/dev/null || true; done
    for pid in "${server_pids[@]}" $soak_pid $locker_pid; do wait "$pid" 2>/dev/null || true; done
    extra_cleanup
    rm -rf "$work_dir"
}

fail() {
    echo "FAULT TEST FAILED: $*" >&2
    for log in "$work_dir"/*.log; do echo "--- $log" >&2; tail -n 30 "$log" >&2; done
    exit 1
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s.
wait_until() {
    local seconds="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${seconds}s waiting for $what"
        sleep 0.1
    done
}

ready() { curl -fs "http://127.0.0.1:$1/readyz"; }
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# Each instance names its connections, so test 2 ends theirs and nobody else's.
start_instance() {
    local port="$1"
    DATABASE_URL="$base_url?application_name=lockstep-instance" LOCKSTEP_LISTEN="127.0.0.1:$port" \
        LEPTOS_SITE_ROOT="$ROOT/target/site" LOCKSTEP_LOG=warn LOCKSTEP_POOL_SIZE=8 LOCKSTEP_METRICS_LISTEN=off \
        LOCKSTEP_SIGN_UPS_PER_ADDRESS=100000 "$bin" serve >>"$work_dir/server-$port.log" 2>&1 &
    server_pids[$port]=$!
    wait_until 30 "the instance on port $port to be ready" ready "$port"
}

stop_instance() {
    local port="$1"
    kill "${server_pids[$port]}" 2>/dev/null || true
    wait "${server_pids[$port]}" 2>/dev/null || true
    unset "server_pids[$port]"
}

# start_soak NAME SECONDS TARGET_PORT...: soak in the background, logging to NAME.log.
start_soak() {
    local name="$1" seconds="$2"
    shift 2
    local targets=()
    local port
    for port in "$@"; do targets+=(--target "http://127.0.0.1:$port"); done
    soak_faults="$work_dir/$name.faults"
    DATABASE_URL="$base_url" "$bin" soak "${targets[@]}" --clients "$soak_clients" --seconds "$seconds" \
        --recovery-seconds "$soak_recovery_seconds" --faults-file "$soak_faults" >"$work_dir/$name.log" 2>&1 &
    soak_pid=$!
    wait_until 60 "soak to get 100 writes acknowledged" soak_under_way "$work_dir/$name.log"
}

soak_under_way() {
    kill -0 "$soak_pid" 2>/dev/null || fail "soak stopped before it got going"
    grep -q "100 writes acknowledged" "$1"
}

# A fault begins; it is over: writes must be acknowledged again from then on.
note_fault() {
    kill -0 "$soak_pid" 2>/dev/null || fail "soak ended before the fault was noted ($1)"
    echo "$1 $(date +%s.%N)" >>"$soak_faults"
}
fault_begins() { note_fault begin; }
fault_over() { note_fault end; }

finish_soak() {
    local name="$1" status=0
    wait "$soak_pid" || status=$?
    soak_pid=""
    sed 's/^/    /' "$work_dir/$name.log"
    [ "$status" = 0 ] || fail "$name: soak reported failures (exit $status)"
}

# sign_in_new_user COOKIE_FILE: a fresh member, signed in on port 3201.
sign_in_new_user() {
    local cookies="$1" password="fault-password-$RANDOM$RANDOM" email="fault-$RANDOM$RANDOM@lockstep.test"
    echo "$password" | DATABASE_URL="$base_url" "$bin" admin create-user --email "$email" \
        --name "Fay Fault" --password-stdin >/dev/null
    curl -fs -c "$cookies" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"$password\"}" http://127.0.0.1:3201/api/auth/login >/dev/null \
        || fail "could not sign in as $email"
}

sql() { psql "$base_url" -tAXc "$1"; }
refusing_connections() { ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/healthz"; }
