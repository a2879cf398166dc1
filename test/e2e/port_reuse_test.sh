#!/usr/bin/env bash
# A client that reuses its address and port for a new connection right after the previous one
# ended (as NAT'ed subscribers do): Python sockets bound to one source port talk to nginx four
# times in a row. The first two connections end with FIN both ways (nginx closes first, then
# the next SYN meets its TIME_WAIT), the third is reset by the client (SO_LINGER 0) and the
# fourth follows at once. tshark decodes the capture: every request it shows must be one
# clickstream record with its path, and every TCP connection it tells apart (tcp.stream) one
# SESSION_ID. Exit 77 = skipped, with the reason.
set -euo pipefail
XSENSOR=$(realpath "$1")
RECV=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
for t in nginx dumpcap tshark ip python3; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespace, capture)"; exit 77; }
A=127.0.$(( RANDOM % 200 + 20 )).80
NS=xs-reuse-$$
work=$(mktemp -d)
pids=()
trap e2e_cleanup EXIT
cd "$work"
e2e_netns
mkdir -p www
for p in first second third fourth; do echo "<html>$p</html>" >"www/$p"; done
e2e_nginx <<CONF
  types { text/html html; }
  default_type text/html;
  server { listen $A:80; root $work/www; }
CONF
ip netns exec "$NS" dumpcap -q -i lo -f "host $A" -w cap.pcap 2>/dev/null &
cap=$!
pids+=($cap)
e2e_wait_listening "$A" 80 cap.pcap

ip netns exec "$NS" python3 - "$A" >client.log 2>&1 <<'PY'
import socket, struct, sys, time
server = (sys.argv[1], 80)
PORT = 40123
def connect():
    for _ in range(50):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", PORT))
            s.connect(server)
            return s
        except OSError:
            s.close()
            time.sleep(0.05)
    raise SystemExit("could not reuse the port")
def request(s, path, close):
    s.sendall(("GET /%s HTTP/1.1\r\nHost: reuse.example\r\nUser-Agent: xs-e2e/reuse\r\n"
               "Connection: %s\r\n\r\n" % (path, "close" if close else "keep-alive")).encode())
for path in ("first", "second"):  # nginx closes first: FIN both ways
    s = connect()
    request(s, path, True)
    while s.recv(4096):
        pass
    s.close()
    print(path, "done")
s = connect()  # reset by the client once the reply came
request(s, "third", False)
data = b""
while b"</html>" not in data:
    data += s.recv(4096)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print("third reset")
s = connect()
request(s, "fourth", True)
while s.recv(4096):
    pass
s.close()
print("fourth done")
PY
e2e_stop_capture
e2e_export cap.pcap ipfix_tcp_collectors

tshark -r cap.pcap -Y http.request -T fields -E separator='|' -e tcp.stream -e tcp.srcport \
  -e http.request.uri >t_requests 2>/dev/null
PYTHONPATH="$E2E_DIR" python3 - <<'PY'
from e2e_check import check, finish, lines, records
recs = records()
rows = lines("t_requests")
check(len(rows) == 4 and len({r[1] for r in rows}) == 1,
      f"tshark shows 4 requests from one client port: {rows}")
want = sorted(r[2] for r in rows)
clicks = [x for x in recs if x["template"] == "clickstream"]
got = sorted(x["path"] for x in clicks)
check(want == got, f"clickstream paths equal tshark's requests: {got}")
check(len({x["session_id"] for x in clicks}) == len({r[0] for r in rows}) == 4,
      f"one SESSION_ID per connection tshark tells apart: {sorted({x['session_id'] for x in clicks})}")
finish()
PY
