#!/usr/bin/env bash
# Real DNS traffic: dig (dnsutils) asks a local dnsmasq for A, AAAA, CNAME, MX, TXT and SRV
# records over UDP and over TCP, on a loopback address; dumpcap captures it; xsensor reads the
# capture and writes its DNS text log. Every answer dig printed must be in the log with the
# same name, type, TTL, data and transport. Exit 77 = skipped, with the reason.
set -euo pipefail
XSENSOR=$1
for t in dnsmasq dig dumpcap; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (port 53, capture on lo)"; exit 77; }
ADDR=127.0.$(( RANDOM % 200 + 20 )).53
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
  --listen-address="$ADDR" --port=53 --local-ttl=300 \
  --host-record=host.test,192.0.2.2,2001:db8::2 --cname=alias.test,host.test \
  --mx-host=mail.test,mx1.test,10 --txt-record=txt.test,"hello world","second part" \
  --srv-host=_sip._udp.test,sip.test,5060,1,5 2>"$work/dnsmasq.log" &
pids+=($!)
dumpcap -q -i lo -f "host $ADDR" -w "$work/dns.pcap" 2>"$work/dumpcap.log" &
cap=$!
pids+=($cap)
for _ in $(seq 100); do
  dig +time=1 +tries=1 @"$ADDR" host.test A >/dev/null 2>&1 && [ -s "$work/dns.pcap" ] && break
  sleep 0.1
done

queries=("host.test A" "host.test AAAA" "alias.test A" "mail.test MX" "txt.test TXT" "_sip._udp.test SRV")
: >"$work/expected"
for proto in udp tcp; do
  flag=$([ $proto = tcp ] && echo +tcp || echo +notcp)
  for q in "${queries[@]}"; do
    # dig's answer section: NAME TTL CLASS TYPE DATA. The log's host is the name asked (the
    # specification), not the answer's owner (a CNAME's target).
    dig $flag +noall +answer @"$ADDR" $q | awk -v p=$proto -v asked="${q%% *}" '
      { data = "";
        for (i = 5; i <= NF; i++) { d = $i; if ($4 != "TXT") sub(/\.$/, "", d); data = data (i > 5 ? " " : "") d }
        print asked ":" $4 ":" $2 ":" data ":" p }' >>"$work/expected"
  done
done
sleep 0.5
kill -INT "$cap"
wait "$cap" 2>/dev/null || true

mkdir -p "$work/log"
"$XSENSOR" --pcap "$work/dns.pcap" --ajb_save_dns=on --ajb_dns_path="$work/log/dns.log" \
  --ajb_save_dns_format=host:rrtype:ttl:rdata:transport --print_counters=false \
  --counters_out "$work/counters" 2>"$work/sensor.log"
cat "$work"/log/dns.log.* >"$work/logged"

fail=0
n=$(wc -l <"$work/expected")
# 7 answers a transport: A, AAAA, CNAME + its A, MX, TXT, SRV.
[ "$n" -eq 14 ] || { echo "FAIL: dig printed $n answers, not 14"; cat "$work/dnsmasq.log"; exit 1; }
while IFS= read -r line; do
  if ! grep -qxF "$line" "$work/logged"; then
    echo "FAIL: not exported: $line"
    fail=1
  fi
done <"$work/expected"
for t in A AAAA CNAME MX TXT SRV; do
  for p in udp tcp; do
    awk -F: -v t=$t -v p=$p '$2 == t && $NF == p {f = 1} END {exit !f}' "$work/logged" ||
      { echo "FAIL: no $t answer over $p"; fail=1; }
  done
done
echo "$n answers from dig, $(wc -l <"$work/logged") log lines"
[ $fail -eq 0 ] && echo "ok: every answer dig printed was exported with the same values" || {
  echo "--- expected"; cat "$work/expected"; echo "--- logged"; cat "$work/logged"; }
exit $fail
