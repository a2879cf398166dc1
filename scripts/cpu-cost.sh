#!/usr/bin/env bash
# What a frame costs the live receiver in CPU, whatever the injector's speed (on two shared CPUs
# a "lossless rate" mostly measures the injector): each receiver, started fresh on a two-queue
# capture port (veth), gets one pass of the same capture at one fixed rate that all of them
# sustain, sent by tcpreplay; its process CPU time (all threads, from the scheduler's
# /proc/PID/task/*/schedstat) is divided by the frames the XDP program saw and by the frames
# that reached userspace. Kernel work in softirq (XDP, the copy into the rings) is charged to
# the task it interrupts, mostly the sender, so it is mostly not in these figures; the
# receiver's own system calls (poll, the fill ring's wake-ups) are. The XDP program's cost from
# kernel.bpf_stats_enabled (run_time_ns / run_cnt), beside the same program dropping everything
# (the ceiling). One offline worker's CPU per frame on the same capture is the yardstick.
#   cpu-cost.sh BUILD CAPTURE [LABEL]    (env: RATE=150000 frames/s, FRAMES=300000, REPS=3)
# Prints one line per receiver, starting "cpu, LABEL, ".
set -euo pipefail
BUILD=${1:-build}
CAP=${2:?capture}
LABEL=${3:-$(basename "$CAP" .pcap)}
RATE=${RATE:-150000} FRAMES=${FRAMES:-300000} REPS=${REPS:-3}
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "cpu cost: needs root"; exit 0; }
for t in tcpreplay editcap bpftool; do
  command -v $t >/dev/null || { echo "cpu cost: $t not installed"; exit 0; }
done
NAME=xscc
work=$(mktemp -d)
rx_pid=
stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
  [ -n "$rx_pid" ] && kill -9 "$rx_pid" 2>/dev/null
  sysctl -qw kernel.bpf_stats_enabled="$stats_was" 2>/dev/null || true
  bash scripts/veth-harness.sh down "$NAME" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash scripts/veth-harness.sh up "$NAME" 2 >/dev/null
sysctl -qw kernel.bpf_stats_enabled=1
editcap -F pcap -r "$CAP" "$work/part.pcap" "1-$FRAMES" 2>/dev/null
python3 scripts/pcap-for-replay.py "$work/part.pcap" "$work/cap.pcap"
# CPU time from the scheduler (schedstat: nanoseconds on CPU, per thread, summed), not from
# /proc/PID/stat: its ticks charge a whole tick to whichever task runs when it fires, and a
# receiver that wakes every millisecond is charged many ticks it did not use.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
counters() {  # prints: seen steered received drops (the receiver's counters, on SIGUSR1)
  rm -f "$work/c"
  kill -USR1 "$rx_pid"
  for _ in $(seq 100); do [ -f "$work/c" ] && break; sleep 0.02; done
  awk '$1 == "xdp.seen" {s = $2} $1 == "xdp.steered" {t = $2} $1 ~ /\.received$/ {r += $2}
       $1 ~ /(xsk_rx_dropped|xsk_rx_ring_full|handoff_dropped|records_dropped)$/ {d += $2}
       END {print s + 0, t + 0, r + 0, d + 0}' "$work/c"
}
xdp_stats() {  # prints: run_time_ns run_cnt of the receiver's XDP program
  bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
t = n = 0
for p in json.load(sys.stdin):
    if p.get("name") == "xsensor_xdp":
        t += p.get("run_time_ns", 0); n += p.get("run_cnt", 0)
print(t, n)'
}
# One run: $1 = label, rest = the receiver's command. Prints
# "ns_per_frame ns_per_user_frame user_share loss_share frames_per_core_s xdp_ns_per_packet".
one() {
  shift
  : >"$work/log"
  "$@" --counters_out "$work/c" 2>"$work/log" &
  rx_pid=$!
  for _ in $(seq 200); do grep -qE "bare receiver on|capturing on" "$work/log" && break; sleep 0.05; done
  sleep 0.5
  read -r s0 t0 r0 d0 < <(counters)
  read -r x0 n0 < <(xdp_stats)
  local p0
  p0=$(cpu_ns "$rx_pid")
  ip netns exec "$NAME-ns" tcpreplay -q --pps="$RATE" -i "$NAME-p" "$work/cap.pcap" >/dev/null 2>&1 || true
  sleep 0.5
  local p1
  p1=$(cpu_ns "$rx_pid")
  read -r s1 t1 r1 d1 < <(counters)
  read -r x1 n1 < <(xdp_stats)
  kill -INT "$rx_pid"; wait "$rx_pid" 2>/dev/null || true
  rx_pid=
  awk -v p=$((p1 - p0)) -v s=$((s1 - s0)) -v r=$((r1 - r0)) -v st=$((t1 - t0)) \
      -v d=$((d1 - d0)) -v xt=$((x1 - x0)) -v xn=$((n1 - n0)) 'BEGIN {
    ns = p
    lost = st - r + d; if (lost < 0) lost = 0
    printf "%.0f %.0f %.1f %.2f %.3f %.1f\n", (s ? ns / s : 0), (r ? ns / r : 0),
           (s ? 100 * r / s : 0), (s ? 100 * lost / s : 0), (ns ? s / ns * 1e3 : 0),
           (xn ? xt / xn : 0) }'
}
# The median (by ns per frame) of REPS runs, printed as a line.
receiver() {  # $1 = label, rest = command
  local label=$1 runs=()
  for _ in $(seq "$REPS"); do runs+=("$(one "$@")"); done
  read -r a b c d e f < <(printf '%s\n' "${runs[@]}" | sort -n -k1 | sed -n "$(( (REPS + 1) / 2 ))p")
  printf "cpu, %s, %s at %d frames/s: %s ns CPU per frame seen, %s per frame to userspace (%s%% of frames), %s%% lost, %s M frames per core-second; XDP %s ns per packet\n" \
    "$LABEL" "$label" "$RATE" "$a" "$b" "$c" "$d" "$e" "$f"
}
X=(--interface "$NAME" --count_only --metrics_listen=off --print_counters=false --http_parse_reply=1
   --ssl_parse_reply=1)
receiver "XDP_DROP ceiling" "$BUILD/bench/bare_rx" --interface "$NAME" --drop
receiver "bare AF_XDP loop" "$BUILD/bench/bare_rx" --interface "$NAME"
receiver "xsensor, flow_affinity=hash" "$BUILD/userspace/xsensor" "${X[@]}"
receiver "xsensor, flow_affinity=queue" "$BUILD/userspace/xsensor" "${X[@]}" --flow_affinity=queue
# One offline worker on the same frames: CPU per frame, the read included.
TIMEFORMAT='%U %S'
t=$( { time "$BUILD/userspace/xsensor" --pcap "$work/cap.pcap" --count_only --pcap_workers=1 \
  --http_parse_reply=1 --ssl_parse_reply=1 --print_counters=false --progress=false \
  >/dev/null 2>"$work/offline.log"; } 2>&1 )
frames=$(capinfos -c -M "$work/cap.pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}')
awk -v t="$t" -v f="$frames" -v l="$LABEL" 'BEGIN {
  split(t, a, " "); s = a[1] + a[2]
  printf "cpu, %s, one offline worker (--pcap, read included): %.0f ns CPU per frame\n", l, (f ? s * 1e9 / f : 0) }'
