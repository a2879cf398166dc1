#!/usr/bin/env bash
# make bench: component benchmarks, then offline throughput of the whole sensor next to a
# bare libpcap read loop over the same large capture, measured in the same run.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
"$BUILD/bench/components_bench"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$BUILD/bench/offline_bench" --benchmark_out="$out" --benchmark_out_format=json
rate() {  # frames_per_s of the named benchmark in the JSON report
  awk -v name="$1" '
    index($0, "\"name\": \"" name) { inside = 1 }
    inside && /"frames_per_s"/ { gsub(/[,"]/, ""); print $2; exit }' "$out"
}
bare=$(rate xsensor::BM_BareLibpcapRead)
sensor=$(rate xsensor::BM_SensorOffline)
if [ -n "$bare" ] && [ -n "$sensor" ]; then
  awk -v b="$bare" -v s="$sensor" 'BEGIN {
    printf "\noffline: sensor %.0f frames/s, bare libpcap read %.0f frames/s: ratio %.2f (target >= 0.50)\n",
           s, b, s / b }'
fi
if [ "$(id -u)" -eq 0 ]; then bash scripts/live-bench.sh "$BUILD" ../shared; fi
