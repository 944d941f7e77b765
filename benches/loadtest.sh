#!/usr/bin/env bash
# Starts fresh anshin servers and runs loadgen against them, then stops them.
#
#   benches/loadtest.sh embedded 1 [loadgen options...]   # SQLite + in-memory ephemeral store
#   benches/loadtest.sh postgres 2 [loadgen options...]   # PostgreSQL + Redis, two instances
#
# PostgreSQL: 127.0.0.1:5432, user postgres, trust authentication (PGURL overrides); a new
# database is created for the run and dropped after it. Redis: REDIS_URL (default
# redis://127.0.0.1:6379/9, a database of its own so that the run's keys are easy to see).
# The servers listen on 127.0.0.1 from PORT (default 18080) upward, log at warn level, and
# allow any number of requests per minute from one address, which loadgen needs.
# With MEASURE_PENDING=1 (postgres), one registration and one sign-in are started after the run
# and the size of their pending ceremonies in Redis is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:?usage: benches/loadtest.sh embedded|postgres INSTANCES [loadgen options]}"
instances="${2:?usage: benches/loadtest.sh embedded|postgres INSTANCES [loadgen options]}"
shift 2
port="${PORT:-18080}"
target_dir="${CARGO_TARGET_DIR:-target}"

# NO_BUILD=1 runs the binaries already in the target directory.
[ "${NO_BUILD:-0}" = 1 ] ||
    cargo build --release -q -p anshin-server --bin anshin -p anshin-benches --bin loadgen

work="$(mktemp -d)"
pids=()
database=""
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$database" ]; then
        psql "${PGURL:-postgres://postgres@127.0.0.1:5432/postgres}" -q -c "DROP DATABASE IF EXISTS $database" || true
    fi
    [ -z "${SQLITE_DIR:-}" ] || rm -f "$SQLITE_DIR/anshin-loadtest-$$.db"*
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/anshin.toml" <<'EOF'
[rate_limits]
per_ip_per_minute = 1000000000
EOF

redis=""
case "$backend" in
    embedded)
        [ "$instances" = 1 ] || { echo "the embedded stores serve one instance" >&2; exit 2; }
        # SQLITE_DIR puts the database elsewhere, e.g. on a tmpfs to take fsync out.
        db="sqlite://${SQLITE_DIR:-$work}/anshin-loadtest-$$.db"
        ;;
    postgres)
        database="anshin_loadtest_$$"
        psql "${PGURL:-postgres://postgres@127.0.0.1:5432/postgres}" -q -c "CREATE DATABASE $database"
        db="postgres://postgres@127.0.0.1:5432/$database"
        redis="${REDIS_URL:-redis://127.0.0.1:6379/9}"
        redis-cli -u "$redis" --scan --pattern 'anshin:*' | xargs -r redis-cli -u "$redis" del >/dev/null
        ;;
    *) echo "backend: embedded or postgres" >&2; exit 2 ;;
esac

targets=()
for i in $(seq 0 $((instances - 1))); do
    listen="127.0.0.1:$((port + i))"
    env ANSHIN_CONFIG="$work/anshin.toml" ANSHIN_LISTEN="$listen" ANSHIN_DATABASE_URL="$db" \
        ${redis:+ANSHIN_REDIS_URL="$redis"} ANSHIN_RP_ID=localhost \
        ANSHIN_ORIGINS=http://localhost:8080 ANSHIN_LOG=warn \
        "$target_dir/release/anshin" serve >"$work/anshin-$i.log" 2>&1 &
    pids+=("$!")
    targets+=("http://$listen")
    # The first instance migrates the database before the next one starts.
    for _ in $(seq 1 100); do
        curl -fs "http://$listen/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fs "http://$listen/readyz" >/dev/null || { cat "$work/anshin-$i.log" >&2; exit 1; }
done

# CPU seconds (user + system) the servers have used so far.
server_cpu() {
    local ticks=0 pid
    for pid in "${pids[@]}"; do
        ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$ticks"
}

echo "load: $(cat /proc/loadavg) before the run" >&2
cpu_before="$(server_cpu)"
/usr/bin/time -f "loadgen CPU: %U s user, %S s system" \
    "$target_dir/release/loadgen" --target "$(IFS=,; echo "${targets[*]}")" \
    --origin http://localhost:8080 "$@"
cpu_after="$(server_cpu)"
echo "server CPU: $(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%.2f", t / hz}') s (user + system, all instances)"
echo "load: $(cat /proc/loadavg) after the run" >&2

if [ -n "$redis" ] && [ "${MEASURE_PENDING:-0}" = 1 ]; then
    # Finished ceremonies leave nothing behind: start one of each and measure what waits.
    user="$(psql "$db" -At -c "SELECT name FROM users ORDER BY created_at LIMIT 1")"
    curl -fs "${targets[0]}/v1/registration/options" -H 'content-type: application/json' \
        -d '{"user": {"name": "pending-size-probe", "display_name": "Pending Size Probe"}}' >/dev/null
    curl -fs "${targets[0]}/v1/authentication/options" -H 'content-type: application/json' \
        -d "{\"username\": \"$user\"}" >/dev/null
    echo "pending ceremonies in Redis (key: value bytes, MEMORY USAGE bytes):"
    redis-cli -u "$redis" --scan --pattern 'anshin:*' | grep -E ':(reg|authn):' |
        while read -r key; do
            echo "$key: $(redis-cli -u "$redis" strlen "$key") $(redis-cli -u "$redis" memory usage "$key")"
        done
fi
