#!/usr/bin/env bash
# Mail over STARTTLS (RFC 3207): swaks sends a message with --tls (and an SNI) to aiosmtpd
# (Debian's python3-aiosmtpd, an SMTP server with STARTTLS) in a namespace; a second attempt
# asks STARTTLS of a server that does not offer it (refused: the session goes on in clear).
# tshark decodes the capture: the ClientHello's SNI must be one clickstream record with
# HOST_TYPE 3 and the ServerHello one ssl_reply with the same version and cipher suite and the
# certificate's CN, as on a TLS port; the refused STARTTLS gives no TLS record and its message
# its mail record. Exit 77 = skipped, with the reason.
set -euo pipefail
XSENSOR=$(realpath "$1")
RECV=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3  # Debian's, where python3-aiosmtpd is installed
for t in swaks dumpcap tshark ip openssl $PY; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
$PY -c 'import aiosmtpd' 2>/dev/null || { echo "SKIP: python3-aiosmtpd not installed"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespace, port 25)"; exit 77; }
A=127.0.$(( RANDOM % 200 + 20 )).25
NS=xs-smtptls-$$
work=$(mktemp -d)
pids=()
trap e2e_cleanup EXIT
cd "$work"
e2e_netns
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mx.starttls.example" \
  -keyout key.pem -out cert.pem 2>/dev/null
cat >server.py <<'PY'
import ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain("cert.pem", "key.pem")
class Refusing(SMTP):  # advertises STARTTLS, then refuses it (RFC 3207 4: 454)
    async def smtp_STARTTLS(self, arg):
        await self.push("454 4.7.0 TLS not available due to temporary reason")
class RefusingController(Controller):
    def factory(self):
        return Refusing(self.handler, **self.SMTP_kwargs)
with_tls = Controller(Sink(), hostname=sys.argv[1], port=25, tls_context=tls,
                      require_starttls=False, server_hostname="mx.starttls.example")
plain = RefusingController(Sink(), hostname=sys.argv[1], port=587, tls_context=tls,
                           require_starttls=False, server_hostname="mx.plain.example")
with_tls.start()
plain.start()
time.sleep(600)
PY
ip netns exec "$NS" $PY server.py "$A" 2>server.err &
pids+=($!)
ip netns exec "$NS" dumpcap -q -i lo -f "host $A" -w cap.pcap 2>/dev/null &
cap=$!
pids+=($cap)
e2e_wait_listening "$A" 25 cap.pcap
e2e_wait_listening "$A" 587 cap.pcap
ip netns exec "$NS" swaks --server "$A" --helo client.example.test --timeout 10 --tls \
  --tls-sni mx.starttls.example --from alice@example.test --to bob@example.test \
  --header "Subject: over tls" >tls.log 2>&1 || true
ip netns exec "$NS" swaks --server "$A" --port 587 --helo client.example.test --timeout 10 \
  --tls-optional --from carol@example.test --to dave@example.test \
  --header "Subject: in clear" >plain.log 2>&1 || true
e2e_stop_capture
grep -q "TLS started" tls.log || { echo "FAIL: swaks did not start TLS"; cat tls.log server.err; exit 1; }

e2e_export cap.pcap ipfix_tcp_collectors,ipfix_meta_tcp_collectors --ssl_parse_reply=1

T=(tshark -r cap.pcap -d tcp.port==587,smtp)
"${T[@]}" -Y "tls.handshake.type == 1" -T fields -e tls.handshake.extensions_server_name \
  >t_sni 2>/dev/null
"${T[@]}" -Y "tls.handshake.type == 2" -T fields -E separator='|' -e tls.handshake.version \
  -e tls.handshake.extensions.supported_version -e tls.handshake.ciphersuite >t_shello 2>/dev/null
"${T[@]}" -Y 'smtp.command_line contains "STARTTLS"' -T fields -e tcp.dstport >t_starttls 2>/dev/null
PYTHONPATH="$E2E_DIR" $PY - <<'PY'
from e2e_check import check, finish, lines, records
recs = records()
starttls = sorted(int(l[0]) for l in lines("t_starttls"))
check(starttls == [25, 587], f"tshark sees STARTTLS asked on 25 and 587: {starttls}")
want = sorted(l[0] for l in lines("t_sni"))
got = sorted(x["hostname"] for x in recs if x["template"] == "clickstream" and x["host_type"] == 3)
check(want == got == ["mx.starttls.example"], f"SNI records equal tshark's ClientHellos: {got}")
want = sorted((int(sv or v, 16), int(cs, 16)) for v, sv, cs in lines("t_shello"))
replies = [x for x in recs if x["template"] == "ssl_reply"]
got = sorted((x["ssl_version"], x["cipher_suite"]) for x in replies)
check(len(want) == 1 and want == got, f"ssl_reply records equal tshark's ServerHellos: {got}")
check([x["cname"] for x in replies] == ["mx.starttls.example"] or
      (want and want[0][0] == 0x0304 and [x["cname"] for x in replies] == [""]),
      f"CNAME from the certificate (TLS 1.2) or empty (1.3): {[x['cname'] for x in replies]}")
mails = [x for x in recs if x["template"] == "mail"]
check([(m["mail_sender"], m["mail_subject"]) for m in mails] == [("carol@example.test", "in clear")],
      f"the message after a refused STARTTLS is exported, the encrypted one is not: {[(m['mail_sender'], m['mail_subject']) for m in mails]}")
finish()
PY
