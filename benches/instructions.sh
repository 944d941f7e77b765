#!/usr/bin/env bash
# Instructions per call of each routine of the `peers` bench, under callgrind: the total of a
# run of N calls minus that of a run of 0 calls (same setup), divided by N. Prints one Markdown
# table per group with the ratios to the raw ring check and to anshin. Repeatable under load.
#
#   benches/instructions.sh [N]          # default N = 100
#   METRIC=cpu benches/instructions.sh 3000
#
# With METRIC=cpu the same difference is taken of the CPU time the process used (perf stat's
# task-clock, natively, so with ring's native code paths), in microseconds per call, the median
# of three tries: less disturbed by other processes than wall time (time spent waiting for a
# core is not counted), though caches are still shared.
#
# Under valgrind, ring detects fewer CPU features than natively and takes other code paths
# (the P-256 *_nohw functions; SHA-256 without the SHA extensions), so the counts are for
# proportions, not for absolute cost.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100}"
bin="$(cargo bench -p anshin-benches --bench instructions --no-run 2>&1 |
    sed -n 's/.*(\(.*instructions-[0-9a-f]*\)).*/\1/p' | tail -n 1)"
[ -x "$bin" ] || { echo "could not build the instructions bench" >&2; exit 1; }

collected() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --bench "$1" "$2" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# CPU milliseconds of a native run.
task_clock() {
    perf stat -x, -e task-clock "$bin" --bench "$1" "$2" 2>&1 >/dev/null | awk -F, '/task-clock/ {print $1}'
}

per_call() {
    local zero many
    if [ "${METRIC:-instructions}" = cpu ]; then
        for _ in 1 2 3; do
            zero="$(task_clock "$1" 0)"
            many="$(task_clock "$1" "$n")"
            awk -v a="$zero" -v b="$many" -v n="$n" 'BEGIN { printf "%.2f\n", (b - a) * 1000 / n }'
        done | sort -g | sed -n 2p
        return
    fi
    zero="$(collected "$1" 0)"
    many="$(collected "$1" "$n")"
    awk -v a="$zero" -v b="$many" -v n="$n" 'BEGIN { printf "%.0f", (b - a) / n }'
}

# BENCH_GROUPS="auth_es256 reg_packed_x5c_es256" limits the run to those groups.
groups=(auth_es256 auth_eddsa auth_rs256 reg_none_es256 reg_none_eddsa reg_none_rs256
    reg_packed_self_es256 reg_packed_self_eddsa reg_packed_self_rs256 reg_packed_x5c_es256)
[ -z "${BENCH_GROUPS:-}" ] || read -r -a groups <<<"$BENCH_GROUPS"
for group in "${groups[@]}"; do
    members=(anshin webauthn_rs_0_5 webauthn_rs_0_6)
    case "$group" in
        auth_*) members=(anshin anshin_finish_only "${members[@]:1}" ring_raw) ;;
        reg_packed_self_*) members+=(ring_raw) ;;
        # The recorded vector, against the sum of its signature checks (no webauthn-rs run).
        reg_packed_x5c_*) members=(anshin ring_raw) ;;
    esac
    # webauthn-rs 0.6 refuses Ed25519 credentials.
    [[ "$group" == *eddsa ]] && members=("${members[@]/webauthn_rs_0_6/}")
    declare -A count=()
    for m in "${members[@]}"; do
        [ -n "$m" ] && count[$m]="$(per_call "$group/$m")"
    done
    unit="instructions"
    [ "${METRIC:-instructions}" = cpu ] && unit="CPU µs"
    echo "#### \`$group\` ($unit per call, N = $n)"
    echo
    echo "| routine | $unit | × ring_raw | × anshin |"
    echo "|---|---:|---:|---:|"
    for m in "${members[@]}"; do
        [ -n "$m" ] || continue
        awk -v c="${count[$m]}" -v raw="${count[ring_raw]:-}" -v a="${count[anshin]}" -v name="$m" \
            -v cpu="$([ "${METRIC:-instructions}" = cpu ] && echo 1)" 'BEGIN {
            printf "| `%s` | %s | %s | %.3f |\n", name,
                (cpu ? sprintf("%.2f", c) : sprintf("%\047d", c)),
                (raw == "" ? "–" : sprintf("%.3f", c / raw)), c / a
        }'
    done
    echo
    unset count
done
