#!/usr/bin/env bash
# The element files generated from the schema, read by the collectors they are for. xsensor
# exports corpus captures (every record type, IPv4 and IPv6) over UDP and over TCP to
# xsensor-recv, which saves the IPFIX stream and the records as JSON; dumpcap captures the
# export. Then:
#   ipfixDump --element-file xsensor-elements.xml: every enterprise field by name and type;
#   ipfixDump --rfc5610: the in-band element records carry name, semantics, units, description;
#   tshark -X lua_script:xsensor.lua: every record's enterprise fields by name, with the values
#     xsensor-recv decoded, over both transports;
#   xsensor-libfds.xml: the same elements in libfds's grammar (ipfixcol2 is not in Debian 12).
# Usage: element_files_test.sh XSENSOR RECV SHARED ELEMENT_DIR SOURCE_DIR. Exit 77 = skipped.
set -euo pipefail
XSENSOR=$1 RECV=$2 SHARED=$3 ELEMENTS=$4 SRC=$5
for t in ipfixDump tshark dumpcap; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (capture on lo)"; exit 77; }
[ -d "$SHARED/corpus" ] || { echo "SKIP: no corpus at $SHARED/corpus"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT
cd "$work"

# One port for both transports, free for UDP and TCP.
port=$(python3 -c '
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass')
dumpcap -q -i lo -f "port $port" -w export.pcap 2>dumpcap.log &
cap=$!
pids+=($cap)
for _ in $(seq 100); do [ -s export.pcap ] && break; sleep 0.05; done
"$RECV" --udp 127.0.0.1:$port --tcp 127.0.0.1:$port --out records.json --raw export.ipfix \
  --idle_exit_ms 2000 --max_run_ms 60000 2>recv.err &
recv=$!
pids+=($recv)
sleep 0.3
col=127.0.0.1:$port
for c in ipfixprobe/http.pcap ipfixprobe/tls.pcap ipfixprobe/sip.pcap ipfixprobe/smtp.pcap \
         suricata-verify/http-ipv6.pcap suricata-verify/dns-udp-google.com-a-aaaa-mx.pcap \
         zeek/ftp_ipv4.pcap ndpi/jabber.pcap; do
  "$XSENSOR" --pcap "$SHARED/corpus/$c" --ipfix_udp_collectors $col --ipfix_tcp_collectors $col \
    --ipfix_meta_udp_collectors $col --ipfix_meta_tcp_collectors $col \
    --ipfix_dns_udp_collectors $col --ipfix_dns_tcp_collectors $col --http_parse_reply 1 \
    --ssl_parse_reply 1 --raw_export 1 --print_counters=false 2>>sensor.err
done
wait $recv
sleep 0.5
kill -INT $cap
wait $cap 2>/dev/null || true
fail=0
python3 - "$work/records.json" <<'EOF' || fail=1
import json, sys
t = {json.loads(l)["template"] for l in open(sys.argv[1])}
want = {"clickstream", "http_reply", "ssl_reply", "sip", "ftp", "im", "mail", "raw", "dns"}
if want - t:
    print("FAIL: no records of", sorted(want - t)); sys.exit(1)
EOF

ipfixDump --in export.ipfix --element-file "$ELEMENTS/xsensor-elements.xml" >dump.txt 2>dump.err
ipfixDump --in export.ipfix --rfc5610 >rfc5610.txt 2>rfc5610.err
python3 "$HERE/element_files_check.py" ipfixdump "$SRC/proto/xsensor/records.proto" \
  "$ELEMENTS/xsensor-elements.xml" dump.txt rfc5610.txt || fail=1

tshark -X lua_script:"$ELEMENTS/xsensor.lua" -r export.pcap -d udp.port==$port,xsensor \
  -d tcp.port==$port,xsensor_tcp -T pdml >export.pdml 2>tshark.err
if grep -q "Lua Error" export.pdml tshark.err; then
  echo "FAIL: the plugin raised errors:"; grep -m3 "Lua Error" export.pdml tshark.err; fail=1
fi
python3 "$HERE/element_files_check.py" tshark "$SRC/proto/xsensor/records.proto" \
  "$ELEMENTS/xsensor-elements.xml" export.pdml records.json || fail=1
python3 "$HERE/element_files_check.py" libfds "$ELEMENTS/xsensor-elements.xml" \
  "$ELEMENTS/xsensor-libfds.xml" || fail=1
[ $fail -eq 0 ] && echo "ok: element files"
exit $fail
