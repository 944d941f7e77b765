#!/usr/bin/env bash
# Prints one Markdown table per group of the last `peers` run (`auth_*`, `reg_*`): each
# library's median, its ratio to the raw ring check of the same signature (where the group has
# one) and to anshin. Run after `cargo bench -p anshin-benches --bench peers`. Needs jq.
set -euo pipefail
dir="${1:-$(dirname "$0")/../target/criterion}"

median() { jq -r '.median.point_estimate' "$dir/$1/$2/new/estimates.json"; }

for group in $(find "$dir" -maxdepth 1 -mindepth 1 -type d \( -name 'auth_*' -o -name 'reg_*' \) -printf '%f\n' | sort); do
    [ -f "$dir/$group/anshin/new/estimates.json" ] || continue
    anshin="$(median "$group" anshin)"
    raw=""
    [ -f "$dir/$group/ring_raw/new/estimates.json" ] && raw="$(median "$group" ring_raw)"
    echo "#### \`$group\`"
    echo
    echo "| routine | median | × ring_raw | × anshin |"
    echo "|---|---:|---:|---:|"
    for member in anshin webauthn_rs_0_5 webauthn_rs_0_6 ring_raw; do
        [ -f "$dir/$group/$member/new/estimates.json" ] || continue
        m="$(median "$group" "$member")"
        awk -v m="$m" -v raw="$raw" -v a="$anshin" -v name="$member" 'BEGIN {
            printf "| `%s` | %.2f µs | %s | %.2f |\n", name, m / 1e3,
                (raw == "" ? "–" : sprintf("%.3f", m / raw)), m / a
        }'
    done
    echo
done
