#!/usr/bin/env bash
# Real FTP traffic: curl logs in to a local vsftpd five times (anonymous with EPSV, PASV, EPRT
# and PORT data channels, and a refused user) on a loopback address, and once to a second
# vsftpd on port 2121 (recognised by its greeting, not its port); dumpcap captures it;
# xsensor reads the capture and exports IPFIX to xsensor-recv. Each login curl's verbose log
# shows must be one `ftp` record with the same user, password, result code and data-channel
# mode, and the server name the greeting gives. Exit 77 = skipped, with the reason.
set -euo pipefail
XSENSOR=$(realpath "$1")
RECV=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
for t in vsftpd curl dumpcap ip; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (vsftpd, capture on lo)"; exit 77; }
getent passwd ftp >/dev/null || { echo "SKIP: no 'ftp' user for vsftpd's anonymous login"; exit 77; }
A=127.0.$(( RANDOM % 200 + 20 )).21
P=21
# A network namespace of its own: a vsftpd the package started may hold port 21 outside.
NS=xs-ftp-$$
work=$(mktemp -d)
pids=()
trap e2e_cleanup EXIT
cd "$work"
e2e_netns
mkdir -p root empty
echo "first file" >root/a.txt
echo "second file" >root/b.txt
chmod 755 "$work" empty
chmod 555 root
chmod 644 root/*.txt
cat >vsftpd.conf <<EOF
listen=YES
listen_ipv6=NO
listen_address=$A
listen_port=$P
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=NO
anon_root=$work/root
secure_chroot_dir=$work/empty
seccomp_sandbox=NO
pasv_enable=YES
port_enable=YES
connect_from_port_20=NO
xferlog_enable=NO
ftpd_banner=ftp.example.test FTP server ready
EOF
ip netns exec "$NS" vsftpd vsftpd.conf 2>vsftpd.err &
pids+=($!)
sed "s/^listen_port=.*/listen_port=2121/" vsftpd.conf >vsftpd-2121.conf
ip netns exec "$NS" vsftpd vsftpd-2121.conf 2>>vsftpd.err &
pids+=($!)
ip netns exec "$NS" dumpcap -q -i lo -f "host $A" -w cap.pcap 2>/dev/null &
cap=$!
pids+=($cap)
e2e_wait_listening "$A" $P cap.pcap

# Each login: the curl options, then what curl must report.
curl_login() {  # name, curl options...
  local name=$1
  shift
  ip netns exec "$NS" curl -s -v --max-time 10 "$@" >/dev/null 2>"$name.log" || true
}
curl_login epsv "ftp://$A:$P/a.txt"
curl_login pasv --disable-epsv "ftp://$A:$P/b.txt"
curl_login eprt -P - "ftp://$A:$P/a.txt"
curl_login port -P - --disable-eprt "ftp://$A:$P/b.txt"
curl_login refused -u intruder:wrong "ftp://$A:$P/a.txt"
curl_login other_port "ftp://$A:2121/b.txt"
sleep 0.5
kill -INT "$cap"
wait "$cap" 2>/dev/null || true

e2e_export_metadata cap.pcap

# curl's verbose log: "> USER u", "> PASS p", "< 230 ...", "> EPSV". One line per login:
# "user|password|result|mode|server".
for name in epsv pasv eprt port refused other_port; do
  awk '
    { sub(/\r$/, "") }
    $1 == ">" && $2 == "USER" { user = $3; expect = 1; next }
    $1 == ">" && $2 == "PASS" { pass = $3; expect = 1; next }
    $1 == "<" && expect && $2 ~ /^[0-9][0-9][0-9]$/ { if ($2 != 331) result = $2; expect = 0; next }
    $1 == ">" && mode == "" && ($2 == "EPSV" || $2 == "PASV") { mode = 1 }
    $1 == ">" && mode == "" && ($2 == "EPRT" || $2 == "PORT") { mode = 0 }
    $1 == "<" && $2 == 220 && server == "" { server = $3 }
    END { print user "|" pass "|" result "|" mode "|" server }' "$name.log"
done | sort >expected
# The records the same way; a refused login has no data channel, so no mode to compare.
grep '"template":"ftp"' records.json | while IFS= read -r r; do
  result=$(field result_code "$r")
  mode=$(field mode "$r")
  [ "${result:0:1}" = 2 ] || mode=""
  echo "$(field user "$r")|$(field password "$r")|$result|$mode|$(field server_name "$r")"
done | sort >got

fail=0
[ "$(wc -l <expected)" -eq 6 ] || { echo "FAIL: curl logs show $(wc -l <expected) logins"; fail=1; }
awk -F'|' '$3 == "" || ($3 ~ /^2/ && $4 == "") {bad = 1} END {exit bad}' expected ||
  { echo "FAIL: a curl log lacks the reply or the data command"; cat epsv.log; fail=1; }
for m in "|1|" "|0|" "|530|"; do
  grep -qF "$m" expected || { echo "FAIL: no login with '$m' in curl's logs"; fail=1; }
done
[ "$(grep '"template":"ftp"' records.json | grep -cF "\"ip_destination\":\"$A\"")" -eq 6 ] ||
  { echo "FAIL: not every ftp record names the server $A as IP_DESTINATION"; fail=1; }
echo "$(wc -l <expected) logins from curl, $(grep -c '"template":"ftp"' records.json) ftp records"
e2e_compare_and_exit "curl's logins" \
  "every login curl made was exported with the same user, password, result and mode" \
  vsftpd.err sensor.err
