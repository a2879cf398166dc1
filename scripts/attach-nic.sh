#!/usr/bin/env bash
# Prepares a NIC for xsensor and starts it there (or undoes it).
#   attach-nic.sh IFACE [--queues N] [--config FILE] [--mode auto|native|skb]
#                       [--host | --inline-peer PEER] [--no-start] [-- extra xsensor flags]
#   attach-nic.sh IFACE --detach
# Where the sensor sits: IFACE alone is a SPAN/TAP/mirror port (capture_mode=mirror: its
# frames are copies). --host: IFACE carries this host's own traffic; both its directions are
# mirrored (tc mirred) onto a veth pair made for it, xsmN/xsmNc (N: IFACE's index), and the
# sensor captures on xsmNc; the host's traffic is not touched. --inline-peer PEER: the sensor
# sits in the path between IFACE and PEER (capture_mode=inline): both become ports of a kernel
# bridge xsbrN, which forwards what the sensor does not steer, and everything when it stops.
# Steps: check the driver (native XDP and AF_XDP zero-copy support), set N combined channels,
# install a symmetric RSS key (the repeated 0x6d5a Toeplitz key: both directions of a flow hash
# to the same queue, so the sensor's cross-queue hand-offs stay rare) hashing on addresses and
# ports, turn GRO/LRO off (the sensor must see frames as they were on the wire), mount bpffs
# if missing, then run xsensor on the interface. The previous settings are saved in
# /run/xsensor/IFACE.state for --detach.
set -euo pipefail
IFACE=${1:-}
[ -n "$IFACE" ] || { sed -n '2,19p' "$0"; exit 2; }
shift
QUEUES= CONFIG= MODE=auto HOST=0 PEER= START=1 DETACH=0 EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --queues) QUEUES=$2; shift 2 ;;
    --config) CONFIG=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    --mirror) shift ;;  # the default (capture_mode=mirror); kept for older unit files
    --host) HOST=1; shift ;;
    --inline-peer) PEER=$2; shift 2 ;;
    --no-start) START=0; shift ;;
    --detach) DETACH=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "attach-nic: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "attach-nic: needs root" >&2; exit 1; }
[ -d "/sys/class/net/$IFACE" ] || { echo "attach-nic: no interface $IFACE" >&2; exit 1; }
[ $HOST -eq 1 ] && [ -n "$PEER" ] && { echo "attach-nic: --host or --inline-peer, not both" >&2; exit 2; }
[ -z "$PEER" ] || [ -d "/sys/class/net/$PEER" ] || { echo "attach-nic: no interface $PEER" >&2; exit 1; }
IDX=$(cat "/sys/class/net/$IFACE/ifindex")
MIRROR_DEV=xsm$IDX MIRROR_CAP=xsm${IDX}c BRIDGE=xsbr$IDX
TC_PREF=49213  # the priority of this script's tc filters (removed by --detach, others kept)
command -v ethtool >/dev/null || { echo "attach-nic: ethtool is needed (apt-get install ethtool)" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")/.." && pwd)
# The sensor beside this script: in a source tree build/userspace/xsensor, installed
# PREFIX/bin/xsensor (this script being PREFIX/libexec/xsensor/attach-nic.sh); else from PATH.
if [ -z "${XSENSOR:-}" ]; then
  for c in "$HERE/build/userspace/xsensor" "$HERE/../bin/xsensor"; do
    [ -x "$c" ] && { XSENSOR=$c; break; }
  done
  XSENSOR=${XSENSOR:-$(command -v xsensor || echo xsensor)}
fi
STATE_DIR=/run/xsensor
STATE=$STATE_DIR/$IFACE.state
note() { echo "attach-nic: $*"; }

if [ $DETACH -eq 1 ]; then
  if [ -f "$STATE_DIR/$IFACE.pid" ]; then
    pid=$(cat "$STATE_DIR/$IFACE.pid")
    kill -TERM "$pid" 2>/dev/null && note "stopping xsensor ($pid)"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$STATE_DIR/$IFACE.pid"
  fi
  if [ -f "$STATE" ]; then
    # shellcheck disable=SC1090
    . "$STATE"
    [ -n "${OLD_COMBINED:-}" ] && ethtool -L "$IFACE" combined "$OLD_COMBINED" 2>/dev/null || true
    [ -n "${OLD_GRO:-}" ] && ethtool -K "$IFACE" gro "$OLD_GRO" 2>/dev/null || true
    [ -n "${OLD_LRO:-}" ] && ethtool -K "$IFACE" lro "$OLD_LRO" 2>/dev/null || true
    [ -n "${OLD_TSO:-}" ] && ethtool -K "$IFACE" tso "$OLD_TSO" 2>/dev/null || true
    [ -n "${OLD_GSO:-}" ] && ethtool -K "$IFACE" gso "$OLD_GSO" 2>/dev/null || true
    ethtool -X "$IFACE" default 2>/dev/null || true
    if [ "${HOST_MIRROR:-0}" -eq 1 ]; then
      tc filter del dev "$IFACE" ingress pref $TC_PREF 2>/dev/null || true
      tc filter del dev "$IFACE" egress pref $TC_PREF 2>/dev/null || true
      ip link del "$MIRROR_DEV" 2>/dev/null || true
      note "removed the mirror of $IFACE onto $MIRROR_CAP"
    fi
    if [ -n "${INLINE_PEER:-}" ]; then
      # Fail-open: the bridge keeps forwarding between the two ports without the sensor.
      note "bridge $BRIDGE stays, forwarding between $IFACE and $INLINE_PEER ('ip link del $BRIDGE' cuts the path)"
    fi
    rm -f "$STATE"
    note "restored channels, offloads and RSS of $IFACE"
  fi
  # The sensor's bpf_link detaches with the process; anything left from elsewhere stays.
  ip link show "$IFACE" | grep -q " xdp" && note "an XDP program is still attached (not ours?)"
  exit 0
fi

driver=$(ethtool -i "$IFACE" 2>/dev/null | awk '/^driver:/ {print $2}')
note "$IFACE driver: ${driver:-unknown}"
case "$driver" in
  i40e|ice|ixgbe|igc|igb|mlx5_core|mlx4_en|bnxt_en|qede|nfp|stmmac|virtio_net|veth|tun|ena)
    note "$driver has native XDP" ;;
  *) note "$driver: native XDP unknown; xsensor falls back to generic (skb) mode if needed" ;;
esac
case "$driver" in
  i40e|ice|ixgbe|igc|mlx5_core|stmmac) note "$driver supports AF_XDP zero-copy" ;;
  *) note "AF_XDP will use copy mode" ;;
esac

mkdir -p "$STATE_DIR"
{
  echo "OLD_COMBINED=$(ethtool -l "$IFACE" 2>/dev/null | awk '/Current hardware/ {c=1} c && /^Combined:/ {print $2; exit}')"
  echo "OLD_GRO=$(ethtool -k "$IFACE" | awk '/^generic-receive-offload:/ {print $2}')"
  echo "OLD_LRO=$(ethtool -k "$IFACE" | awk '/^large-receive-offload:/ {print $2}')"
  if [ $HOST -eq 1 ]; then
    echo "OLD_TSO=$(ethtool -k "$IFACE" | awk '/^tcp-segmentation-offload:/ {print $2}')"
    echo "OLD_GSO=$(ethtool -k "$IFACE" | awk '/^generic-segmentation-offload:/ {print $2}')"
    echo "HOST_MIRROR=1"
  fi
  [ -n "$PEER" ] && echo "INLINE_PEER=$PEER"
} >"$STATE"

if [ -n "$QUEUES" ]; then
  if ethtool -L "$IFACE" combined "$QUEUES" 2>/dev/null; then
    note "channels: $QUEUES combined"
  else
    note "could not set $QUEUES channels (driver limits); keeping the current count"
  fi
fi
ethtool -K "$IFACE" gro off 2>/dev/null && note "GRO off" || note "GRO: cannot change"
ethtool -K "$IFACE" lro off 2>/dev/null && note "LRO off" || true

keylen=$({ ethtool -x "$IFACE" 2>/dev/null || true; } |
  awk '/RSS hash key:/ {getline; n = split($0, a, ":"); print n; exit}')
if [ -n "$keylen" ] && [ "$keylen" -gt 0 ]; then
  key=$(for i in $(seq "$keylen"); do [ $((i % 2)) -eq 1 ] && printf '6d' || printf '5a'; \
        [ "$i" -lt "$keylen" ] && printf ':'; done)
  if ethtool -X "$IFACE" hkey "$key" 2>/dev/null; then
    note "symmetric RSS key installed ($keylen bytes)"
    for t in tcp4 udp4 tcp6 udp6; do ethtool -N "$IFACE" rx-flow-hash "$t" sdfn 2>/dev/null || true; done
    # The key makes Toeplitz symmetric: both directions of a flow on one queue, so each
    # queue's worker can own what it receives (no hand-off), unless the config says otherwise.
    if ethtool -x "$IFACE" 2>/dev/null | grep -qi "toeplitz: on"; then
      symmetric=1
    fi
  else
    note "RSS key not settable: directions of a flow may arrive on different queues (handed off)"
  fi
else
  note "no RSS on $IFACE: directions of a flow may arrive on different queues (handed off)"
fi

if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
  mount -t bpf bpf /sys/fs/bpf 2>/dev/null && note "mounted bpffs" || note "bpffs not mounted (not needed by xsensor)"
fi

CAPTURE=$IFACE
if [ $HOST -eq 1 ]; then
  # A software SPAN port: every frame IFACE receives or sends, cloned onto a veth pair whose far
  # end the sensor captures on. Whole frames as on the wire: no segmentation offloads on IFACE
  # (a 64 KB TSO frame would not fit the capture end's XDP).
  command -v tc >/dev/null || { echo "attach-nic: tc (iproute2) is needed for --host" >&2; exit 1; }
  nq=${QUEUES:-$(nproc)}
  [ "$nq" -gt 8 ] && nq=8
  ip link del "$MIRROR_DEV" 2>/dev/null || true
  ip link add "$MIRROR_DEV" numtxqueues "$nq" numrxqueues "$nq" type veth peer name "$MIRROR_CAP" \
    numtxqueues "$nq" numrxqueues "$nq"
  mtu=$(cat "/sys/class/net/$IFACE/mtu")
  for d in "$MIRROR_DEV" "$MIRROR_CAP"; do
    ip link set "$d" mtu "$mtu" up
    ethtool -K "$d" gro off tso off gso off >/dev/null 2>&1 || true
    sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1" 2>/dev/null || true
  done
  ethtool -K "$IFACE" tso off gso off >/dev/null 2>&1 && note "TSO/GSO off on $IFACE" || true
  tc qdisc add dev "$IFACE" clsact 2>/dev/null || true
  for dir in ingress egress; do
    # matchall where the kernel has it, else u32's catch-all (every kernel with tc has u32).
    tc filter replace dev "$IFACE" $dir pref $TC_PREF protocol all matchall \
      action mirred egress mirror dev "$MIRROR_DEV" 2>/dev/null ||
      tc filter replace dev "$IFACE" $dir pref $TC_PREF protocol all u32 match u32 0 0 \
        action mirred egress mirror dev "$MIRROR_DEV"
  done
  note "$IFACE mirrored both ways onto $MIRROR_CAP ($nq queues); capturing there"
  CAPTURE=$MIRROR_CAP
elif [ -n "$PEER" ]; then
  # The bump in the wire: IFACE and PEER ports of one bridge (made here unless they already
  # share one), which forwards what the sensor passes and everything when it is gone.
  master_a=$(basename "$(readlink "/sys/class/net/$IFACE/master" 2>/dev/null)" 2>/dev/null || true)
  master_b=$(basename "$(readlink "/sys/class/net/$PEER/master" 2>/dev/null)" 2>/dev/null || true)
  if [ -n "$master_a" ] && [ "$master_a" = "$master_b" ] && [ -d "/sys/class/net/$master_a/bridge" ]; then
    BRIDGE=$master_a
    note "$IFACE and $PEER are ports of bridge $BRIDGE already"
  else
    ip link show "$BRIDGE" >/dev/null 2>&1 ||
      ip link add "$BRIDGE" type bridge stp_state 0 forward_delay 0
    ip link set "$IFACE" master "$BRIDGE"
    ip link set "$PEER" master "$BRIDGE"
    note "bridge $BRIDGE: $IFACE <-> $PEER"
  fi
  ip link set "$BRIDGE" up
  ip link set "$IFACE" up
  ip link set "$PEER" up
  ethtool -K "$PEER" gro off lro off >/dev/null 2>&1 || true
  [ -n "$QUEUES" ] && { ethtool -L "$PEER" combined "$QUEUES" 2>/dev/null || true; }
fi

[ $START -eq 1 ] || exit 0
args=(--interface "$CAPTURE" --xdp_mode "$MODE")
[ -n "$CONFIG" ] && args+=(--config "$CONFIG")
[ -n "$PEER" ] && args+=(--capture_mode inline --inline_peer "$PEER")
# (Not for --host, whose capture end is a veth without RSS, nor inline, where a flow's two
# directions come in on two ports: flows go to workers by hash there.)
if [ "${symmetric:-0}" -eq 1 ] && [ $HOST -eq 0 ] && [ -z "$PEER" ] &&
   ! { [ -n "$CONFIG" ] && grep -q '^[[:space:]]*flow_affinity' "$CONFIG"; }; then
  args+=(--flow_affinity queue)
fi
note "starting: $XSENSOR ${args[*]} ${EXTRA[*]}"
"$XSENSOR" "${args[@]}" "${EXTRA[@]}" &
echo $! >"$STATE_DIR/$IFACE.pid"
wait $!
