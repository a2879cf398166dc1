#!/usr/bin/env bash
# make demo: the sensor's main job on its embedded default. Runs xsensor on captures
# (HTTP captures of the shared corpus when present, else a synthetic capture), exporting
# IPFIX over TCP to xsensor-recv on loopback, and shows the decoded records and the counters.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN=$BUILD/userspace
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

pcaps=()
for f in zeek/http_pipelined-requests.pcap zeek/mixed-vlan-mpls.pcap suricata-verify/http-ipv6.pcap; do
  [ -f "../shared/corpus/$f" ] && pcaps+=("../shared/corpus/$f")
done
"$BUILD/test/xsensor-demo-pcap" "$work/synthetic.pcap"
pcaps+=("$work/synthetic.pcap")

"$BIN/xsensor-recv" --tcp 127.0.0.1:0 --ready_file "$work/ready" --format table \
  --exit_after_tcp_sessions ${#pcaps[@]} --out "$work/records.txt" 2>"$work/recv.log" &
recv=$!
for _ in $(seq 100); do [ -f "$work/ready" ] && break; sleep 0.05; done
collector=$(awk '/^tcp/ {print $2}' "$work/ready")

for p in "${pcaps[@]}"; do
  echo "=== xsensor --pcap $p  ->  IPFIX/TCP $collector"
  "$BIN/xsensor" --pcap "$p" --ipfix_tcp_collectors "$collector" --http_parse_reply=1 \
    --counters_out "$work/counters" --print_counters=false
  grep -E "^(decode.ok|worker.frames|records.emitted|collector.*records_sent) " "$work/counters" |
    sed 's/^/    /'
done
wait $recv
echo
echo "=== decoded by xsensor-recv (the IPFIX receiver)"
cat "$work/records.txt"
tail -1 "$work/recv.log" | sed 's/^.*INFO //'
