#!/usr/bin/env bash
# Real IP fragmentation: dig in one network namespace asks dnsmasq in another, across a veth
# pair with a 1500-byte MTU, for a 3 KB TXT record over UDP (EDNS buffer 4096), over IPv4 and
# IPv6; the kernel fragments the answers. dumpcap captures the client's side; xsensor reads it
# and writes its DNS text log. The TXT answer dig printed must be logged whole (for both IP
# versions), the reassembly counted; with ip_reassembly=0 it is not there at all.
# Exit 77 = skipped, with the reason.
set -euo pipefail
XSENSOR=$(realpath "$1")
for t in dnsmasq dig dumpcap ip; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
N=$(( RANDOM % 200 + 20 ))
C=xs-fc-$$ S=xs-fs-$$
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.2
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$C"
ip netns add "$S"
ip link add xfc$$ netns "$C" type veth peer name xfs$$ netns "$S" ||
  { echo "SKIP: cannot create a veth pair"; exit 77; }
ip -n "$C" link set xfc$$ mtu 1500 up
ip -n "$S" link set xfs$$ mtu 1500 up
ip -n "$C" addr add 10.77.$N.1/24 dev xfc$$
ip -n "$S" addr add 10.77.$N.2/24 dev xfs$$
ip -n "$C" addr add 2001:db8:77:$N::1/64 dev xfc$$ nodad
ip -n "$S" addr add 2001:db8:77:$N::2/64 dev xfs$$ nodad

chunk=$(printf 'x%.0s' $(seq 250))
txt=()
for i in $(seq 12); do txt+=("\"part$(printf %02d "$i")-$chunk\""); done
ip netns exec "$S" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
  --bind-interfaces --listen-address=10.77.$N.2 --listen-address=2001:db8:77:$N::2 --port=53 \
  --edns-packet-max=4096 --local-ttl=300 \
  --txt-record=big.test,"$(IFS=,; echo "${txt[*]}" | tr -d '"')" 2>"$work/dnsmasq.log" &
pids+=($!)
ip netns exec "$C" dumpcap -q -i xfc$$ -w "$work/cap.pcap" 2>/dev/null &
cap=$!
pids+=($cap)
for _ in $(seq 100); do
  ip netns exec "$C" dig +time=1 +tries=1 @10.77.$N.2 ready.test A >/dev/null 2>&1 &&
    [ -s "$work/cap.pcap" ] && break
  sleep 0.1
done
: >"$work/expected"
for server in 10.77.$N.2 2001:db8:77:$N::2; do
  ip netns exec "$C" dig +notcp +ignore +bufsize=4096 +noall +answer @"$server" big.test TXT |
    awk '{ data = ""; for (i = 5; i <= NF; i++) data = data (i > 5 ? " " : "") $i
           print "big.test:TXT:" data }' >>"$work/expected"
done
sleep 0.5
kill -INT "$cap"
wait "$cap" 2>/dev/null || true

run() {  # $1 = ip_reassembly
  rm -rf "$work/log"
  mkdir -p "$work/log"
  "$XSENSOR" --pcap "$work/cap.pcap" --ajb_save_dns=on --ajb_dns_path="$work/log/dns.log" \
    --ajb_save_dns_format=host:rrtype:rdata --ip_reassembly="$1" --print_counters=false \
    --counters_out "$work/counters.$1" 2>"$work/sensor.log"
  cat "$work"/log/dns.log.* 2>/dev/null | grep '^big\.test:TXT:' || true
}
run 1 >"$work/logged"
run 0 >"$work/logged.off"
counter() { awk -v k="$1" '$1 == k {print $2}' "$2"; }

fail=0
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }
check '[ "$(wc -l <"$work/expected")" -eq 2 ] && [ "$(awk "{print length(\$0)}" "$work/expected" | sort -u | head -1)" -gt 3000 ]' \
  "dig printed the 3 KB TXT answer over IPv4 and IPv6"
check '[ "$(counter decode.ip_fragment "$work/counters.1")" -ge 4 ]' \
  "the capture holds IP fragments ($(counter decode.ip_fragment "$work/counters.1"))"
check '[ "$(counter ipfrag.datagrams_reassembled "$work/counters.1")" -ge 2 ]' \
  "answers reassembled ($(counter ipfrag.datagrams_reassembled "$work/counters.1"))"
check 'diff <(sort -u "$work/expected") <(sort -u "$work/logged") >/dev/null' \
  "the logged TXT answer is what dig printed, whole"
check '! [ -s "$work/logged.off" ]' "without reassembly the answer is lost (as before)"
[ $fail -eq 0 ] || { cut -c1-200 "$work/expected" "$work/logged"; cat "$work/dnsmasq.log"; }
exit $fail
