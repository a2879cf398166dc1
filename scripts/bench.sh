#!/usr/bin/env bash
# make bench: component benchmarks, then offline throughput of the whole sensor next to a
# bare libpcap read loop over the same large capture, measured in the same run.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
"$BUILD/bench/components_bench"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
SHARED=${SHARED:-../shared}
field() {  # $1 = benchmark name, $2 = counter: its value in the JSON report (the median of
           # the repetitions when there are several)
  awk -v name="\"name\": \"$1" -v key="\"$2\"" '
    index($0, name) && (index($0, "_median\"") || !index($0, "_mean\"") && !index($0, "_stddev\"") && !index($0, "_cv\"")) { inside = 1 }
    inside && index($0, key) { gsub(/[,"]/, ""); print $2; exit }' "$out"
}
# Every figure is also appended to the history file (date, commit, benchmark, value, unit),
# and bench-history.html in BUILD plots each benchmark over the runs.
HISTORY=${XSENSOR_BENCH_HISTORY:-bench/history.tsv}
RUN_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
RUN_COMMIT=$(git describe --always --dirty 2>/dev/null || echo unknown)
[ -s "$HISTORY" ] || printf 'date\tcommit\tbenchmark\tvalue\tunit\n' >"$HISTORY"
hist() {  # $1 = benchmark, $2 = value, $3 = unit
  [ -n "$2" ] && printf '%s\t%s\t%s\t%.6g\t%s\n' "$RUN_DATE" "$RUN_COMMIT" "$1" "$2" "$3" >>"$HISTORY"
  return 0
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b }'; }
# The offline runs vary by +-20% on a shared 2-CPU machine: medians of three.
REPS=(--benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
offline() {  # $1 = label: xsensor --pcap's path (OfflineSensor) beside a bare libpcap read
  local bare one all
  bare=$(field xsensor::BM_BareLibpcapRead frames_per_s)
  one=$(field xsensor::BM_SensorOffline/1/ frames_per_s)
  all=$(field xsensor::BM_SensorOffline/0/ frames_per_s)
  [ -n "$bare" ] && [ -n "$one" ] && [ -n "$all" ] || { echo "offline ($1): no result"; return; }
  awk -v l="$1" -v b="$bare" -v o="$one" -v a="$all" -v w="$(field xsensor::BM_SensorOffline/0/ workers)" \
      -v rs="$(field xsensor::BM_SensorOffline/0/ records_per_s)" -v fl="$(field xsensor::BM_SensorOffline/1/ flows)" \
      -v al="$(field xsensor::BM_SensorOffline/1/ allocs_per_frame)" \
      -v mem="$(field xsensor::BM_SensorOffline/0/ peak_rss_mb)" 'BEGIN {
    printf "\noffline, %s (%d flows): bare libpcap read %.2f M frames/s\n", l, fl, b / 1e6
    printf "  xsensor, 1 worker:  %.2f M frames/s, ratio %.3f\n", o / 1e6, o / b
    printf "  xsensor, %d workers: %.2f M frames/s, ratio %.3f (target >= 0.25 on the mix), %.0f k records/s\n", w, a / 1e6, a / b, rs / 1e3
    printf "  heap allocations per frame %.3f, peak RSS %.0f MB\n", al, mem
  }'
  hist "offline $1: 1 worker / bare read" "$(ratio "$one" "$bare")" ratio
  hist "offline $1: all workers / bare read" "$(ratio "$all" "$bare")" ratio
  hist "offline $1: records/s, all workers" "$(field xsensor::BM_SensorOffline/0/ records_per_s)" records/s
  hist "offline $1: heap allocations per frame" "$(field xsensor::BM_SensorOffline/1/ allocs_per_frame)" allocs
  hist "offline $1: peak RSS" "$(field xsensor::BM_SensorOffline/0/ peak_rss_mb)" MB
}
"$BUILD/bench/offline_bench" --benchmark_filter='Bare|Sensor' "${REPS[@]}" \
  --benchmark_out="$out" --benchmark_out_format=json >/dev/null
offline "corpus x40"
# The many-flow mix: every corpus capture 400 times on its own addresses (built once).
MIX=${XSENSOR_BENCH_MIX:-$BUILD/bench-data/mix.pcap}
if [ ! -s "$MIX" ] && [ -f "$SHARED/bench/make-mix.sh" ]; then
  echo "building the many-flow capture $MIX (once)"
  bash "$SHARED/bench/make-mix.sh" "$MIX" >/dev/null
fi
if [ -s "$MIX" ]; then
  XSENSOR_BENCH_PCAP=$MIX "$BUILD/bench/offline_bench" --benchmark_filter='Bare|Sensor' \
    "${REPS[@]}" --benchmark_out="$out" --benchmark_out_format=json >/dev/null
  offline "many-flow mix"
  # In a process of its own: memory freed by earlier benchmarks would hide what flows take.
  "$BUILD/bench/offline_bench" --benchmark_filter='Idle' --benchmark_out="$out" \
    --benchmark_out_format=json >/dev/null
  awk -v b="$(field xsensor::BM_IdleFlowBytes rss_bytes_per_flow)" \
      -v t="$(field xsensor::BM_IdleFlowBytes table_bytes_per_flow)" 'BEGIN {
    printf "  memory per idle flow: %.0f bytes resident (%.0f in the flow table; target <= 512)\n", b, t }'
  hist "memory per idle flow" "$(field xsensor::BM_IdleFlowBytes rss_bytes_per_flow)" bytes
  # A flood of partial TLS records against the parser budget (parser_total_bytes), each run in
  # a process of its own for the same reason.
  flood() {  # $1 = budget in MiB
    "$BUILD/bench/offline_bench" --benchmark_filter="PartialRecordFlood/$1/" --benchmark_out="$out" \
      --benchmark_out_format=json >/dev/null
    echo "$(field xsensor::BM_PartialRecordFlood/$1 rss_growth_mb) $(field xsensor::BM_PartialRecordFlood/$1 parser_buffered_mb) $(field xsensor::BM_PartialRecordFlood/$1 given_up)"
  }
  read -r rss32 held32 up32 <<<"$(flood 32)"
  read -r rss1g held1g _ <<<"$(flood 1024)"
  awk -v r="$rss32" -v h="$held32" -v u="$up32" -v R="$rss1g" -v H="$held1g" 'BEGIN {
    printf "  parser flood, 20k flows x 8 KB partial TLS records: budget 32 MB -> resident +%.0f MB (accounted %.0f MB, %d parsers given up); budget 1 GB -> +%.0f MB (accounted %.0f MB)\n", r, h, u, R, H }'
  hist "parser flood, 32 MB budget: resident growth" "$rss32" MB
  hist "parser flood, 1 GB budget: resident growth" "$rss1g" MB
  # One-byte out-of-order segments against reassembly_total_bytes: what the reassembler
  # accounts (payload and bookkeeping) is what the process holds.
  ooo() {  # $1 = budget in MiB
    "$BUILD/bench/offline_bench" --benchmark_filter="OutOfOrderFlood/$1/" --benchmark_out="$out" \
      --benchmark_out_format=json >/dev/null
    echo "$(field xsensor::BM_OutOfOrderFlood/$1 rss_growth_mb) $(field xsensor::BM_OutOfOrderFlood/$1 reassembly_buffered_mb)"
  }
  read -r orss8 oheld8 <<<"$(ooo 8)"
  read -r orss1g oheld1g <<<"$(ooo 1024)"
  awk -v r="$orss8" -v h="$oheld8" -v R="$orss1g" -v H="$oheld1g" 'BEGIN {
    printf "  out-of-order flood, 500k one-byte segments: budget 8 MB -> resident +%.1f MB (accounted %.1f MB); budget 1 GB -> +%.1f MB (accounted %.1f MB)\n", r, h, R, H }'
  hist "out-of-order flood, 8 MB budget: resident growth" "$orss8" MB
else
  echo "offline, many-flow mix: skipped ($SHARED/bench/make-mix.sh not found)"
fi

# Export: records/s and bytes/s to loopback collectors beside raw sendmmsg/writev of the same
# messages (medians of 3 runs).
"$BUILD/bench/export_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json 2>/dev/null
stat_of() {  # $1 = benchmark name, $2 = counter (of the median)
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
hist "export UDP / raw sendmmsg" "$(ratio "$(stat_of BM_ExporterUdp records_per_s)" "$(stat_of BM_RawSendmmsgUdp records_per_s)")" ratio
hist "export TCP / raw writev" "$(ratio "$(stat_of BM_ExporterTcp bytes_per_second)" "$(stat_of BM_RawWritevTcp bytes_per_second)")" ratio
if [ "$(id -u)" -eq 0 ]; then
  live=$(mktemp)
  bash scripts/live-bench.sh "$BUILD" "$SHARED" | tee "$live"
  hist "live, one queue: lossless / bare AF_XDP" "$(sed -n 's/^live: .*ratio \([0-9.]*\).*/\1/p' "$live")" ratio
  # The many-flow mix on two queues (needs the capture built above).
  if [ -s "$MIX" ]; then
    bash scripts/live-bench.sh "$BUILD" "$SHARED" "$MIX" | tee "$live"
    hist "live, many-flow mix, two queues: lossless / bare AF_XDP" \
      "$(sed -n '/flow_affinity=queue/d; s/^live, .*ratio \([0-9.]*\).*/\1/p' "$live")" ratio
    hist "live, many-flow mix, two queues, flow_affinity=queue: lossless / bare AF_XDP" \
      "$(sed -n 's/^live, .*flow_affinity=queue.*ratio \([0-9.]*\).*/\1/p' "$live")" ratio
  fi
  # Bulk downloads (nginx over HTTP and HTTPS, scripts/make-bulk.sh; needs the test peers),
  # replies parsed or not, against the XDP_DROP ceiling.
  BULK=${XSENSOR_BENCH_BULK:-$BUILD/bench-data/bulk.pcap}
  [ -s "$BULK" ] || bash scripts/make-bulk.sh "$BULK" || true
  if [ -s "$BULK" ]; then
    bash scripts/live-bench.sh "$BUILD" "$SHARED" "$BULK" bulk | tee "$live"
    hist "live, bulk, two queues: mirror / XDP_DROP" \
      "$(sed -n 's/^live, bulk, two queues: .*(mirror) .*(ratio \([0-9.]*\)).*/\1/p' "$live")" ratio
    hist "live, bulk, two queues, replies parsed: mirror / XDP_DROP" \
      "$(sed -n 's/^live, bulk, two queues, replies parsed: .*ratio \([0-9.]*\) (target.*/\1/p' "$live")" ratio
  else
    echo "live, bulk: skipped (scripts/make-bulk.sh needs nginx, curl, dumpcap, openssl, ethtool)"
  fi
  # CPU per frame at a fixed rate, one pass, tcpreplay as the sender: what an operator sizes a
  # box by, whatever the sender's speed (scripts/cpu-cost.sh).
  for c in "$MIX:mix" "$BULK:bulk"; do
    cap=${c%%:*} label=${c##*:}
    [ -s "$cap" ] || continue
    bash scripts/cpu-cost.sh "$BUILD" "$cap" "$label" | tee "$live"
    for r in "bare AF_XDP loop" "xsensor, flow_affinity=hash" "xsensor, flow_affinity=queue"; do
      hist "live cpu, $label, $r: ns per frame to userspace" \
        "$(sed -n "s/^cpu, $label, $r at .*s: [0-9]* ns CPU per frame seen, \([0-9]*\) per frame to userspace.*/\1/p" "$live")" ns
    done
    for r in "XDP_DROP ceiling" "xsensor, flow_affinity=hash"; do
      hist "live cpu, $label, $r: XDP ns per packet" \
        "$(sed -n "s/^cpu, $label, $r at .*XDP \([0-9.]*\) ns per packet/\1/p" "$live")" ns
    done
    hist "live cpu, $label, one offline worker: ns per frame" \
      "$(sed -n "s/^cpu, $label, one offline worker .*: \([0-9]*\) ns CPU per frame/\1/p" "$live")" ns
  done
  # Inline (a bridge of two ports): forwarding rate beside the bridge alone, bulk and many-flow,
  # replies parsed; the round trip added through the bridge.
  bash scripts/inline-bench.sh "$BUILD" "$BULK" "$MIX" | tee "$live"
  for c in bulk "many-flow mix"; do
    hist "live, inline, $c, replies parsed: lossless forwarding rate" \
      "$(sed -n "s/^inline, $c, replies parsed: \([0-9]*\) frames.*/\1/p" "$live")" frames/s
    hist "live, inline, $c, replies parsed: forwarding / bridge alone" \
      "$(sed -n "s/^inline, $c, replies parsed: .*ratio \([0-9.]*\);.*/\1/p" "$live")" ratio
  done
  hist "live, inline, UDP round trip on a steered port: added p50" \
    "$(sed -n 's/^inline, round trip .*steered port.*: +\(-*[0-9]*\) us at p50.*/\1/p' "$live")" us
  hist "live, inline, UDP round trip on a steered port: added p99" \
    "$(sed -n 's/^inline, round trip .*steered port.*, +\(-*[0-9]*\) us at p99.*/\1/p' "$live")" us
  rm -f "$live"
fi
python3 scripts/bench-history.py "$HISTORY" "$BUILD/bench-history.html" &&
  echo "history: $HISTORY, plotted in $BUILD/bench-history.html"

