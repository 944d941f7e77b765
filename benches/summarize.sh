#!/usr/bin/env bash
# Prints a Markdown table of the last criterion run of the `core` bench: the median time per
# iteration (with criterion's 95% confidence interval for the median) and the throughput it
# implies. Criterion keeps its results under target/criterion/; run this after
# `cargo bench -p anshin-benches --bench core`. Needs jq.
set -euo pipefail
dir="${1:-$(dirname "$0")/../target/criterion}"

fmt_ns() {
    awk -v ns="$1" 'BEGIN {
        if (ns >= 1e6) printf "%.2f ms", ns / 1e6;
        else if (ns >= 1e3) printf "%.2f µs", ns / 1e3;
        else printf "%.1f ns", ns;
    }'
}

echo "| bench id | median | 95% CI of the median | ops/s (1 / median) |"
echo "|---|---:|---:|---:|"
find "$dir" -path '*/new/benchmark.json' | sort | while read -r meta; do
    estimates="$(dirname "$meta")/estimates.json"
    id="$(jq -r '.full_id' "$meta")"
    read -r median lo hi < <(jq -r '.median | "\(.point_estimate) \(.confidence_interval.lower_bound) \(.confidence_interval.upper_bound)"' "$estimates")
    ops="$(awk -v ns="$median" 'BEGIN { printf "%\047.0f", 1e9 / ns }')"
    echo "| \`$id\` | $(fmt_ns "$median") | $(fmt_ns "$lo") – $(fmt_ns "$hi") | $ops |"
done
