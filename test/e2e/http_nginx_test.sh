#!/usr/bin/env bash
# Real web traffic: curl against nginx over HTTP (port 80 and an odd port, 8081) and HTTPS
# (a self-signed certificate for the site's name), with the headers a browser sends, keep-alive,
# HEAD, POST/PUT/DELETE, a redirect and a 404; dumpcap captures it; xsensor reads the capture
# (replies on) and exports the clickstream stream to xsensor-recv. tshark decodes the same
# capture independently: every request it shows must be one clickstream record with the same
# method, host, path, user agent, referer and cookie; every reply one http_reply with the same
# status, content type, length and location; every TLS ClientHello's SNI one HOST_TYPE 3
# record, and every ServerHello one ssl_reply with its version and cipher suite.
# Exit 77 = skipped, with the reason.
set -euo pipefail
XSENSOR=$(realpath "$1")
RECV=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
for t in nginx curl dumpcap tshark openssl ip python3; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespace, capture)"; exit 77; }
A=127.0.$(( RANDOM % 200 + 20 )).80
SITE=shop.example.test
NS=xs-http-$$
work=$(mktemp -d)
pids=()
trap e2e_cleanup EXIT
cd "$work"
e2e_netns
mkdir -p www/api
echo "<html>index</html>" >www/index.html
echo "body { color: red }" >www/style.css
echo "<html>secure</html>" >www/secure.html
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$SITE" -keyout key.pem \
  -out cert.pem 2>/dev/null
e2e_nginx <<CONF
  types { text/html html; text/css css; }
  server {
    listen $A:80;
    listen $A:8081;
    listen $A:443 ssl;
    server_name $SITE;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    root $work/www;
    location /api/ { default_type application/json; return 201 '{"ok":true}'; }
    location = /old { return 301 http://$SITE/index.html; }
  }
CONF
ip netns exec "$NS" dumpcap -q -i lo -f "host $A" -w cap.pcap 2>/dev/null &
cap=$!
pids+=($cap)
e2e_wait_listening "$A" 80 cap.pcap
e2e_wait_listening "$A" 443 cap.pcap

c() { ip netns exec "$NS" curl -s --max-time 10 --resolve "$SITE:80:$A" \
        --resolve "$SITE:8081:$A" --resolve "$SITE:443:$A" "$@" >/dev/null || true; }
c -A "Mozilla/5.0 (X11; Linux x86_64) xs-e2e" -e "http://search.example/?q=shop" \
  -b "sid=abc123; theme=dark" "http://$SITE/index.html?utm=1&x=%20y"
c -A "xs-e2e/keepalive" "http://$SITE/index.html" "http://$SITE/style.css" "http://$SITE/missing"
c -I "http://$SITE/style.css"
c -d "name=widget&qty=2" "http://$SITE/api/items"
c -X PUT -d "qty=3" "http://$SITE/api/items/7"
c -X DELETE "http://$SITE/api/items/7"
c "http://$SITE/old"
c -H "Host: $SITE:8081" "http://$SITE:8081/index.html"
c -k --http1.1 -A "xs-e2e/tls" "https://$SITE/secure.html"
c -k --http1.1 --tlsv1.2 --tls-max 1.2 "https://$SITE/secure.html"
e2e_stop_capture
e2e_export cap.pcap ipfix_tcp_collectors --http_parse_reply=1 --ssl_parse_reply=1

# tshark's view (ports 8081 decoded as HTTP too).
T=(tshark -r cap.pcap -d tcp.port==8081,http -o tls.desegment_ssl_records:TRUE)
"${T[@]}" -Y "http.request" -T fields -E separator='|' -e http.request.method -e http.host \
  -e http.request.uri -e http.user_agent -e http.referer -e http.cookie >t_requests 2>/dev/null
"${T[@]}" -Y "http.response" -T fields -E separator='|' -e http.response.code \
  -e http.content_type -e http.content_length_header -e http.location >t_replies 2>/dev/null
"${T[@]}" -Y "tls.handshake.type == 1" -T fields -e tls.handshake.extensions_server_name \
  >t_sni 2>/dev/null
"${T[@]}" -Y "tls.handshake.type == 2" -T fields -E separator='|' -e tls.handshake.version \
  -e tls.handshake.extensions.supported_version -e tls.handshake.ciphersuite >t_shello 2>/dev/null

PYTHONPATH="$E2E_DIR" python3 - <<'PY'
from e2e_check import check, finish, lines, records
recs = records()
codes = {"GET": 1, "POST": 2, "PUT": 3, "DELETE": 4}
want = sorted((codes.get(m, 0), h.split(":")[0], u, a, r, c) for m, h, u, a, r, c in lines("t_requests"))
got = sorted((x["method"], x["hostname"], x["path"], x["user_agent"], x["referer"], x["cookie"])
             for x in recs if x["template"] == "clickstream" and x["host_type"] == 1)
check(len(want) >= 10, f"tshark shows {len(want)} HTTP requests")
check(want == got, f"clickstream records equal tshark's requests ({len(got)})")
if want != got:
    print("  tshark:", *want, sep="\n    "); print("  xsensor:", *got, sep="\n    ")
want = sorted((int(c), t, int(l or 0), loc) for c, t, l, loc in lines("t_replies"))
got = sorted((x["result_code"], x["content_type"], x["content_length"], x["location"])
             for x in recs if x["template"] == "http_reply")
check(want == got, f"http_reply records equal tshark's replies ({len(got)})")
if want != got:
    print("  tshark:", *want, sep="\n    "); print("  xsensor:", *got, sep="\n    ")
want = sorted(l[0] for l in lines("t_sni"))
got = sorted(x["hostname"] for x in recs if x["template"] == "clickstream" and x["host_type"] == 3)
check(want == got and len(got) == 2, f"SNI records equal tshark's ClientHellos: {got}")
want = sorted((int(sv or v, 16), int(cs, 16)) for v, sv, cs in lines("t_shello"))
got = sorted((x["ssl_version"], x["cipher_suite"]) for x in recs if x["template"] == "ssl_reply")
check(want == got, f"ssl_reply records equal tshark's ServerHellos: {got}")
check({0x0303, 0x0304} <= {v for v, _ in got}, "TLS 1.2 and TLS 1.3 both seen")
finish()
PY
