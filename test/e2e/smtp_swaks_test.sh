#!/usr/bin/env bash
# Real SMTP traffic: swaks sends four messages (several recipients, a Cc, an RFC 2047 subject,
# a file attachment, one message the server refuses) to Python's standard-library SMTP server
# in a network namespace of its own; dumpcap captures it; xsensor reads the capture and exports
# IPFIX to xsensor-recv. Each message swaks's transcript shows must be one `mail` record with
# the same sender, recipients, Cc, subject, server name, final reply code and attachment flag.
# Exit 77 = skipped, with the reason.
set -euo pipefail
XSENSOR=$(realpath "$1")
RECV=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
for t in swaks python3 dumpcap ip; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
python3 -W ignore -c 'import smtpd' 2>/dev/null ||
  { echo "SKIP: this python3 has no smtpd module (removed in 3.12)"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespace, port 25)"; exit 77; }
A=127.0.$(( RANDOM % 200 + 20 )).25
NS=xs-smtp-$$
work=$(mktemp -d)
pids=()
trap e2e_cleanup EXIT
cd "$work"
e2e_netns

# The server accepts every message but one whose subject says "refuse".
cat >server.py <<'EOF'
import asyncore, smtpd, sys
class Server(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        return "554 5.7.1 refused by policy" if b"refuse" in data else None
Server((sys.argv[1], 25), None, decode_data=False)
asyncore.loop()
EOF
ip netns exec "$NS" python3 -W ignore server.py "$A" 2>server.err &
pids+=($!)
ip netns exec "$NS" dumpcap -q -i lo -f "host $A" -w cap.pcap 2>/dev/null &
cap=$!
pids+=($cap)
e2e_wait_listening "$A" 25 cap.pcap

echo "quarterly figures" >report.csv
send() {  # name, swaks options...
  local name=$1
  shift
  ip netns exec "$NS" swaks --server "$A" --helo client.example.test --timeout 10 "$@" \
    >"$name.log" 2>&1 || true
}
send plain --from alice@example.test --to bob@example.test,carol@example.test \
  --header "Subject: lunch on friday" --header "Cc: Dave <dave@example.test>"
send encoded --from erin@example.test --to frank@example.test \
  --header "Subject: =?UTF-8?B?w4lsw6lnaWUgZMOpasOgIHZ1ZQ==?="
send attached --from grace@example.test --to heidi@example.test \
  --header "Subject: the report" --attach @report.csv
send refused --from mallory@example.test --to ivan@example.test --header "Subject: please refuse"
sleep 0.5
kill -INT "$cap"
wait "$cap" 2>/dev/null || true

e2e_export_metadata cap.pcap

# swaks's transcript: " -> MAIL FROM:<a>", " -> RCPT TO:<b>", " -> Subject: s", "<-  250 ...".
# One line per message: "sender|receivers|cc|subject|server|result|attachment".
for name in plain encoded attached refused; do
  awk '
    { sub(/\r$/, "") }
    $1 == "<-" && $2 == 220 && server == "" { server = $3 }
    $1 == "->" && $2 == "MAIL" { s = $3; sub(/^FROM:</, "", s); sub(/>.*/, "", s); from = s }
    $1 == "->" && $2 == "RCPT" { s = $3; sub(/^TO:</, "", s); sub(/>.*/, "", s)
                                 to = to (to == "" ? "" : ",") s }
    $1 == "->" && $2 == "Subject:" && subject == "" { subject = substr($0, index($0, "Subject:") + 9) }
    $1 == "->" && $2 == "Cc:" { s = $0; sub(/.*</, "", s); sub(/>.*/, "", s); cc = s }
    $1 == "->" && $2 == "Content-Disposition:" && $3 ~ /^attachment/ { att = 1 }
    $1 == "->" && $2 == "." && NF == 2 { dot = 1; next }
    dot && ($1 == "<-" || $1 == "<~" || $1 == "<**") { result = $2; dot = 0 }
    END { print from "|" to "|" cc "|" subject "|" server "|" result "|" (att ? 1 : 0) }' "$name.log"
done | sort >expected
{ grep '"template":"mail"' records.json || true; } | while IFS= read -r r; do
  echo "$(field mail_sender "$r")|$(field mail_receiver "$r")|$(field mail_cc "$r")|$(
    field mail_subject "$r")|$(field mail_servers "$r")|$(field result_code "$r")|$(
    field attachment "$r")"
done | sort >got

fail=0
[ "$(wc -l <expected)" -eq 4 ] || { echo "FAIL: swaks logs show $(wc -l <expected) messages"; fail=1; }
grep -q '|554|' expected && grep -q '|250|' expected && grep -q '|1$' expected ||
  { echo "FAIL: swaks's transcripts lack the 250, the 554 or the attachment"; cat plain.log; fail=1; }
# RFC 2047: the record carries the decoded subject, swaks shows the encoded one.
sed -i 's/=?UTF-8?B?w4lsw6lnaWUgZMOpasOgIHZ1ZQ==?=/Élégie déjà vue/' expected
echo "$(wc -l <expected) messages from swaks, $(grep -c '"template":"mail"' records.json) mail records"
e2e_compare_and_exit "swaks's messages" "every message swaks sent was exported with the same values" \
  server.err sensor.err
