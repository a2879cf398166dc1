#!/usr/bin/env bash
# The command line an operator uses besides running: --version, --check_config (good, bad and
# unknown keys), --stats without a sensor, xsensor-recv --help.
set -euo pipefail
XSENSOR=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }
expect_rc() {  # expected-rc command...; output in $tmp/out
  local want=$1 rc=0
  shift
  "$@" >"$tmp/out" 2>&1 || rc=$?
  [ "$rc" -eq "$want" ]
}
check 'expect_rc 0 "$XSENSOR" --help && grep -q -- "--check_config" "$tmp/out" && grep -q "^  netflow_timeout (default: 30)" "$tmp/out" && ! grep -q "Flags from" "$tmp/out"' \
  "--help exits 0 with the program's flags and every configuration key, no build paths"
version=$("$XSENSOR" --version 2>&1 || true)
check 'grep -qE "^xsensor [0-9]+\.[0-9]+\.[0-9]+" <<<"$version"' "--version names the release: $version"
printf 'ipfix_mtu_limit=1200\n# a comment\nnetflow_timeout=10\nipfix_tcp_collectors=127.0.0.1:4739\n' >"$tmp/good.conf"
check 'expect_rc 0 "$XSENSOR" --config "$tmp/good.conf" --check_config && grep -q "good.conf: configuration ok" "$tmp/out"' \
  "--check_config accepts a good file"
# A configuration that exports nothing (no collector, no DNS text log) is refused, at start as by
# --check_config, unless --count_only says that is what is meant.
printf 'netflow_timeout=10\n' >"$tmp/nothing.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/nothing.conf" --check_config && grep -q "nothing.conf: nothing would be exported: no collector" "$tmp/out"' \
  "--check_config refuses a configuration that exports nothing (exit 2)"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/nothing.conf" --pcap "$tmp/demo.pcap" && grep -q "nothing would be exported" "$tmp/out"' \
  "the start refuses it too"
check 'expect_rc 0 "$XSENSOR" --config "$tmp/nothing.conf" --count_only --check_config' \
  "--count_only runs it all the same"
printf 'netflow_timeout=10\nipfix_mtu_limit=12\n' >"$tmp/bad.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/bad.conf" --check_config && grep -q "bad.conf:2: key .ipfix_mtu_limit.: 12 is out of range" "$tmp/out"' \
  "--check_config rejects a bad value with file, line and key (exit 2)"
printf 'ipfix_mtu_limit=1200\nipfix_mtu_limt=1300\n' >"$tmp/typo.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/typo.conf" --check_config && grep -q "typo.conf:2: unknown key .ipfix_mtu_limt. (did you mean .ipfix_mtu_limit.?)" "$tmp/out"' \
  "--check_config refuses an unknown key by line, with the key meant (exit 2)"
printf 'netflow_timeout=10\nipfix_mtu_limit=1200\nnetflow_timeout=20\n' >"$tmp/twice.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/twice.conf" --check_config && grep -q "twice.conf:3: key .netflow_timeout. given twice (first at .*twice.conf:1)" "$tmp/out"' \
  "--check_config refuses a key given twice, naming both lines (exit 2)"
recv="$(dirname "$XSENSOR")/xsensor-recv"
check 'expect_rc 2 "$recv" --format csv && grep -q "format .csv.: json or table" "$tmp/out"' \
  "xsensor-recv --format refuses what it cannot write (exit 2)"
check 'expect_rc 0 "$recv" --help && grep -q -- "--udp " "$tmp/out" && grep -q -- "--format " "$tmp/out" && ! grep -q "Flags from" "$tmp/out"' \
  "xsensor-recv --help lists its flags"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/missing.conf" --check_config && grep -q "missing.conf" "$tmp/out"' \
  "--check_config names a missing file"
# Values that parse but cannot be used: refused by --check_config exactly as at start (exit 2,
# where the key was set).
printf 'netflow_timeout=10\nipfix_dev=xs-no-such-if0\n' >"$tmp/dev.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/dev.conf" --check_config && grep -q "dev.conf:2: key .ipfix_dev.: no network interface .xs-no-such-if0." "$tmp/out"' \
  "--check_config refuses an ipfix_dev that does not exist"
printf 'ipfix_udp_collectors=127.0.0.1:1\n' >"$tmp/pcap_dev.conf"
"$(dirname "$XSENSOR")/../test/xsensor-demo-pcap" "$tmp/demo.pcap" >/dev/null 2>&1 || true
# A capture through a pipe (`tcpdump -w - | xsensor --pcap -`) and a FIFO: read once, whole.
frames=$("$XSENSOR" --pcap "$tmp/demo.pcap" --count_only --print_counters=false 2>&1 | sed -n 's/.*: \([0-9]*\) frames in .*/\1/p')
check '[ -n "$frames" ] && [ "$frames" -gt 0 ] && cat "$tmp/demo.pcap" | expect_rc 0 timeout 20 "$XSENSOR" --pcap - --count_only --print_counters=false && grep -q ": $frames frames in" "$tmp/out"' \
  "--pcap - reads a pipe ($frames frames, as from the file)"
check 'expect_rc 2 "$XSENSOR" --pcap "$tmp/no-such.pcap" --count_only && [ "$(grep -o "no-such.pcap" "$tmp/out" | wc -l)" -eq 1 ]' \
  "a missing capture is named once"
mkfifo "$tmp/fifo"
(cat "$tmp/demo.pcap" >"$tmp/fifo" &)
check 'expect_rc 0 timeout 20 "$XSENSOR" --pcap "$tmp/fifo" --count_only --print_counters=false && grep -q ": $frames frames in" "$tmp/out"' \
  "--pcap FIFO reads it once, without waiting for a writer that has gone"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/pcap_dev.conf" --ipfix_dev=xs-no-such-if0 --pcap "$tmp/demo.pcap" && grep -q "flag --ipfix_dev: key .ipfix_dev.: no network interface" "$tmp/out"' \
  "a run with an ipfix_dev that does not exist stops before reading (exit 2)"
printf 'netflow_timeout=10\nredact_credentials=hash\nipfix_tcp_collectors=127.0.0.1:4739\n' >"$tmp/redact.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/redact.conf" --check_config && grep -q "redact.conf:2: key .redact_credentials.: hash needs a secret in redact_key" "$tmp/out"' \
  "--check_config refuses redact_credentials=hash without redact_key"
check 'expect_rc 0 "$XSENSOR" --config "$tmp/redact.conf" --redact_key=s3 --check_config' \
  "redact_credentials=hash with a key is accepted"
printf 'netflow_timeout=10\nradius_acct_listen=127.0.0.1:0\n' >"$tmp/radius.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/radius.conf" --check_config && grep -q "radius.conf:2: key .radius_acct_listen.: RADIUS accounting needs its shared secret in radius_secret" "$tmp/out"' \
  "--check_config refuses radius_acct_listen without radius_secret"
printf 'user=xs-no-such-user\n' >"$tmp/user.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/user.conf" --check_config && grep -q "user.conf:1: key .user.: no such user: xs-no-such-user" "$tmp/out"' \
  "--check_config refuses a user that does not exist"
printf 'login_map_file=%s/no-such-logins.txt\n' "$tmp" >"$tmp/logins.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/logins.conf" --check_config && grep -q "logins.conf:1: key .login_map_file.: .*no-such-logins.txt" "$tmp/out"' \
  "--check_config loads login_map_file as the start does"
printf '# dns\najb_save_dns=on\najb_dns_path=/dev/null/dns/dns.log\n' >"$tmp/dnslog.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/dnslog.conf" --check_config && grep -q "dnslog.conf:3: key .ajb_dns_path.: the DNS log folder ./dev/null/dns. cannot be made" "$tmp/out"' \
  "--check_config refuses a DNS log folder that cannot be made"
mkdir -p "$tmp/made"
printf 'ajb_save_dns=on\najb_dns_path=%s/made/a/b/dns.log\n' "$tmp" >"$tmp/dnsmake.conf"
check 'expect_rc 0 "$XSENSOR" --config "$tmp/dnsmake.conf" --check_config && [ -d "$tmp/made/a/b" ]' \
  "a missing DNS log folder is made"
printf 'ipfix_udp_collectors=127.0.0.1:4739\n' >"$tmp/onestream.conf"
check 'expect_rc 0 "$XSENSOR" --config "$tmp/onestream.conf" --check_config && grep -q "no collector for the metadata stream" "$tmp/out" && grep -q "no collector for the dns stream" "$tmp/out" && ! grep -q "for the clickstream stream" "$tmp/out"' \
  "a stream without a collector, beside one with, is a warning"
# An offline run says what went where; records it could not deliver are a warning, and with
# --strict exit status 3 (a collector that refuses the connection: port 1).
printf 'ipfix_tcp_collectors=127.0.0.1:1\n' >"$tmp/refused.conf"
check 'expect_rc 0 "$XSENSOR" --config "$tmp/refused.conf" --pcap "$tmp/demo.pcap" --print_counters=false && grep -qE "clickstream -> 127.0.0.1:1 \(tcp\): 0 records sent, [1-9][0-9]* NOT DELIVERED" "$tmp/out" && grep -qE "WARN [1-9][0-9]* records were not delivered to their collectors$" "$tmp/out"' \
  "an offline run names the collector that did not get its records"
check 'expect_rc 3 "$XSENSOR" --config "$tmp/refused.conf" --pcap "$tmp/demo.pcap" --print_counters=false --strict && grep -q "(--strict: exit status 3)" "$tmp/out"' \
  "--strict: undelivered records are exit status 3"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(20)
while True:
    s.recv(65535)' "$tmp/udp.port" 2>/dev/null &
sink=$!
for _ in $(seq 100); do [ -s "$tmp/udp.port" ] && break; sleep 0.05; done
port=$(cat "$tmp/udp.port")
printf 'ipfix_udp_collectors=127.0.0.1:%s\n' "$port" >"$tmp/sent.conf"
check 'expect_rc 0 "$XSENSOR" --config "$tmp/sent.conf" --pcap "$tmp/demo.pcap" --print_counters=false --strict && grep -qE "clickstream -> 127.0.0.1:$port \(udp\): [1-9][0-9]* records sent in [1-9][0-9]* messages$" "$tmp/out" && grep -qE "records exported: clickstream [1-9]" "$tmp/out"' \
  "--strict with every record sent: exit status 0, the summary says how many"
kill "$sink" 2>/dev/null || true
check 'expect_rc 1 "$XSENSOR" --stats --metrics_listen=127.0.0.1:1 && grep -q "no sensor metrics at 127.0.0.1:1" "$tmp/out"' \
  "--stats says when no sensor answers"
exit $fail
