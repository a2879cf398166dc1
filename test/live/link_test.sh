#!/usr/bin/env bash
# The sensor on a real link, with real clients and servers in network namespaces.
# Usage: link_test.sh CASE BUILD_DIR
#   hostif  the default configuration on an interface that carries a host's own traffic (a
#           server's NIC): the sensor refuses it, saying what to do instead, and curl and dig
#           to that server work before and after; inline on that one interface is refused too
# Exit 77 = skipped, with the reason. XS_KEEP=DIR keeps the run's files in DIR.
set -euo pipefail
CASE=$1 BUILD=$2
BIN=$BUILD/userspace
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, XDP, AF_XDP)"
for t in ip curl dig dnsmasq python3; do command -v $t >/dev/null || skip "$t not installed"; done

P="xk${CASE:0:3}$$"
P=${P:0:9}
work=$(mktemp -d)
pids=()
namespaces=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  [ -n "${XS_KEEP:-}" ] && cp -r "$work" "$XS_KEEP"; rm -rf "$work"
}
trap cleanup EXIT
fail=0
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }
netns() { ip netns add "$1" && namespaces+=("$1") && ip -n "$1" link set lo up; }
# A veth pair between two namespaces, 2 queues each, offloads off: $1 ns $2 if $3 addr/len, $4..$6
# the same for the other end (no address: "").
link() {
  ip link add "$2" netns "$1" numtxqueues 2 numrxqueues 2 type veth peer name "$5" netns "$4" \
    numtxqueues 2 numrxqueues 2
  local ns ifc addr
  for end in "$1 $2 $3" "$4 $5 $6"; do
    read -r ns ifc addr <<<"$end"
    ip -n "$ns" link set "$ifc" mtu 1500 up
    [ -n "$addr" ] && ip -n "$ns" addr add "$addr" dev "$ifc"
    ip netns exec "$ns" ethtool -K "$ifc" gro off tso off gso off >/dev/null 2>&1 || true
  done
}
# Servers in namespace $1 on address $2: HTTP on 80 (Python), DNS on 53 (dnsmasq).
servers() {
  mkdir -p "$work/www"
  head -c 300000 /dev/urandom >"$work/www/file.bin"
  ip netns exec "$1" python3 -m http.server 80 --bind "$2" --directory "$work/www" \
    >"$work/http.log" 2>&1 &
  pids+=($!); disown
  ip netns exec "$1" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
    --bind-interfaces --listen-address="$2" --port=53 --host-record=host.test,192.0.2.2 \
    2>"$work/dnsmasq.log" &
  pids+=($!); disown
  for _ in $(seq 100); do
    ip netns exec "$3" curl -s -o /dev/null "http://$2/file.bin" && break
    sleep 0.1
  done
}
# curl and dig from namespace $1 to the servers at $2: 0 when both answer rightly.
traffic_ok() {
  ip netns exec "$1" curl -s --max-time 5 -o "$work/got.bin" "http://$2/file.bin" &&
    cmp -s "$work/got.bin" "$work/www/file.bin" &&
    [ "$(ip netns exec "$1" dig +time=2 +tries=1 +short @"$2" host.test A)" = 192.0.2.2 ]
}

case "$CASE" in
  hostif)
    netns "$P-srv"
    netns "$P-cli"
    link "$P-srv" "${P}h" 10.214.0.1/30 "$P-cli" "${P}c" 10.214.0.2/30
    servers "$P-srv" 10.214.0.1 "$P-cli"
    check 'traffic_ok "$P-cli" 10.214.0.1' "curl and dig to the server work before the sensor"
    # The default configuration (no --capture_mode) on the server's own interface.
    rc=0
    timeout 20 ip netns exec "$P-srv" "$BIN/xsensor" --interface "${P}h" --metrics_listen=off \
      --print_counters=false >"$work/sensor.out" 2>"$work/sensor.log" || rc=$?
    check '[ "$rc" -eq 2 ]' "the sensor refuses the host's interface (exit $rc)"
    check 'grep -q "interface ${P}h has this host.s address 10.214.0.1" "$work/sensor.log"' \
      "it says why: the interface has this host's address"
    check 'grep -q "attach-nic.sh ${P}h --host" "$work/sensor.log" &&
           grep -q "capture_mode=inline with inline_peer" "$work/sensor.log"' \
      "and what to do instead (a mirror of it, or inline between two ports)"
    check '! ip -n "$P-srv" link show "${P}h" | grep -q " xdp"' "no XDP program left attached"
    check 'traffic_ok "$P-cli" 10.214.0.1' "curl and dig still work"
    # Inline on the one interface: refused too (it would take the steered frames off the host).
    rc=0
    timeout 20 ip netns exec "$P-srv" "$BIN/xsensor" --interface "${P}h" --capture_mode=inline \
      --metrics_listen=off --print_counters=false >/dev/null 2>"$work/inline.log" || rc=$?
    check '[ "$rc" -eq 2 ] && grep -q "it needs inline_peer=IF" "$work/inline.log" &&
           grep -q "use capture_mode=mirror" "$work/inline.log"' \
      "inline on a single interface is refused, naming inline_peer and mirror mode"
    check 'traffic_ok "$P-cli" 10.214.0.1' "curl and dig still work"
    [ $fail -eq 0 ] || { cat "$work/sensor.log" "$work/inline.log"; }
    ;;
  *)
    echo "unknown case $CASE"; exit 2 ;;
esac
exit $fail
