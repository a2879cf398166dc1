#!/usr/bin/env bash
# The sensor on a real link, with real clients and servers in network namespaces.
# Usage: link_test.sh CASE BUILD_DIR
#   hostif  the default configuration on an interface that carries a host's own traffic (a
#           server's NIC): the sensor refuses it, saying what to do instead, and curl and dig
#           to that server work before and after; inline on that one interface is refused too
#   host    attach-nic.sh --host on that server's interface: a tc mirror onto a veth pair made
#           for it, the sensor in mirror mode there; curl and dig to the server work while it
#           runs and their records are exported; --detach removes the mirror
#   inline  client, sensor (two ports, bridged by attach-nic.sh --inline-peer) and server in
#           three namespaces: curl over HTTP and HTTPS (sha256 equal at both ends), dig and a
#           SIP call (sipp) complete through the sensor in inline mode, and its records equal
#           those of a mirror-mode sensor given the same traffic (captured at the client,
#           replayed into a capture port); then kill -9: the path keeps forwarding (the gap
#           measured with a UDP probe on the SIP port) and the next download completes
# Exit 77 = skipped, with the reason. XS_KEEP=DIR keeps the run's files in DIR.
set -euo pipefail
CASE=$1 BUILD=$2
BIN=$BUILD/userspace
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, XDP, AF_XDP)"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/test/e2e/lib.sh"  # e2e_nginx, normalize_records
for t in ip curl dig dnsmasq python3 ethtool; do command -v $t >/dev/null || skip "$t not installed"; done

P="xk${CASE:0:3}$$"
P=${P:0:9}
work=$(mktemp -d)
pids=()
namespaces=()
cleanup() {
  # TERM first (nginx's master takes its worker with it), then KILL what is left.
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  [ -n "${XS_KEEP:-}" ] && cp -r "$work" "$XS_KEEP"; rm -rf "$work"
}
trap cleanup EXIT
fail=0
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }
netns() { ip netns add "$1" && namespaces+=("$1") && ip -n "$1" link set lo up; }
# xsensor-recv in namespace $1 ("" for this one), JSON records to $2, ending after $3 TCP
# sessions: sets recv_pid and col (its ADDR:PORT).
receiver() {
  local ready="$work/ready.$RANDOM" in_ns=()
  [ -n "$1" ] && in_ns=(ip netns exec "$1")
  "${in_ns[@]}" "$BIN/xsensor-recv" --tcp 127.0.0.1:0 --ready_file "$ready" --out "$2" \
    --exit_after_tcp_sessions "$3" --max_run_ms 120000 2>>"$work/recv.log" &
  recv_pid=$!
  pids+=($recv_pid)
  for _ in $(seq 100); do [ -f "$ready" ] && break; sleep 0.05; done
  col=$(awk '/^tcp/ {print $2}' "$ready")
}
# Waits (5 s at most) for the sensor whose log is $1 to say it captures.
capturing() { for _ in $(seq 100); do grep -q "capturing on" "$1" && break; sleep 0.05; done; }
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
    rc=0
    ip netns exec "$P-srv" "$BIN/xsensor" --check_config --count_only --interface "${P}h" \
      >"$work/check.out" 2>"$work/check.log" || rc=$?
    check '[ "$rc" -eq 2 ] && grep -q "has this host.s address 10.214.0.1" "$work/check.log"' \
      "--check_config refuses it too (exit $rc)"
    # The default configuration (no --capture_mode) on the server's own interface.
    rc=0
    timeout 20 ip netns exec "$P-srv" "$BIN/xsensor" --interface "${P}h" --count_only --metrics_listen=off \
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
      --count_only --metrics_listen=off --print_counters=false >/dev/null 2>"$work/inline.log" || rc=$?
    check '[ "$rc" -eq 2 ] && grep -q "it needs inline_peer=IF" "$work/inline.log" &&
           grep -q "use capture_mode=mirror" "$work/inline.log"' \
      "inline on a single interface is refused, naming inline_peer and mirror mode"
    check 'traffic_ok "$P-cli" 10.214.0.1' "curl and dig still work"
    [ $fail -eq 0 ] || { cat "$work/sensor.log" "$work/inline.log"; }
    ;;
  host)
    command -v tc >/dev/null || skip "tc not installed"
    netns "$P-srv"
    netns "$P-cli"
    link "$P-srv" "${P}h" 10.214.0.1/30 "$P-cli" "${P}c" 10.214.0.2/30
    servers "$P-srv" 10.214.0.1 "$P-cli"
    ip netns exec "$P-srv" bash "$ROOT/scripts/attach-nic.sh" "${P}h" --host --no-start \
      >"$work/attach.log" 2>&1 || { cat "$work/attach.log"; echo "FAIL: attach-nic.sh --host"; exit 1; }
    cap_if=$(sed -n 's/.*mirrored both ways onto \([a-z0-9]*\) .*/\1/p' "$work/attach.log")
    check '[ -n "$cap_if" ] && ip -n "$P-srv" link show "$cap_if" >/dev/null 2>&1' \
      "attach-nic.sh made the mirror port ${cap_if:-?}"
    receiver "$P-srv" "$work/records.json" 2
    # The default configuration (mirror mode), on the mirror port.
    ip netns exec "$P-srv" "$BIN/xsensor" --interface "$cap_if" --ipfix_tcp_collectors="$col" \
      --ipfix_dns_tcp_collectors="$col" --metrics_listen=off --print_counters=false \
      2>"$work/sensor.log" &
    sensor_pid=$!
    pids+=($sensor_pid)
    capturing "$work/sensor.log"
    check 'grep -q "capturing on $cap_if .*mirror mode" "$work/sensor.log"' "the sensor runs on the mirror"
    check 'traffic_ok "$P-cli" 10.214.0.1' "curl and dig to the server work while it runs"
    check 'traffic_ok "$P-cli" 10.214.0.1' "and again"
    sleep 0.5
    kill -INT "$sensor_pid"; wait "$sensor_pid" || true
    wait "$recv_pid" || true
    check '[ "$(grep -c "\"path\":\"/file.bin\"" "$work/records.json")" -ge 2 ]' \
      "the HTTP requests were exported (clickstream, path /file.bin)"
    check 'grep -q "\"template\":\"dns\".*host.test" "$work/records.json"' "the DNS answers too"
    ip netns exec "$P-srv" bash "$ROOT/scripts/attach-nic.sh" "${P}h" --detach >>"$work/attach.log" 2>&1
    check '! ip -n "$P-srv" link show "$cap_if" >/dev/null 2>&1 &&
           ! ip netns exec "$P-srv" tc filter show dev "${P}h" ingress | grep -q mirred' \
      "--detach removed the mirror port and the tc filters"
    check 'traffic_ok "$P-cli" 10.214.0.1' "curl and dig still work"
    [ $fail -eq 0 ] || { cat "$work/attach.log" "$work/sensor.log"; }
    ;;
  inline)
    for t in nginx openssl sipp dumpcap tcpreplay sha256sum; do
      command -v $t >/dev/null || skip "$t not installed"
    done
    CLI=$P-cli SEN=$P-sen SRV=$P-srv A=${P}a B=${P}b
    netns "$CLI"; netns "$SEN"; netns "$SRV"
    link "$CLI" "${P}c" 10.215.0.1/24 "$SEN" "$A" ""
    link "$SRV" "${P}s" 10.215.0.2/24 "$SEN" "$B" ""
    # The hosts' frames as a wire carries them: checksums filled in, no segmentation offload.
    ip netns exec "$CLI" ethtool -K "${P}c" tx off >/dev/null 2>&1 || true
    ip netns exec "$SRV" ethtool -K "${P}s" tx off >/dev/null 2>&1 || true
    ip netns exec "$SEN" env XSENSOR="$BIN/xsensor" bash "$ROOT/scripts/attach-nic.sh" "$A" \
      --inline-peer "$B" --no-start >"$work/attach.log" 2>&1 ||
      { cat "$work/attach.log"; echo "FAIL: attach-nic.sh --inline-peer"; exit 1; }
    check 'grep -q "bridge xsbr.*: $A <-> $B" "$work/attach.log"' "attach-nic.sh bridged $A and $B"

    # The server: nginx (HTTP, HTTPS), dnsmasq, a SIP UAS and a UDP echo on port 5060 of a
    # second address (the probe).
    ip -n "$SRV" addr add 10.215.0.3/24 dev "${P}s"
    mkdir -p "$work/www" "$work/tmp"
    head -c 3000000 /dev/urandom >"$work/www/big.bin"
    head -c 200000 /dev/urandom >"$work/www/small.bin"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=inline.test" \
      -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
    NS=$SRV
    cd "$work"  # (e2e_nginx writes its configuration here)
    e2e_nginx <<CONF
  server {
    listen 10.215.0.2:80;
    listen 10.215.0.2:443 ssl;
    server_name inline.test;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    root $work/www;
  }
CONF
    ip netns exec "$SRV" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
      --bind-interfaces --listen-address=10.215.0.2 --port=53 \
      --host-record=host.inline.test,192.0.2.2 2>"$work/dnsmasq.log" &
    pids+=($!); disown
    ip netns exec "$SRV" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.215.0.3", 5060))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)' &
    pids+=($!); disown
    ip netns exec "$SRV" bash -c "cd '$work' && exec sipp -sn uas -i 10.215.0.2 -p 5060 -t u1" \
      >/dev/null 2>&1 </dev/null &
    pids+=($!); disown
    for _ in $(seq 100); do
      ip netns exec "$SRV" bash -c "exec 3<>/dev/tcp/10.215.0.2/443" 2>/dev/null && break
      sleep 0.1
    done

    # The receiver and the sensor, inline, in the sensor's namespace.
    receiver "$SEN" "$work/inline.json" 3
    collectors() {
      echo "--ipfix_tcp_collectors=$col --ipfix_meta_tcp_collectors=$col" \
           "--ipfix_dns_tcp_collectors=$col"
    }
    flags=(--http_parse_reply=1 --ssl_parse_reply=1 --metrics_listen=off --print_counters=false)
    ip netns exec "$SEN" "$BIN/xsensor" --interface "$A" --capture_mode=inline \
      --inline_peer="$B" --counters_out "$work/counters" $(collectors) "${flags[@]}" \
      2>"$work/sensor.log" &
    sensor_pid=$!
    pids+=($sensor_pid)
    capturing "$work/sensor.log"
    check 'grep -q "inline mode, bridging $A <-> $B" "$work/sensor.log"' "the sensor says it runs inline"
    ip netns exec "$CLI" dumpcap -q -i "${P}c" -w "$work/client.pcap" 2>/dev/null &
    cap=$!
    pids+=($cap)
    for _ in $(seq 100); do [ -s "$work/client.pcap" ] && break; sleep 0.05; done

    # Real clients through the sensor.
    want_big=$(sha256sum <"$work/www/big.bin")
    want_small=$(sha256sum <"$work/www/small.bin")
    cl() { ip netns exec "$CLI" "$@"; }
    check '[ "$(cl curl -s --max-time 20 http://10.215.0.2/big.bin | sha256sum)" = "$want_big" ]' \
      "HTTP download through the sensor: sha256 equal at both ends"
    check '[ "$(cl curl -sk --max-time 20 --resolve inline.test:443:10.215.0.2 https://inline.test/big.bin | sha256sum)" = "$want_big" ]' \
      "HTTPS download through the sensor: sha256 equal at both ends"
    check '[ "$(cl curl -s --max-time 20 -A inline-agent -e http://ref.test/ http://10.215.0.2/small.bin | sha256sum)" = "$want_small" ]' \
      "a second HTTP request"
    check '[ "$(cl dig +time=2 +tries=2 +short @10.215.0.2 host.inline.test A)" = 192.0.2.2 ]' \
      "dig through the sensor"
    check '[ "$(cl dig +tcp +time=2 +tries=2 +short @10.215.0.2 host.inline.test A)" = 192.0.2.2 ]' \
      "dig over TCP through the sensor"
    check 'cl bash -c "cd $work && timeout 30 sipp -sn uac 10.215.0.2:5060 -i 10.215.0.1 -p 5071 -t u1 -m 2 -timeout 20 -timeout_error" >/dev/null 2>&1' \
      "a SIP call (sipp, two calls) through the sensor"
    sleep 1
    kill -USR1 "$sensor_pid"; sleep 0.3
    cp "$work/counters" "$work/counters.inline"
    fwd=$(awk '$1 ~ /forwarded$/ {s += $2} END {print s + 0}' "$work/counters.inline")
    received=$(awk '$1 ~ /^queue\..*\.received$/ {s += $2} END {print s + 0}' "$work/counters.inline")
    shed=$(awk '$1 == "xdp.shed" {print $2}' "$work/counters.inline")
    echo "inline: $received frames read by the sensor, $fwd sent on by it;" \
      "$(awk '$1 == "xdp.bypassed" || $1 == "xdp.passed" {printf "%s %s ", $1, $2}' "$work/counters.inline")(to the bridge)"
    check '[ "$fwd" -gt 50 ] && [ "$fwd" -eq "$received" ]' \
      "every frame the sensor read it sent on out of the other port (AF_XDP TX)"
    check '[ "$(awk '"'"'$1 ~ /forward_dropped$/ {s += $2} END {print s + 0}'"'"' "$work/counters.inline")" -eq 0 ]' \
      "no forwarded frame dropped"
    echo "shed: ${shed:-0} packets passed uninspected"
    kill -INT "$sensor_pid"; wait "$sensor_pid" || true
    wait "$recv_pid" || true
    sleep 0.3; kill -INT "$cap"; wait "$cap" 2>/dev/null || true
    check '[ "$(grep -c "\"template\":\"clickstream\"" "$work/inline.json")" -ge 3 ]' \
      "clickstream records from the inline run"
    check 'grep -q "\"template\":\"sip\"" "$work/inline.json" && grep -q "\"template\":\"dns\"" "$work/inline.json" && grep -q "\"template\":\"ssl_reply\"" "$work/inline.json"' \
      "sip, dns and ssl_reply records from the inline run"

    # Mirror mode on the same traffic: the client's capture replayed into a capture port.
    M=${P}m
    bash "$ROOT/scripts/veth-harness.sh" up "$M" 2 >/dev/null
    namespaces+=("$M-ns")
    receiver "" "$work/mirror.json" 3
    "$BIN/xsensor" --interface "$M" $(collectors) "${flags[@]}" 2>"$work/mirror.log" &
    sensor_pid=$!
    pids+=($sensor_pid)
    capturing "$work/mirror.log"
    ip netns exec "$M-ns" tcpreplay -q --pps=3000 -i "$M-p" "$work/client.pcap" >/dev/null 2>&1
    sleep 1
    kill -INT "$sensor_pid"; wait "$sensor_pid" || true
    wait "$recv_pid" || true
    ip link del "$M" 2>/dev/null || true
    check 'diff <(normalize_records "$work/inline.json") <(normalize_records "$work/mirror.json") >"$work/diff"' \
      "inline records equal mirror mode's on the same traffic ($(wc -l <"$work/inline.json") records)"
    [ -s "$work/diff" ] && head -6 "$work/diff"

    # Fail-open: a UDP probe every 5 ms on the SIP port (steered both ways) across a kill -9.
    ip netns exec "$SEN" "$BIN/xsensor" --interface "$A" --capture_mode=inline \
      --inline_peer="$B" --count_only --metrics_listen=off --print_counters=false 2>"$work/sensor2.log" &
    sensor_pid=$!
    pids+=($sensor_pid); disown
    capturing "$work/sensor2.log"
    ip netns exec "$CLI" python3 - "$work/probe.txt" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.215.0.1", 5099))
s.settimeout(0.004)
out, n, t_end = [], 0, time.monotonic() + 3.0
while time.monotonic() < t_end:
    n += 1
    sent = time.monotonic()
    s.sendto(b"OPTIONS sip:probe@inline.test SIP/2.0\r\nCSeq: %d OPTIONS\r\n\r\n" % n, ("10.215.0.3", 5060))
    got = False
    try:
        while True:
            d = s.recv(2048)
            if b"CSeq: %d " % n in d:
                got = True
                break
    except socket.timeout:
        pass
    out.append("%d %.6f %d" % (n, sent, got))
    time.sleep(max(0.0, sent + 0.005 - time.monotonic()))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
    probe=$!
    sleep 1
    kill -9 "$sensor_pid"
    wait "$probe"
    gap=$(awk '$3 == 1 {if (last && $2 - last > g) g = $2 - last; last = $2} END {printf "%.0f", g * 1000}' "$work/probe.txt")
    lost=$(awk '$3 == 0' "$work/probe.txt" | wc -l)
    answered=$(awk '$3 == 1' "$work/probe.txt" | wc -l)
    echo "fail-open: kill -9 of the sensor; probe every 5 ms: $answered answered, $lost lost, longest gap ${gap} ms"
    check '[ "$answered" -gt 300 ] && [ "$gap" -lt 1000 ]' \
      "the path kept forwarding across kill -9 (longest gap ${gap} ms)"
    check '! ip -n "$SEN" link show "$A" | grep -q " xdp" && ! ip -n "$SEN" link show "$B" | grep -q " xdp"' \
      "no XDP program left on either port"
    check '[ "$(cl curl -s --max-time 20 http://10.215.0.2/big.bin | sha256sum)" = "$want_big" ]' \
      "the next download completes through the bridge alone"
    [ $fail -eq 0 ] || { tail -5 "$work/sensor.log"; cat "$work/attach.log"; }
    ;;
  *)
    echo "unknown case $CASE"; exit 2 ;;
esac
exit $fail
