#!/usr/bin/env bash
# IMAP as a mail client reads a mailbox: Python's imaplib logs in to dovecot (Debian's
# dovecot-imapd, run from a configuration of the test's own in a namespace), lists the
# mailbox with one FETCH 1:N of every message's UID, flags, size and header fields (the
# request mail clients send), then fetches one whole message. The response carries N
# messages' headers across many segments, several per segment. Every message the client
# received must be one `mail` record with the From, To and Subject the client parsed
# (folded headers unfolded, RFC 5322 2.2.3), plus the whole message once more.
# Exit 77 = skipped, with the reason.
set -euo pipefail
XSENSOR=$(realpath "$1")
RECV=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
for t in dovecot dumpcap ip python3; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespace, port 143)"; exit 77; }
id dovenull >/dev/null 2>&1 || { echo "SKIP: no dovenull user (dovecot-core not installed)"; exit 77; }
A=127.0.$(( RANDOM % 200 + 20 )).143
NS=xs-imap-$$
work=$(mktemp -d)
chmod 755 "$work"
pids=()
trap e2e_cleanup EXIT
cd "$work"
e2e_netns
# Segments of an Ethernet link (not loopback's 64 KiB): the response spreads over many, with
# lines and literals cut at their edges.
ip -n "$NS" link set lo mtu 1500
N=40
mkdir -p run state home mail/alice/{cur,new,tmp}
python3 - "$N" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(1, n + 1):
    subject = f"status report number {i}"
    if i % 3 == 0:  # a long subject, folded across two lines
        subject = f"a long subject line for message {i} that a mail client\r\n folds in two"
    body = "hello\r\n" * (i % 7 + 1)
    msg = (f"From: Sender {i} <sender{i}@example.test>\r\n"
           f"To: alice@example.test, team{i % 4}@example.test\r\n"
           f"Subject: {subject}\r\n"
           f"Date: Mon, 1 Jan 2024 10:{i % 60:02d}:00 +0000\r\n"
           f"Message-ID: <{i}@example.test>\r\n\r\n{body}")
    open(f"mail/alice/cur/{1700000000 + i}.{i}.host:2,", "w", newline="").write(msg)
PY
chown -R nobody:nogroup mail home
echo "alice:{PLAIN}secret" >passwd
cat >dovecot.conf <<CONF
base_dir = $work/run
state_dir = $work/state
log_path = $work/dovecot.log
protocols = imap
listen = $A
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:$work/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN $work/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$work/home/%u
}
service imap-login {
  inet_listener imap {
    port = 143
  }
}
CONF
ip netns exec "$NS" dovecot -F -c "$work/dovecot.conf" 2>dovecot.start.err &
pids+=($!)
ip netns exec "$NS" dumpcap -q -i lo -f "host $A" -w cap.pcap 2>/dev/null &
cap=$!
pids+=($cap)
e2e_wait_listening "$A" 143 cap.pcap

ip netns exec "$NS" python3 - "$A" >client.json 2>client.err <<'PY'
import email, email.policy, imaplib, json, re, sys
m = imaplib.IMAP4(sys.argv[1], 143)
m.login("alice", "secret")
n = int(m.select("INBOX")[1][0])
typ, data = m.fetch(f"1:{n}", "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])")
got = []
def add(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    addrs = lambda h: ",".join(a.addr_spec for a in (msg[h].addresses if msg[h] else []))
    got.append({"from": addrs("From"), "to": addrs("To"), "subject": str(msg["Subject"])})
for part in data:
    if isinstance(part, tuple):
        add(part[1])
typ, data = m.fetch("5", "(RFC822)")
add(data[0][1])
m.logout()
print(json.dumps(got))
PY
e2e_stop_capture
e2e_export_metadata cap.pcap

PYTHONPATH="$E2E_DIR" python3 - "$N" <<'PY'
import json, sys
from e2e_check import check, finish, lines, records
n = int(sys.argv[1])
client = json.load(open("client.json"))
recs = records()
mails = [r for r in recs if r["template"] == "mail" and r["event"] == 2 and r["mail_subject"]]
check(len(client) == n + 1, f"the client received {len(client)} messages ({n} headers + 1 whole)")
want = sorted((c["from"], c["to"], c["subject"]) for c in client)
got = sorted((r["mail_sender"], r["mail_receiver"], r["mail_subject"]) for r in mails)
check(want == got, f"one mail record per message received, equal to the client's parse ({len(got)} records)")
if want != got:
    print("  missing:", *[w for w in want if w not in got][:10], sep="\n    ")
    print("  extra:", *[g for g in got if g not in want][:10], sep="\n    ")
finish()
PY
