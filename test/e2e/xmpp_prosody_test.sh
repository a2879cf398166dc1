#!/usr/bin/env bash
# Real XMPP traffic: sendxmpp logs in to a local prosody with SASL PLAIN and sends a message to
# two recipients; a second login uses a wrong password. Both run in a network namespace of
# their own; dumpcap captures it; xsensor reads the capture and exports IPFIX to xsensor-recv.
# Each session sendxmpp's debug transcript shows must be one `im` record with the same login,
# password, bound JID, recipients and result (0 success, 1 failure). Exit 77 = skipped.
set -euo pipefail
XSENSOR=$(realpath "$1")
RECV=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
for t in prosody prosodyctl sendxmpp dumpcap ip base64; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespace, capture)"; exit 77; }
A=127.0.$(( RANDOM % 200 + 20 )).22
NS=xs-xmpp-$$
work=$(mktemp -d)
pids=()
trap e2e_cleanup EXIT
cd "$work"
chmod 755 "$work"
e2e_netns
mkdir -p data
cat >prosody.cfg.lua <<EOF
pidfile = "$work/data/prosody.pid"
data_path = "$work/data"
daemonize = false
interfaces = { "$A" }
c2s_ports = { 5222 }
s2s_ports = { }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
modules_enabled = { "roster"; "saslauth"; "disco"; "ping" }
log = { info = "$work/data/prosody.log"; error = "$work/data/prosody.err" }
VirtualHost "example.test"
EOF
# Prosody refuses to run as root (and prosodyctl switches to it): its data is the package user's.
getent passwd prosody >/dev/null || { echo "SKIP: no 'prosody' user"; exit 77; }
chown -R prosody data
for u in alice:s3cret bob:b0b carol:c4rol; do
  prosodyctl --config "$work/prosody.cfg.lua" register "${u%%:*}" example.test "${u#*:}" \
    >/dev/null 2>&1
done
ip netns exec "$NS" runuser -u prosody -- prosody --config "$work/prosody.cfg.lua" >prosody.out 2>&1 &
pids+=($!)
ip netns exec "$NS" dumpcap -q -i lo -f "host $A" -w cap.pcap 2>/dev/null &
cap=$!
pids+=($cap)
e2e_wait_listening "$A" 5222 cap.pcap

session() {  # name, user, password, recipients...
  local name=$1 user=$2 pass=$3
  shift 3
  echo "hello from $user" | ip netns exec "$NS" timeout 15 sendxmpp -d -u "$user" -p "$pass" \
    -j "$A:5222" -o example.test "$@" >"$name.log" 2>&1 || true
}
session good alice s3cret bob@example.test carol@example.test
session refused alice wrong-password bob@example.test
sleep 0.5
kill -INT "$cap"
wait "$cap" 2>/dev/null || true

e2e_export_metadata cap.pcap

# sendxmpp's transcript: the SASL PLAIN <auth> (authzid NUL authcid NUL password), <success/>
# or <failure>, the bound <jid>, <message to='...'>. One line per session:
# "login|password|jid|receivers|result".
for name in good refused; do
  b64=$({ grep -o "mechanism='PLAIN'>[^<]*" "$name.log" || true; } | head -1 | sed 's/.*>//')
  creds=$(base64 -d <<<"$b64" | tr '\0' '\n' | tail -2 | paste -sd'|')
  jid=$({ grep -o '<jid>[^<]*' "$name.log" || true; } | head -1 | sed 's/<jid>//')
  to=$({ grep -o "<message to='[^']*'" "$name.log" || true; } | sed "s/.*to='//; s/'//" | awk '!s[$0]++' |
    paste -sd,)
  result=$(grep -q '<success' "$name.log" && echo 0 || { grep -q '<failure' "$name.log" && echo 1; })
  echo "$creds|$jid|$to|$result"
done | sort >expected
{ grep '"template":"im"' records.json || true; } | while IFS= read -r r; do
  screen=$(field im_screen_name "$r")
  [ "$(field result_code "$r")" = 0 ] || screen=""  # no JID is bound after a failure
  echo "$(field im_login "$r")|$(field im_passw "$r")|$screen|$(field im_receivers "$r")|$(
    field result_code "$r")"
done | sort >got

fail=0
grep -qx 'alice|s3cret|alice@example.test/sendxmpp|bob@example.test,carol@example.test|0' expected &&
  grep -qx 'alice|wrong-password|||1' expected ||
  { echo "FAIL: sendxmpp's transcripts are not the two sessions expected"; fail=1; }
echo "$(wc -l <expected) sessions from sendxmpp, $(grep -c '"template":"im"' records.json) im records"
e2e_compare_and_exit "sendxmpp's sessions" \
  "every session sendxmpp made was exported with the same values" data/prosody.err sensor.err
