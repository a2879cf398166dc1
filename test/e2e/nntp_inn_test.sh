#!/usr/bin/env bash
# Real NNTP traffic: Python's nntplib posts an article to INN's innd (port 119; innd hands the
# reader to nnrpd after MODE READER) and reads it back, then reads it again from an nnrpd
# listening on port 1119 (recognised by its greeting and commands, not by its port). Both run in
# a network namespace of their own; dumpcap captures it; xsensor reads the capture with
# raw_export=1 and exports IPFIX to xsensor-recv. Every TCP payload packet tshark reads (and
# dissects as NNTP) must be one raw record with the same ports and bytes, in the flow's order,
# META_PROTO and VDPI_PROTO 11, DIR_DATA and FLW_DIR 1 from the server. Exit 77 = skipped.
set -euo pipefail
XSENSOR=$(realpath "$1")
RECV=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
INN=/usr/lib/news/bin
for t in $INN/innd $INN/nnrpd $INN/ctlinnd $INN/innconfval python3 dumpcap tshark ip runuser; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed (Debian inn2, tshark)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespace, capture, innd)"; exit 77; }
python3 -W ignore -c 'import nntplib' 2>/dev/null || { echo "SKIP: Python has no nntplib"; exit 77; }
# innd refuses to start when the machine's name has no domain and inn.conf sets none;
# scripts/install-deps.sh sets one when it installs inn2.
$INN/innconfval -C >/dev/null 2>&1 || { echo "SKIP: INN's configuration does not check:" \
  "$($INN/innconfval -C 2>&1 | head -1)"; exit 77; }
# The test's innd shares the machine's control socket and spool: not beside a running one.
if [ -s /run/news/innd.pid ] && kill -0 "$(cat /run/news/innd.pid)" 2>/dev/null; then
  echo "SKIP: an innd already runs on this machine (pid $(cat /run/news/innd.pid))"; exit 77
fi
A=127.0.$(( RANDOM % 200 + 20 )).119
NS=xs-nntp-$$
work=$(mktemp -d)
pids=()
cleanup() {
  ip netns exec "$NS" $INN/ctlinnd -t 5 shutdown "xsensor test done" >/dev/null 2>&1 || true
  e2e_cleanup
}
trap cleanup EXIT
cd "$work"
chmod 755 "$work"
e2e_netns
ip netns exec "$NS" runuser -u news -- $INN/innd -f >innd.out 2>&1 &
pids+=($!)
ip netns exec "$NS" $INN/nnrpd -D -f -p 1119 -b "$A" >nnrpd.out 2>&1 &
pids+=($!)
ip netns exec "$NS" dumpcap -q -i lo -f "host $A" -w cap.pcap 2>/dev/null &
cap=$!
pids+=($cap)
# Waits for the listeners without connecting: a probe would be a flow of its own (a greeting
# alone is not NNTP away from port 119).
for _ in $(seq 100); do
  [ "$(ip netns exec "$NS" ss -Hltn "( sport = :119 or sport = :1119 )" | wc -l)" -ge 2 ] &&
    [ -s cap.pcap ] && break
  sleep 0.1
done
$INN/ctlinnd -t 10 newgroup local.xsensor y xsensor >/dev/null

subject="xsensor test $$ $RANDOM"
cat >client.py <<'EOF'
import io, nntplib, sys, warnings
warnings.simplefilter("ignore")
host, subject = sys.argv[1], sys.argv[2]
s = nntplib.NNTP(host, 119, readermode=True)
art = ("From: alice <alice@example.test>\r\nNewsgroups: local.xsensor\r\n"
       f"Subject: {subject}\r\n\r\nfirst body line\r\nsecond body line\r\n").encode()
posted = s.post(io.BytesIO(art))
print(posted)
msgid = posted.split()[-1]  # "240 Article received <id>"; numbers depend on the spool's past
s.group("local.xsensor")
print(s.article(msgid)[0])
s.quit()
s = nntplib.NNTP(host, 1119, readermode=True)
resp, count, first, last, name = s.group("local.xsensor")
s.over((last, last))
body = s.body(msgid)
assert b"second body line" in body[1].lines, body
print(body[0])
s.quit()
EOF
ip netns exec "$NS" timeout 30 python3 client.py "$A" "$subject" >client.log 2>&1 ||
  { echo "FAIL: the NNTP client failed"; cat client.log innd.out nnrpd.out; exit 1; }
e2e_stop_capture

e2e_export cap.pcap ipfix_meta_tcp_collectors --raw_export 1

fail=0
# tshark's reading: every TCP payload packet, "srcport dstport hex" in capture order, and the
# NNTP commands it dissects (port 1119 decoded as NNTP too).
tshark -r cap.pcap -d tcp.port==1119,nntp -Y 'tcp.len>0' -T fields -E separator=/s \
  -e tcp.srcport -e tcp.dstport -e tcp.payload >expected 2>/dev/null
tshark -r cap.pcap -d tcp.port==1119,nntp -Y 'nntp.request' -T fields -e _ws.col.Info \
  2>/dev/null | awk '$1 == "Request:" {print toupper($2)}' | sort -u | paste -sd' ' >commands
for c in POST GROUP ARTICLE OVER BODY QUIT; do
  grep -qw "$c" commands || { echo "FAIL: tshark sees no $c command ($(cat commands))"; fail=1; }
done
{ grep '"template":"raw' records.json || true; } | while IFS= read -r r; do
  echo "$(field source_transport_port "$r") $(field destination_transport_port "$r") $(
    field raw_data "$r" | tr 'A-F' 'a-f')"
done >got
# Per flow, in order: the client's port names the flow.
per_flow() { awk '{c = ($1 == 119 || $1 == 1119) ? $2 : $1; print c, NR, $0}' "$1" |
  sort -k1,1n -k2,2n | cut -d' ' -f3-; }
per_flow expected >expected.flows && mv expected.flows expected
per_flow got >got.flows && mv got.flows got
[ "$(awk '$1 == 119' expected | wc -l)" -gt 5 ] && [ "$(awk '$1 == 1119' expected | wc -l)" -gt 3 ] ||
  { echo "FAIL: the capture lacks the server's packets on 119 or 1119"; fail=1; }
grep -q "$(printf '%s' "$subject" | od -An -tx1 | tr -d ' \n')" expected ||
  { echo "FAIL: the article's subject is in no packet"; fail=1; }
bad=$({ grep '"template":"raw' records.json || true; } | while IFS= read -r r; do
  from_server=0
  case $(field source_transport_port "$r") in 119|1119) from_server=1 ;; esac
  [ "$(field meta_proto "$r")" = 11 ] && [ "$(field vdpi_proto "$r")" = 11 ] &&
    [ "$(field dir_data "$r")" = $from_server ] && [ "$(field flw_dir "$r")" = $from_server ] &&
    [ "$(field protocol_identifier "$r")" = 6 ] || echo "$r"
done)
[ -z "$bad" ] || { echo "FAIL: raw records with other META_PROTO/VDPI_PROTO/DIR_DATA/FLW_DIR:"
  head -3 <<<"$bad"; fail=1; }
echo "$(wc -l <expected) payload packets in the capture, $(wc -l <got) raw records;" \
  "commands: $(cat commands)"
e2e_compare_and_exit "tshark's packets" \
  "every NNTP packet to and from innd and nnrpd was exported byte for byte" \
  client.log innd.out nnrpd.out sensor.err
