#!/usr/bin/env bash
# Live lossless rate on the veth harness: frames of a mixed capture (every Ethernet capture of
# the corpus) are injected with BPF_PROG_RUN live frames at a paced rate into queue 0; the
# rate is raised until the receiver loses frames (steered by XDP but not received, or dropped
# by the kernel: ring full, fill ring empty). Measured for a bare AF_XDP receive loop (same
# program, same sockets, no parsing) and for xsensor (full parsing), in the same run.
# Each frame is sent REPEAT times in a row (live-frames repeat; one call per frame costs
# ~17 us here), so part of the load is duplicate segments.
# With a third argument MIX (a capture from ../shared/bench/make-mix.sh), the many-flow run
# instead: two queues, one injector per CPU each sending the flows of its half (symmetric flow
# hash), every frame repeated COPIES times as COPIES renumbered copies of its flow (distinct
# addresses: no duplicates), each trial continuing where the previous one stopped (new packets
# of the same flows, and new flows; the flow tables fill as on a loaded link).
# With a fourth argument `bulk`, MIX is the bulk capture (scripts/make-bulk.sh: nginx downloads
# over HTTP and HTTPS), injected the same way, and the receivers are the XDP_DROP ceiling (the
# same program parsing every frame and dropping it), xsensor as configured by default and
# xsensor with http_parse_reply=1 and ssl_parse_reply=1, whose bypass must keep the bodies and
# the encrypted bulk in XDP (all on a mirror port; inline mode: scripts/inline-bench.sh).
set -euo pipefail
BUILD=${1:-build}
SHARED=${2:-../shared}
MIX=${3:-}
MODE=${4:-}
REPEAT=${REPEAT:-16}
COPIES=${COPIES:-16}
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "live bench: needs root"; exit 0; }
pcaps=$(ls "$SHARED"/corpus/*/*.pcap 2>/dev/null | tr '\n' ',' | sed 's/,$//')
[ -n "$pcaps" ] || { echo "live bench: no corpus at $SHARED"; exit 0; }
NAME=xsbench
work=$(mktemp -d)
rx_pid=
cleanup() {
  [ -n "$rx_pid" ] && kill -9 "$rx_pid" 2>/dev/null
  bash scripts/veth-harness.sh down "$NAME" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash scripts/veth-harness.sh up "$NAME" 2 >/dev/null
# A live-frames run whose program is attached nowhere costs the kernel a dispatcher update
# (milliseconds) per call: each injector keeps its program on an interface of its own.
for k in 0 1; do
  ip -n "$NAME-ns" link add "xsinj$k" type veth peer name "xsinj${k}p"
  ip -n "$NAME-ns" link set "xsinj$k" up
done

# The injectors are BPF_PROG_RUN live frames; a kernel that refuses them (EPERM under some
# sandboxes) gives this bench nothing to measure: said, not run.
probe_frame=$(ls "$SHARED"/corpus/*/*.pcap | head -1)
if ! ip netns exec "$NAME-ns" "$BUILD/test/xsensor-inject" --dev "$NAME-p" --pcap "$probe_frame" \
     --count 1 --hold_dev "xsinj0" >"$work/probe.out" 2>&1; then
  echo "live bench: skipped: this kernel refuses BPF_PROG_RUN live frames ($(head -1 "$work/probe.out"))"
  exit 0
fi

snapshot() {  # prints: seen steered received drops
  rm -f "$work/c"
  kill -USR1 "$rx_pid"
  for _ in $(seq 100); do [ -f "$work/c" ] && break; sleep 0.02; done
  awk '$1 == "xdp.seen" {s = $2} $1 == "xdp.steered" {t = $2}
       $1 ~ /\.received$/ {r += $2}
       $1 ~ /(xsk_rx_dropped|xsk_rx_ring_full|handoff_dropped|records_dropped)$/ {d += $2}
       END {print s + 0, t + 0, r + 0, d + 0}' "$work/c"
}

# The next frame of the mix to send, across trials (trials run in subshells: kept in a file).
next_offset() { cat "$work/offset" 2>/dev/null || echo 0; }
trial() {  # $1 = target rate; prints "achieved_rate lost"
  local rate=$1 frames secs
  read -r s0 t0 r0 d0 < <(snapshot)
  frames=$(awk -v r="$rate" 'BEGIN {printf "%d", r * 0.6}')
  if [ -n "$MIX" ]; then
    local count=$(( frames / (2 * COPIES) + 1 )) offset
    offset=$(next_offset)
    for k in 0 1; do
      ip netns exec "$NAME-ns" "$BUILD/test/xsensor-inject" --dev "$NAME-p" --pcap "$MIX" \
        --cpu $k --shard $k/2 --copies "$COPIES" --offset "$offset" --count "$count" \
        --hold_dev "xsinj$k" \
        --rate $(( rate / 2 )) >"$work/inj$k" 2>/dev/null &
    done
    wait
    echo $(( offset + count )) >"$work/offset"
    secs=$(cat "$work/inj0" "$work/inj1" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p' | sort -n | tail -1)
  else
    loops=$(( frames / (3600 * REPEAT) + 1 ))
    out=$(ip netns exec "$NAME-ns" "$BUILD/test/xsensor-inject" --dev "$NAME-p" --pcap "$pcaps" \
            --cpu 0 --repeat "$REPEAT" --loops "$loops" --rate "$rate" 2>/dev/null)
    secs=$(echo "$out" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p')
  fi
  sleep 0.3
  read -r s1 t1 r1 d1 < <(snapshot)
  awk -v s=$((s1 - s0)) -v secs="$secs" -v lost=$(( (t1 - t0) - (r1 - r0) + (d1 - d0) )) \
    'BEGIN {printf "%d %d\n", s / secs, lost}'
}

search() {  # $1 = label; finds the highest lossless rate
  local best=0 lo=0 hi=0 rate=50000
  while [ $rate -le 3200000 ]; do
    read -r got lost < <(trial $rate)
    printf "  %-8s target %8d/s: %8d frames/s seen, %6d lost\n" "$1" "$rate" "$got" "$lost" >&2
    if [ "$lost" -ne 0 ]; then  # a loss counts when it happens again at the same rate
      read -r got lost < <(trial $rate)
      printf "  %-8s target %8d/s: %8d frames/s seen, %6d lost (again)\n" "$1" "$rate" "$got" "$lost" >&2
    fi
    if [ "$lost" -eq 0 ]; then
      best=$got; lo=$rate
      # The injectors' own ceiling: asking for more gives no more. The figure is then theirs,
      # not the receiver's (said in the summary).
      if [ "$got" -lt $(( rate * 8 / 10 )) ]; then echo "$1" >>"$work/injector_bound"; break; fi
      rate=$(( rate * 2 ))
    else
      hi=$rate; break
    fi
  done
  if [ $hi -gt 0 ]; then
    for _ in 1 2 3; do
      local mid=$(( (lo + hi) / 2 ))
      read -r got lost < <(trial $mid)
      printf "  %-8s target %8d/s: %8d frames/s seen, %6d lost\n" "$1" "$mid" "$got" "$lost" >&2
      if [ "$lost" -ne 0 ]; then
        read -r got lost < <(trial $mid)
        printf "  %-8s target %8d/s: %8d frames/s seen, %6d lost (again)\n" "$1" "$mid" "$got" "$lost" >&2
      fi
      if [ "$lost" -eq 0 ]; then best=$got; lo=$mid; else hi=$mid; fi
    done
  fi
  echo "$best"
}

if [ "$MODE" = bulk ]; then
  echo "live lossless rate, two queues, bulk downloads ($COPIES renumbered copies of every flow):"
elif [ -n "$MIX" ]; then
  echo "live lossless rate, two queues, many-flow mix ($COPIES renumbered copies of every flow):"
else
  echo "live lossless rate, one queue, mixed corpus traffic (repeat $REPEAT):"
fi
ready() {  # waits until the receiver says it is capturing (its log: $work/log)
  for _ in $(seq 200); do grep -qE "bare receiver on|capturing on" "$work/log" && return 0; sleep 0.05; done
  echo "live bench: the receiver did not start"; cat "$work/log"; exit 1
}
if [ -n "$MIX" ]; then
  # The injectors load their frames at every trial: a slice of the mix is enough.
  editcap -r "$MIX" "$work/mix.pcap" 1-400000 2>/dev/null
  MIX=$work/mix.pcap
fi
run_bare() {  # $1 = label, rest = flags of bare_rx; prints the lossless rate
  local label=$1
  shift
  rm -f "$work/offset"  # the same frames for every receiver
  : >"$work/log"
  "$BUILD/bench/bare_rx" --interface "$NAME" --counters_out "$work/c" "$@" 2>"$work/log" &
  rx_pid=$!
  ready
  search "$label"
  kill -INT "$rx_pid"; wait "$rx_pid" || true
  rx_pid=
}
run_sensor() {  # $1 = label, rest = flags; prints the lossless rate
  local label=$1
  shift
  rm -f "$work/offset"  # the same frames for every receiver
  : >"$work/log"
  "$BUILD/userspace/xsensor" --interface "$NAME" --count_only --counters_out "$work/c" --print_counters=false \
    --metrics_listen=off "$@" 2>"$work/log" &
  rx_pid=$!
  ready
  search "$label"
  kill -INT "$rx_pid"; wait "$rx_pid" || true
  rx_pid=
}
bound_note() {  # which receivers lost nothing at the most the injectors could send
  [ -s "$work/injector_bound" ] || return 0
  echo "  (no loss at the highest rate the injectors delivered, so bounded by them, not by the" \
       "receiver: $(paste -sd, "$work/injector_bound"))"
}
if [ "$MODE" = bulk ]; then
  # The sensor on a mirror port (capture_mode=mirror: what it does not need is dropped in
  # XDP, as the ceiling drops everything). Inline mode (two ports, a bridge) has a bench of its
  # own: scripts/inline-bench.sh.
  ceiling=$(run_bare xdp-drop --drop)
  off=$(run_sensor xsensor --capture_mode=mirror)
  on=$(run_sensor xs-reply --capture_mode=mirror --http_parse_reply=1 --ssl_parse_reply=1)
  cat "$work/c" >"$work/c.replies"
  awk -v c="$ceiling" -v f="$off" -v n="$on" \
      -v by="$(awk '$1 == "xdp.bypassed" {print $2}' "$work/c.replies")" \
      -v body="$(awk '$1 == "xdp.bypassed_body" {print $2}' "$work/c.replies")" \
      -v seen="$(awk '$1 == "xdp.seen" {print $2}' "$work/c.replies")" 'BEGIN {
    printf "live, bulk, two queues: XDP_DROP ceiling %d frames/s; xsensor (mirror) %d frames/s lossless (ratio %.2f)\n",
           c, f, (c > 0 ? f / c : 0)
    printf "live, bulk, two queues, replies parsed: xsensor (mirror) %d frames/s lossless, XDP_DROP ceiling %d frames/s: ratio %.2f (target >= 0.80); %.0f%% of frames bypassed in XDP (%.0f%% as reply bodies)\n",
           n, c, (c > 0 ? n / c : 0), (seen > 0 ? 100 * by / seen : 0), (seen > 0 ? 100 * body / seen : 0)
  }'
  bound_note
  exit 0
fi
bare=$(run_bare bare)
sensor=$(run_sensor xsensor)
# The injectors send each flow's two directions on one queue, as symmetric RSS does: the
# setting that trusts it (no hand-off between workers) is measured too.
by_queue=0
[ -n "$MIX" ] && by_queue=$(run_sensor "xs-queue" --flow_affinity=queue)
awk -v b="$bare" -v s="$sensor" -v q="$by_queue" -v m="${MIX:+many-flow mix, two queues}" 'BEGIN {
  if (m == "") {
    printf "live: xsensor %d frames/s lossless, bare AF_XDP loop %d frames/s: ratio %.2f (target >= 0.70)\n",
           s, b, (b > 0 ? s / b : 0)
  } else {
    printf "live, %s, flow_affinity=queue: xsensor %d frames/s lossless: ratio %.2f\n", m, q,
           (b > 0 ? q / b : 0)
    printf "live, %s: xsensor %d frames/s lossless, bare AF_XDP loop %d frames/s: ratio %.2f (target >= 0.90)\n",
           m, s, b, (b > 0 ? s / b : 0)
  }
}'
bound_note
