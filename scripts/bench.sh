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

# Export: records/s and bytes/s to loopback collectors beside raw sendmmsg/writev of the same
# messages (medians of 3 runs).
"$BUILD/bench/export_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json 2>/dev/null
stat_of() {  # $1 = benchmark name, $2 = counter
  awk -v name="\"name\": \"$1/real_time_median\"" -v key="\"$2\"" '
    index($0, name) { inside = 1 }
    inside && index($0, key) { gsub(/[,"]/, ""); print $2; exit }' "$out"
}
awk -v eu="$(stat_of BM_ExporterUdp records_per_s)" -v ru="$(stat_of BM_RawSendmmsgUdp records_per_s)" \
    -v et="$(stat_of BM_ExporterTcp bytes_per_second)" -v rt="$(stat_of BM_RawWritevTcp bytes_per_second)" \
    -v es="$(stat_of BM_ExporterUdpBesideStalledTcp records_per_s)" 'BEGIN {
  printf "\nexport UDP: %.2f M records/s, raw sendmmsg of the same datagrams %.2f M: ratio %.2f (target >= 0.80)\n", eu / 1e6, ru / 1e6, eu / ru
  printf "export TCP: %.0f MB/s, raw writev of the same messages %.0f MB/s: ratio %.2f (target >= 0.80)\n", et / 1e6, rt / 1e6, et / rt
  printf "export UDP beside a stalled TCP collector: %.2f M records/s, %.2f of the UDP rate alone\n", es / 1e6, es / eu
}'
if [ "$(id -u)" -eq 0 ]; then bash scripts/live-bench.sh "$BUILD" ../shared; fi
