#!/usr/bin/env bash
# make install, checked: installs into a temporary prefix, then
#   - the installed binaries run and the written configuration file loads without a warning;
#   - install-config.sh never replaces an operator's configuration;
#   - systemd-analyze verify accepts the unit (paths, directives), systemd-analyze security
#     scores its hardening <= 3.0, and logrotate -d accepts its file;
#   - as root with veth: the unit's own ExecStartPre/ExecStart/ExecStopPost lines, %i and
#     $XSENSOR_ARGS substituted as systemd does, prepare the interface, capture, stop on
#     SIGTERM with status 0 and leave no XDP program behind.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR. Exit 77 = skipped, with the reason.
set -euo pipefail
BUILD=$(realpath "$1")
SRC=$(realpath "$2")
tmp=$(mktemp -d)
NAME="xsi$$"
NAME=${NAME:0:12}
pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  bash "$SRC/scripts/veth-harness.sh" down "$NAME" >/dev/null 2>&1 || true
  rm -rf "$tmp" "/var/log/xsensor/$NAME"
}
trap cleanup EXIT
fail=0
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }

XSENSOR_SYSCONFDIR=$tmp/etc cmake --install "$BUILD" --prefix "$tmp/usr" >"$tmp/install.log"
bash "$SRC/scripts/install-config.sh" "$tmp/usr/bin/xsensor" "$tmp/etc" >/dev/null
conf=$tmp/etc/xsensor/xsensor.conf
unit=$tmp/usr/lib/systemd/system/xsensor@.service
for f in usr/bin/xsensor usr/bin/xsensor-recv usr/libexec/xsensor/attach-nic.sh \
         usr/lib/systemd/system/xsensor@.service etc/logrotate.d/xsensor \
         etc/xsensor/xsensor.conf usr/share/doc/xsensor/README.md \
         usr/share/doc/xsensor/xsensor.conf.example usr/share/doc/xsensor/copyright \
         usr/share/doc/xsensor/changelog.gz usr/share/man/man1/xsensor.1.gz \
         usr/share/man/man1/xsensor-recv.1.gz usr/lib/systemd/system/xsensor-recv.service \
         usr/share/xsensor/prometheus/xsensor.rules.yml \
         usr/share/xsensor/grafana/xsensor-dashboard.json \
         usr/share/xsensor/elements/xsensor-elements.xml \
         usr/share/xsensor/elements/xsensor-libfds.xml usr/share/xsensor/elements/xsensor.lua; do
  check '[ -s "$tmp/$f" ]' "installed $f"
done
for f in xsensor-elements.xml xsensor-libfds.xml xsensor.lua; do
  check 'cmp -s "$tmp/usr/share/xsensor/elements/$f" "$BUILD/share/$f"' \
    "the installed $f is the one generated from this build's schema"
done
"$BUILD/test/xsensor-demo-pcap" "$tmp/probe.pcap" probe
# Installed, it has no collector: it refuses to run, saying what to give (it would export nothing).
check '! "$tmp/usr/bin/xsensor" --config "$conf" --pcap "$tmp/probe.pcap" --print_counters=false 2>"$tmp/run.log" && grep -q "nothing would be exported" "$tmp/run.log"' \
  "the installed configuration, without a collector, is refused with what to give"
printf "# the operator's\nipfix_tcp_collectors=127.0.0.1:4739\nipfix_meta_tcp_collectors=127.0.0.1:4739\nipfix_dns_tcp_collectors=127.0.0.1:4739\n" >>"$conf"
# (Nobody listens on that port: the only warnings are the collector's.)
check '"$tmp/usr/bin/xsensor" --config "$conf" --pcap "$tmp/probe.pcap" --print_counters=false 2>"$tmp/run.log" && ! grep WARN "$tmp/run.log" | grep -qv "collector\|not delivered"' \
  "with the collectors set the installed sensor runs on it without a warning about it"
sum=$(md5sum <"$conf")
bash "$SRC/scripts/install-config.sh" "$tmp/usr/bin/xsensor" "$tmp/etc" >/dev/null
check '[ "$(md5sum <"$conf")" = "$sum" ]' "a second install leaves the configuration alone"
check '! grep -qE "@[A-Z_]+@" "$unit"' "every placeholder of the unit filled"
# Two instances (two interfaces) never write the same statistics, alert or DNS log file.
for i in eth1 eth2; do
  sed -n 's/^ExecStart=//p' "$unit" | sed "s/%i/$i/g" | grep -oE -- '--(log_dir|ajb_dns_path)=[^ ]+' \
    | sort >"$tmp/paths.$i"
done
check '[ "$(wc -l <"$tmp/paths.eth1")" -eq 2 ] && [ -z "$(comm -12 "$tmp/paths.eth1" "$tmp/paths.eth2")" ]' \
  "two instances of the unit share no log file ($(tr '\n' ' ' <"$tmp/paths.eth1"))"

if command -v systemd-analyze >/dev/null; then
  cp "$unit" "$tmp/xsensor@eth1.service"
  check 'systemd-analyze verify "$tmp/xsensor@eth1.service" >"$tmp/verify.log" 2>&1 && ! [ -s "$tmp/verify.log" ]' \
    "systemd-analyze verify accepts the unit"
  cat "$tmp/verify.log"
  # The unit's hardening, as systemd itself scores it (0 safe .. 10 unsafe; 9.6 unhardened).
  score=$(systemd-analyze security --offline=yes "$tmp/xsensor@eth1.service" 2>/dev/null |
          sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  check 'awk -v s="$score" "BEGIN { exit !(s != \"\" && s <= 3.0) }"' \
    "systemd-analyze security scores the unit ${score:-?} (<= 3.0)"
else
  echo "SKIP (check): systemd-analyze not installed"
fi
if command -v logrotate >/dev/null; then
  check 'logrotate -d -s "$tmp/rot.state" "$tmp/etc/logrotate.d/xsensor" >"$tmp/rot.log" 2>&1 && ! grep -qi error "$tmp/rot.log"' \
    "logrotate -d accepts the logrotate file"
else
  echo "SKIP (check): logrotate not installed"
fi

# The unit's commands, run as systemd would run them for instance $NAME.
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v ethtool >/dev/null ||
   ! bash "$SRC/scripts/veth-harness.sh" up "$NAME" 2 >/dev/null 2>&1; then
  echo "SKIP (check): the unit's commands need root, iproute2, ethtool and veth"
  exit $fail
fi
line() {  # the command of directive $1, %i and $XSENSOR_ARGS substituted, prefixes dropped
  sed -n "s/^$1=[-+@:!]*//p" "$unit" | sed "s/%i/$NAME/g; s|\\\$XSENSOR_ARGS|$XSENSOR_ARGS|"
}
# ExecStart runs as systemd runs it: a user of its own (DynamicUser; here nobody), the unit's
# capabilities ambient and nothing beyond its bounding set, its log and state folders given to
# that user.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
check 'grep -qx "DynamicUser=yes" "$unit" && [ "$(sed -n "s/^AmbientCapabilities=//p" "$unit")" = "$(sed -n "s/^CapabilityBoundingSet=//p" "$unit")" ]' \
  "the unit runs the sensor as a user of its own, with the setup's capabilities only"
mkdir -p "/var/log/xsensor/$NAME" "$tmp/state"
chown nobody "/var/log/xsensor/$NAME" "$tmp/state"
XSENSOR_ARGS="--metrics_listen=127.0.0.1:0 --counters_out=$tmp/state/counters"
chmod o+x "$tmp"
check 'eval "$(line ExecStartPre)" >"$tmp/pre.log" 2>&1 && grep -q "configuration ok" "$tmp/pre.log"' \
  "ExecStartPre checks the configuration and prepares $NAME"
eval "exec setpriv --reuid=nobody --regid=nogroup --clear-groups --bounding-set=-all,$caps --inh-caps=-all,$caps --ambient-caps=-all,$caps $(line ExecStart)" 2>"$tmp/sensor.log" &
pid=$!
for _ in $(seq 100); do grep -q "capturing on" "$tmp/sensor.log" && break; sleep 0.05; done
check 'grep -q "capturing on $NAME" "$tmp/sensor.log"' "ExecStart captures on $NAME"
check 'ip link show "$NAME" | grep -q " xdp"' "the XDP program is attached"
check '[ "$(awk "/^Uid:/ {print \$2}" /proc/$pid/status)" = "$(id -u nobody)" ] && [ "$(awk "/^CapEff:/ {print \$2}" /proc/$pid/status)" = 0000000000000000 ]' \
  "it runs as that user, every capability dropped once set up"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
check '[ $rc -eq 0 ]' "SIGTERM (the unit's KillSignal) stops it with status 0"
check 'eval "$(line ExecStopPost)" >"$tmp/post.log" 2>&1' "ExecStopPost restores $NAME"
check '! ip link show "$NAME" | grep -q " xdp"' "no XDP program left"
[ $fail -eq 0 ] || cat "$tmp/sensor.log" "$tmp/pre.log"
exit $fail
