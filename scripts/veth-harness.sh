#!/usr/bin/env bash
# A test network for the live sensor: a multi-queue veth pair whose sensor end (NAME) stays in
# this namespace and whose traffic end (NAME-p) lives in network namespace NAME-ns.
#   veth-harness.sh up [NAME] [QUEUES]     create (QUEUES rx = tx queues on both ends, default 2)
#   veth-harness.sh down [NAME]            remove
#   veth-harness.sh replay [NAME] PCAP...  send captures into the sensor end with tcpreplay
#   veth-harness.sh exec [NAME] CMD...     run a command in the traffic namespace
# The sensor end is a capture port, as a SPAN or TAP port is: no address of this host (the
# sensor's default mirror mode refuses an interface that has one). The traffic end has
# 10.213.0.2/30 and a permanent neighbour entry for 10.213.0.1, so what is sent there leaves
# without ARP. MTU 3000 (XDP on veth needs <= 3506 without fragments); offloads off so frames
# are what the wire would carry.
set -euo pipefail
cmd=${1:-}
shift || true
NAME=${1:-xsveth}
[ $# -gt 0 ] && shift
NS="$NAME-ns"
PEER="$NAME-p"

need_root() { [ "$(id -u)" -eq 0 ] || { echo "veth-harness: needs root" >&2; exit 1; }; }

case "$cmd" in
  up)
    need_root
    QUEUES=${1:-2}
    ip netns del "$NS" 2>/dev/null || true
    ip link del "$NAME" 2>/dev/null || true
    ip netns add "$NS"
    ip link add "$NAME" numtxqueues "$QUEUES" numrxqueues "$QUEUES" type veth \
      peer name "$PEER" numtxqueues "$QUEUES" numrxqueues "$QUEUES"
    ip link set "$PEER" netns "$NS"
    ip link set "$NAME" mtu 3000
    ip -n "$NS" link set "$PEER" mtu 3000
    ip -n "$NS" addr add 10.213.0.2/30 dev "$PEER"
    ip link set "$NAME" up
    ip -n "$NS" link set "$PEER" up
    ip -n "$NS" link set lo up
    mac_s=$(cat /sys/class/net/"$NAME"/address)
    ip -n "$NS" neigh replace 10.213.0.1 lladdr "$mac_s" dev "$PEER" nud permanent
    if command -v ethtool >/dev/null; then
      ethtool -K "$NAME" gro off lro off tso off gso off >/dev/null 2>&1 || true
      ip netns exec "$NS" ethtool -K "$PEER" gro off tso off gso off tx off >/dev/null 2>&1 || true
    fi
    echo "veth-harness: $NAME (sensor end) <-> $NS/$PEER, $QUEUES queues"
    ;;
  down)
    need_root
    ip link del "$NAME" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ;;
  replay)
    need_root
    [ $# -gt 0 ] || { echo "usage: veth-harness.sh replay NAME PCAP..." >&2; exit 2; }
    for p in "$@"; do
      ip netns exec "$NS" tcpreplay --quiet --topspeed -i "$PEER" "$p"
    done
    ;;
  exec)
    need_root
    ip netns exec "$NS" "$@"
    ;;
  *)
    sed -n '2,12p' "$0"
    exit 2
    ;;
esac
