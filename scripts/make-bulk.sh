#!/usr/bin/env bash
# Builds the bulk capture of the live benchmark: real downloads from nginx by curl, over a
# network namespace's loopback with wire-sized segments (MTU 1500, no segmentation offload),
# captured with dumpcap. Eight 16 MB files: four over HTTP on one keep-alive connection, two
# over HTTPS with TLS 1.3 and two with TLS 1.2 (a connection each). About 130k frames, most of
# them full-size. Needs root, nginx, curl, dumpcap, openssl, ethtool.
#   make-bulk.sh OUT.pcap
set -euo pipefail
OUT=$(realpath -m "$1")
for t in nginx curl dumpcap openssl ethtool ip; do
  command -v $t >/dev/null || { echo "make-bulk: $t not installed" >&2; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "make-bulk: needs root (a network namespace)" >&2; exit 77; }
NS=xs-bulk-$$
work=$(mktemp -d)
cleanup() {
  [ -f "$work/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null
  sleep 0.2
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up mtu 1500
ip netns exec "$NS" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true
mkdir -p "$work/www"
for i in 1 2 3 4 5 6 7 8; do head -c 16000000 /dev/urandom >"$work/www/f$i.bin"; done
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bulk.example.test" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat >"$work/nginx.conf" <<CONF
daemon on;
user root;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 64; }
http {
  access_log off;
  types { application/octet-stream bin; }
  server {
    listen 127.0.0.1:80;
    listen 127.0.0.1:443 ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    root $work/www;
  }
}
CONF
ip netns exec "$NS" nginx -c "$work/nginx.conf" -p "$work"
ip netns exec "$NS" dumpcap -q -B 256 -i lo -f "tcp port 80 or tcp port 443" -w "$work/bulk.pcap" \
  2>/dev/null &
cap=$!
for _ in $(seq 100); do [ -s "$work/bulk.pcap" ] && break; sleep 0.1; done
u=http://127.0.0.1
s=https://bulk.example.test
r=(--resolve bulk.example.test:443:127.0.0.1 -k)
ip netns exec "$NS" curl -s --http1.1 -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
  $u/f1.bin $u/f2.bin $u/f3.bin $u/f4.bin
ip netns exec "$NS" curl -s --http1.1 "${r[@]}" --tlsv1.3 -o /dev/null $s/f5.bin
ip netns exec "$NS" curl -s --http1.1 "${r[@]}" --tlsv1.3 -o /dev/null $s/f6.bin
ip netns exec "$NS" curl -s --http1.1 "${r[@]}" --tls-max 1.2 -o /dev/null $s/f7.bin
ip netns exec "$NS" curl -s --http1.1 "${r[@]}" --tls-max 1.2 -o /dev/null $s/f8.bin
sleep 0.5
kill -INT "$cap"
wait "$cap" 2>/dev/null || true
mkdir -p "$(dirname "$OUT")"
mv "$work/bulk.pcap" "$OUT"
