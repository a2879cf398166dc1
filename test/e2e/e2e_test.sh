#!/usr/bin/env bash
# End to end with the real binaries: xsensor --pcap exports to xsensor-recv over TCP; the
# received IPFIX (saved verbatim) is decoded independently by ipfixDump (libfixbuf), which
# learns the enterprise elements from the RFC 5610 records the sensor sends. Every value the
# receiver printed must be what ipfixDump reads. Exit 77 = skipped (with the reason).
set -euo pipefail
XSENSOR=$1 RECV=$2 SHARED=$3
PCAP=$SHARED/corpus/zeek/http_pipelined-requests.pcap
[ -f "$PCAP" ] || { echo "SKIP: $PCAP not found"; exit 77; }
command -v ipfixDump >/dev/null || { echo "SKIP: ipfixDump (libfixbuf-tools) not installed"; exit 77; }

dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT

"$RECV" --tcp 127.0.0.1:0 --ready_file "$dir/ready" --raw "$dir/stream.ipfix" \
  --out "$dir/records.json" --exit_after_tcp_sessions 1 --max_run_ms 60000 2>"$dir/recv.log" &
recv=$!
for _ in $(seq 100); do [ -f "$dir/ready" ] && break; sleep 0.05; done
port=$(awk '/^tcp/ {print $2}' "$dir/ready")
[ -n "$port" ] || { echo "FAIL: receiver did not start"; cat "$dir/recv.log"; exit 1; }

cat >"$dir/xsensor.conf" <<CONF
# e2e test configuration
ipfix_tcp_collectors=$port
observation_domain_id=77
vchannel=5
CONF
"$XSENSOR" --config "$dir/xsensor.conf" --pcap "$PCAP" --counters_out "$dir/counters" \
  --print_counters=false
wait $recv

fail=0
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; else echo "ok: $2"; fi; }
n=$(wc -l <"$dir/records.json")
check '[ "$n" -eq 5 ]' "receiver decoded 5 records (got $n)"
check 'grep -q "^decode.ok 49$" "$dir/counters"' "all 49 frames decoded"
check 'grep -q "^records.emitted 5$" "$dir/counters"' "sensor counted 5 records"

ipfixDump --rfc5610 --in "$dir/stream.ipfix" >"$dir/dump.txt" 2>"$dir/dump.err"
check '[ ! -s "$dir/dump.err" ]' "ipfixDump reports no error: $(head -c 300 "$dir/dump.err")"
check 'grep -q "File Stats: .* Messages" "$dir/dump.txt"' "ipfixDump read the stream"
check '[ "$(grep -c "tid:   256" "$dir/dump.txt")" -eq 6 ]' "template 256 + 5 records of it"
check '! grep -q _alienInformationElement "$dir/dump.txt"' "every element known via RFC 5610"
check '[ "$(grep -c "observation domain id: 77" "$dir/dump.txt")" -ge 2 ]' "observation domain 77"

# Each record's values as ipfixDump shows them equal the receiver's JSON.
python_free_extract() {  # $1 = JSON field; prints values, one per line
  sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$dir/records.json"
}
for field in hostname:HOSTNAME path:PATH referer:REFERER user_agent:USER_AGENT; do
  json=${field%%:*} ie=${field##*:}
  want=$(python_free_extract "$json")
  got=$(sed -n "s/^.*) *$ie : (len: [0-9]*) //p" "$dir/dump.txt")
  check '[ "$want" = "$got" ] && [ -n "$got" ]' "$ie values equal in both decoders"
done
check '[ "$(grep -c "BRIDGE_CHANNEL_NUM : 5" "$dir/dump.txt")" -eq 5 ]' "BRIDGE_CHANNEL_NUM from vchannel"
check '[ "$(grep -c "IP_SOURCE : 192.168.1.104" "$dir/dump.txt")" -eq 5 ]' "IP_SOURCE as ipv4Address"
check '[ "$(grep -c "PORT_DESTINATION : 80$" "$dir/dump.txt")" -eq 5 ]' "PORT_DESTINATION"
check '[ "$(grep -c "sourceMacAddress : 00:0b:db:4f:6b:10" "$dir/dump.txt")" -eq 5 ]' "IANA sourceMacAddress"

# A bad configuration is refused with file, line and key.
printf 'ipfix_mtu_limit=7\n' >"$dir/bad.conf"
set +e
msg=$("$XSENSOR" --config "$dir/bad.conf" --pcap "$PCAP" 2>&1)
rc=$?
set -e
check '[ $rc -ne 0 ] && [[ "$msg" == *"bad.conf:1: key '"'"'ipfix_mtu_limit'"'"'"* ]]' "bad config names file:line:key"
exit $fail
