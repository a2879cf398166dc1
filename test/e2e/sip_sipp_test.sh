#!/usr/bin/env bash
# Real SIP traffic: sipp's built-in UAC calls sipp's UAS twice over UDP and twice over TCP on a
# loopback address; dumpcap captures it; xsensor reads the capture and exports IPFIX to
# xsensor-recv. Every message sipp logged (sent and received, both transports) must be a `sip`
# record with the same method or status, request URI, Call-ID, From, To, Content-Type and Via host.
# Exit 77 = skipped, with the reason.
set -euo pipefail
XSENSOR=$(realpath "$1")
RECV=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
for t in sipp dumpcap; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (capture on lo)"; exit 77; }
A=127.0.$(( RANDOM % 200 + 20 )).60
work=$(mktemp -d)
pids=()
trap 'pkill -f "sipp.*-i $A" || true; e2e_cleanup' EXIT
cd "$work"
dumpcap -q -i lo -f "host $A" -w cap.pcap 2>/dev/null &
pids+=($!)
sleep 1
sipp -sn uas -i $A -p 5060 -t u1 -bg >/dev/null 2>&1 || true  # -bg: the parent exits non-zero
sipp -sn uas -i $A -p 5060 -t t1 -bg >/dev/null 2>&1 || true
sleep 0.5
timeout 30 sipp -sn uac $A:5060 -i $A -p 5071 -t u1 -m 2 -trace_msg -message_file udp.log >/dev/null 2>&1
timeout 30 sipp -sn uac $A:5060 -i $A -p 5072 -t t1 -m 2 -trace_msg -message_file tcp.log >/dev/null 2>&1
sleep 0.5
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

e2e_export_metadata cap.pcap

# sipp's log: one block per message; key fields of each as "code|uri|callid|from|to|ctype|via".
awk '
  function flush() {
    if (start != "") print start "|" uri "|" cid "|" from "|" to "|" ct "|" via
    start = ""
  }
  { sub(/\r$/, "") }
  /^----------/ { flush(); inmsg = 0; next }
  /message (sent|received)/ { inmsg = 1; hdr = 1; start = ""; cid = from = to = ct = via = ""; next }
  inmsg && start == "" && NF {
    if ($1 == "SIP/2.0") { start = $2; uri = "" } else { start = $1; uri = $2 }
    next
  }
  inmsg && hdr && $0 == "" { if (start != "") hdr = 0; next }
  inmsg && hdr {
    if ($1 == "Call-ID:") cid = substr($0, 10)
    if ($1 == "From:") from = substr($0, 7)
    if ($1 == "To:") to = substr($0, 5)
    if ($1 == "Content-Type:") ct = substr($0, 15)
    if ($1 == "Via:" && via == "") { v = $3; sub(/[:;].*/, "", v); via = v }
  }
  END { flush() }' udp.log tcp.log | sort -u >expected
# The records the same way, from xsensor-recv's JSON.
while IFS= read -r r; do
  code=$(field status_code "$r")
  [ "$code" != 0 ] || code=$(field msg_code "$r")
  gateways=$(field gateways "$r")
  echo "$code|$(field uri "$r")|$(field callid "$r")|$(field from "$r")|$(field to "$r")|$(
    field ctype "$r")|${gateways%%,*}"
done <records.json | sed 's/\\"/"/g' | sort -u >got

fail=0
n=$(wc -l <expected)
[ "$n" -ge 10 ] || { echo "FAIL: sipp logged only $n distinct messages"; head udp.log; exit 1; }
while IFS= read -r line; do
  grep -qxF "$line" got || { echo "FAIL: not exported: $line"; fail=1; }
done <expected
for t in UDP TCP; do
  grep -q "$t message sent" udp.log tcp.log || { echo "FAIL: no $t messages"; fail=1; }
done
echo "$n distinct messages sipp logged; $(wc -l <records.json) sip records"
[ $fail -eq 0 ] && echo "ok: every message sipp logged was exported with the same values" ||
  { echo "--- expected"; cat expected; echo "--- got"; cat got; }
exit $fail
