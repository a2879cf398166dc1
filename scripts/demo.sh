#!/usr/bin/env bash
# make demo: the sensor's main job on its embedded default. As root, with XDP available: brings
# up a two-queue veth pair (scripts/veth-harness.sh), runs xsensor live on it (XDP + AF_XDP),
# replays captures through it (HTTP captures of the shared corpus when present, else a
# synthetic capture), and shows what xsensor-recv decoded from the IPFIX stream, then the
# counters, and tears everything down. Elsewhere it runs the same captures offline (--pcap).
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN=$BUILD/userspace
work=$(mktemp -d)
NAME=xsdemo
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  bash scripts/veth-harness.sh down "$NAME" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

pcaps=()
for f in zeek/http_pipelined-requests.pcap zeek/mixed-vlan-mpls.pcap zeek/vlan-qinqinq.pcap; do
  [ -f "../shared/corpus/$f" ] && pcaps+=("../shared/corpus/$f")
done
"$BUILD/test/xsensor-demo-pcap" "$work/synthetic.pcap"
pcaps+=("$work/synthetic.pcap")

"$BIN/xsensor-recv" --tcp 127.0.0.1:0 --ready_file "$work/ready" --format table \
  --out "$work/records.txt" 2>"$work/recv.log" &
recv=$!
pids+=("$recv")
for _ in $(seq 100); do [ -f "$work/ready" ] && break; sleep 0.05; done
collector=$(awk '/^tcp/ {print $2}' "$work/ready")

live=0
if [ "$(id -u)" -eq 0 ] && bash scripts/veth-harness.sh up "$NAME" 2 >/dev/null 2>&1; then
  "$BIN/xsensor" --interface "$NAME" --ipfix_tcp_collectors "$collector" \
    --counters_out "$work/counters" --print_counters=false 2>"$work/sensor.log" &
  sensor=$!
  pids+=("$sensor")
  for _ in $(seq 100); do
    grep -q "capturing on" "$work/sensor.log" 2>/dev/null && { live=1; break; }
    kill -0 "$sensor" 2>/dev/null || break
    sleep 0.05
  done
fi

if [ $live -eq 1 ]; then
  echo "=== xsensor live on $NAME (2 queues, XDP + AF_XDP), exporting IPFIX/TCP to $collector"
  sed 's/^[^ ]* /    /' "$work/sensor.log"
  sleep 0.5
  for p in "${pcaps[@]}"; do
    echo "=== replaying $p into the veth pair"
    bash scripts/veth-harness.sh replay "$NAME" "$p" | grep -E "Actual|Failed" | sed 's/^/    /'
  done
  sleep 1
  echo "=== xsensor --stats (the live sensor's metrics endpoint, $(grep -o 'http://[^ ]*' "$work/sensor.log" | head -1))"
  "$BIN/xsensor" --stats 2>&1 | grep -E '^xsensor_(queue_received_frames|export_records|collector_(records_sent|records_dropped|up))' |
    grep -v ' 0$' | sed 's/^/    /' || true
  kill -INT "$sensor"
  wait "$sensor"
else
  echo "=== live capture unavailable here (needs root, veth and XDP): running offline (--pcap)"
  grep ERROR "$work/sensor.log" 2>/dev/null | sed 's/^/    /' || true
  for p in "${pcaps[@]}"; do
    echo "=== xsensor --pcap $p"
    "$BIN/xsensor" --pcap "$p" --ipfix_tcp_collectors "$collector" \
      --counters_out "$work/counters.$(basename "$p")" --print_counters=false
  done
  cat "$work"/counters.* > "$work/counters"
fi
sleep 0.5
kill -INT "$recv"
wait "$recv" || true
echo
echo "=== decoded by xsensor-recv (the IPFIX receiver)"
cat "$work/records.txt"
echo "=== counters"
grep -E "^(worker.frames|decode.ok|flow.flows_created|parser.http_requests|records.emitted|xdp\.(seen|steered|bypassed|passed)|queue\..*\.(received|handed_out|bypass_set)|collector\..*records_sent) " \
  "$work/counters" | sed 's/^/    /'
