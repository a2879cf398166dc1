#!/usr/bin/env bash
# Inline mode on the bench: a client namespace, the sensor's namespace with its two ports in a
# kernel bridge (as attach-nic.sh --inline-peer makes it), a server namespace.
#   inline-bench.sh BUILD [BULK] [MIX]
# 1. Forwarding rate: frames of BULK (scripts/make-bulk.sh) and of MIX (the many-flow capture
#    of ../shared/bench/make-mix.sh), their first 400k frames in slices of 60k, are sent by
#    tcpreplay out of the client's end and counted where they leave the bridge, at the server's
#    end, against what the bridge alone forwards of the same slice sent slowly. Mirror mode on
#    a capture port beside it gets the same slices (its loss: its own counters). The highest rate at which every frame arrives
#    is searched for the bridge alone and for xsensor inline with replies parsed. Learning is
#    off on the bridge's ports: the captures' hosts are all behind one port, and every frame
#    must cross.
# 2. Round-trip latency through the bridge: UDP probes between client and server, 2000 each,
#    on a port the sensor steers (5060) and one it passes in XDP (9999), p50 and p99, the
#    bridge alone and with the sensor inline.
# Prints one line per figure, starting "inline, ".
set -euo pipefail
BUILD=${1:-build}
BULK=${2:-}
MIX=${3:-}
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "inline bench: needs root"; exit 0; }
for t in ip python3 editcap tcpreplay; do
  command -v $t >/dev/null || { echo "inline bench: $t not installed"; exit 0; }
done
P=xsib
CLI=$P-cli SEN=$P-sen SRV=$P-srv
work=$(mktemp -d)
rx_pid=
cleanup() {
  [ -n "$rx_pid" ] && kill -9 "$rx_pid" 2>/dev/null
  for n in "$CLI" "$SEN" "$SRV"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "${XS_INLINE_BENCH_DEBUG:-}" ] && trap - EXIT
for n in "$CLI" "$SEN" "$SRV"; do
  ip netns del "$n" 2>/dev/null || true
  ip netns add "$n"
  ip -n "$n" link set lo up
  ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add c0 netns "$CLI" numtxqueues 2 numrxqueues 2 type veth peer name "${P}a" netns "$SEN" \
  numtxqueues 2 numrxqueues 2
ip link add s0 netns "$SRV" numtxqueues 2 numrxqueues 2 type veth peer name "${P}b" netns "$SEN" \
  numtxqueues 2 numrxqueues 2
ip -n "$CLI" addr add 10.216.0.1/24 dev c0
ip -n "$SRV" addr add 10.216.0.2/24 dev s0
ip -n "$SEN" link add "${P}br" type bridge stp_state 0 forward_delay 0
for e in "$CLI c0" "$SRV s0" "$SEN ${P}a" "$SEN ${P}b"; do
  read -r ns dev <<<"$e"
  ip -n "$ns" link set "$dev" mtu 3000 up
  ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
done
for port in "${P}a" "${P}b"; do
  ip -n "$SEN" link set "$port" master "${P}br"
  ip -n "$SEN" link set dev "$port" type bridge_slave learning off
done
ip -n "$SEN" link set "${P}br" up
# Beside it, a mirror port for the same sensor in mirror mode: m0 (client) -> ${P}m.
ip link add m0 netns "$CLI" numtxqueues 2 numrxqueues 2 type veth peer name "${P}m" netns "$SEN" \
  numtxqueues 2 numrxqueues 2
for e in "$CLI m0" "$SEN ${P}m"; do
  read -r ns dev <<<"$e"
  ip -n "$ns" link set "$dev" mtu 3000 up
  ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
done

arrived() { ip netns exec "$SRV" cat /sys/class/net/s0/statistics/rx_packets; }
start_sensor() {  # the sensor inline (or: mirror), replies parsed; its log in $work/log
  : >"$work/log"
  local where=(--interface "${P}a" --capture_mode=inline --inline_peer="${P}b")
  [ "${1:-}" = mirror ] && where=(--interface "${P}m")
  ip netns exec "$SEN" "$BUILD/userspace/xsensor" "${where[@]}" --count_only --http_parse_reply=1 \
    --ssl_parse_reply=1 --metrics_listen=off --print_counters=false --counters_out "$work/c" \
    2>"$work/log" &
  rx_pid=$!
  for _ in $(seq 200); do grep -q "capturing on" "$work/log" && return 0; sleep 0.05; done
  echo "inline bench: the sensor did not start"; cat "$work/log"; exit 1
}
stop_sensor() {
  [ -n "$rx_pid" ] || return 0
  kill -INT "$rx_pid"; wait "$rx_pid" || true
  rx_pid=
}

# One trial at `rate` frames/s: the next slice of the capture (slices of $SLICE frames, taken in
# turn) sent by tcpreplay out of the client's end; prints "achieved_rate lost".
# (tcpreplay, not the BPF_PROG_RUN live-frames injectors of live-bench.sh: this kernel may
# refuse live frames, and tcpreplay is what reaches a bridge's port as a wire would.)
SLICE=60000
# Lost: what did not arrive at the server's end; on the mirror port, what the program steered
# and the sensor did not read or dropped (its counters).
lost_so_far() {
  if [ "$DEV" = m0 ]; then
    rm -f "$work/c"
    kill -USR1 "$rx_pid"
    for _ in $(seq 100); do [ -f "$work/c" ] && break; sleep 0.02; done
    awk '$1 == "xdp.steered" {t = $2} $1 ~ /\.received$/ {r += $2}
         $1 ~ /(xsk_rx_dropped|xsk_rx_ring_full|handoff_dropped|records_dropped)$/ {d += $2}
         END {print t - r + d}' "$work/c"
  else
    echo $(( 0 - $(arrived) ))
  fi
}
DEV=c0
trial() {
  local rate=$1 n slice a0 a1 out sent pps
  n=$(ls "$work"/slice_*.pcap | wc -l)
  slice=$(ls "$work"/slice_*.pcap | sed -n "$(( $(cat "$work/next" 2>/dev/null || echo 0) % n + 1 ))p")
  echo $(( $(cat "$work/next" 2>/dev/null || echo 0) + 1 )) >"$work/next"
  a0=$(lost_so_far)
  out=$(ip netns exec "$CLI" tcpreplay --pps="$rate" -i "$DEV" "$slice" 2>&1 || true)
  sleep 0.3
  a1=$(lost_so_far)
  sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' <<<"$out")
  pps=$(sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' <<<"$out")
  if [ "$DEV" = m0 ]; then  # the counters' loss
    echo "${pps%.*} $(( a1 - a0 ))"
  else  # what the bridge alone forwards of this slice (calibrated), less what arrived
    awk -v e="$(cat "$slice.expected" 2>/dev/null || echo "${sent:-0}")" -v pps="${pps:-0}" \
      -v got=$(( a0 - a1 )) 'BEGIN {lost = e - got; if (lost < 0) lost = 0; printf "%d %d\n", pps, lost}'
  fi
}
# What the bridge alone forwards of each slice, sent slowly (a few frames of some captures it
# does not forward as they are): the reference for the loss of every later trial.
calibrate() {
  local f a0 a1
  for f in "$work"/slice_*.pcap; do
    a0=$(arrived)
    ip netns exec "$CLI" tcpreplay -q --pps=50000 -i c0 "$f" >/dev/null 2>&1 || true
    sleep 0.3
    a1=$(arrived)
    echo $(( a1 - a0 )) >"$f.expected"
  done
}
# The capture's first 400k frames in slices (each trial sends new packets of the flows).
slices() {  # $1 = capture
  rm -f "$work"/slice_* "$work/next"
  editcap -F pcap -r "$1" "$work/part.pcap" 1-400000 2>/dev/null
  python3 scripts/pcap-for-replay.py "$work/part.pcap" "$work/part2.pcap" --macs
  editcap -F pcap -c "$SLICE" "$work/part2.pcap" "$work/slice_.pcap" 2>/dev/null
  rm -f "$work/part.pcap" "$work/part2.pcap"
  calibrate
}
search() {  # $1 = label: the highest rate at which every injected frame crossed the bridge
  local best=0 lo=0 hi=0 rate=50000 got lost
  while [ $rate -le 3200000 ]; do
    read -r got lost < <(trial $rate)
    printf "  %-14s target %8d/s: %8d frames/s sent, %6d did not cross\n" "$1" "$rate" "$got" "$lost" >&2
    if [ "$lost" -eq 0 ]; then
      best=$got; lo=$rate
      [ "$got" -lt $(( rate * 8 / 10 )) ] && { echo "$1" >>"$work/injector_bound"; break; }
      rate=$(( rate * 2 ))
    else
      hi=$rate; break
    fi
  done
  for _ in 1 2; do
    [ $hi -gt 0 ] || break
    local mid=$(( (lo + hi) / 2 ))
    read -r got lost < <(trial $mid)
    printf "  %-14s target %8d/s: %8d frames/s sent, %6d did not cross\n" "$1" "$mid" "$got" "$lost" >&2
    if [ "$lost" -eq 0 ]; then best=$got; lo=$mid; else hi=$mid; fi
  done
  echo "$best"
}
forwarding() {  # $1 = label of the capture
  local bridge sensor mirror
  rm -f "$work/injector_bound"
  DEV=c0
  bridge=$(search "bridge alone")
  start_sensor
  sensor=$(search "xsensor inline")
  kill -USR1 "$rx_pid"; sleep 0.3
  stop_sensor
  cp "$work/c" "$work/c.inline"
  DEV=m0
  start_sensor mirror
  mirror=$(search "xsensor mirror")
  stop_sensor
  DEV=c0
  awk -v l="$1" -v b="$bridge" -v s="$sensor" -v m="$mirror" \
      -v f="$(awk '$1 ~ /forwarded$/ {s += $2} END {print s + 0}' "$work/c.inline")" \
      -v seen="$(awk '$1 == "xdp.seen" {print $2}' "$work/c.inline")" \
      -v shed="$(awk '$1 == "xdp.shed" {print $2}' "$work/c.inline")" 'BEGIN {
    printf "inline, %s, replies parsed: %d frames/s forwarded without loss, bridge alone %d: ratio %.2f; mirror mode, same sender: %d frames/s lossless; %.1f%% of frames through the sensor'"'"'s AF_XDP TX (%d), %d passed uninspected\n",
           l, s, b, (b > 0 ? s / b : 0), m, (seen > 0 ? 100 * f / seen : 0), f, shed
  }'
  [ -s "$work/injector_bound" ] &&
    echo "  (no loss at the most tcpreplay sent, so bounded by it: $(sort -u "$work/injector_bound" | paste -sd,))"
  return 0
}

if [ -n "$BULK" ] && [ -s "$BULK" ]; then
  slices "$BULK"
  forwarding "bulk"
fi
if [ -n "$MIX" ] && [ -s "$MIX" ]; then
  slices "$MIX"
  forwarding "many-flow mix"
fi

# Latency: UDP request/answer, client -> server -> client, through the bridge.
ip netns exec "$SRV" python3 -c '
import socket, threading
def echo(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.216.0.2", port))
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(d, a)
for p in (5060, 9999):
    threading.Thread(target=echo, args=(p,), daemon=True).start()
threading.Event().wait()' &
echo_pid=$!
sleep 0.5
probe() {  # prints "p50_us p99_us" for port $1
  ip netns exec "$CLI" python3 - "$1" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
msg = b"OPTIONS sip:probe@bench.test SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n"
rtts = []
for i in range(2200):
    t = time.perf_counter()
    s.sendto(msg, ("10.216.0.2", port))
    try:
        s.recv(2048)
    except socket.timeout:
        continue
    if i >= 200:  # after the warm-up
        rtts.append((time.perf_counter() - t) * 1e6)
    time.sleep(0.0005)
rtts.sort()
print("%.0f %.0f" % (rtts[len(rtts) // 2], rtts[int(len(rtts) * 0.99)]))
PY
}
read -r b50 b99 < <(probe 5060)
read -r p50 p99 < <(probe 9999)
start_sensor
read -r s50 s99 < <(probe 5060)
read -r q50 q99 < <(probe 9999)
stop_sensor
kill "$echo_pid" 2>/dev/null || true
echo "inline, round trip through the bridge, UDP on a steered port (5060): p50 ${s50} us, p99 ${s99} us with xsensor; bridge alone ${b50} / ${b99} us: +$(( s50 - b50 )) us at p50, +$(( s99 - b99 )) us at p99"
echo "inline, round trip through the bridge, UDP on a port passed in XDP (9999): p50 ${q50} us, p99 ${q99} us with xsensor; bridge alone ${p50} / ${p99} us"
