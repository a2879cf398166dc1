#!/usr/bin/env bash
# xsensor-recv --clickhouse against real ClickHouse servers (Debian's clickhouse-server, started
# here on loopback ports with their own data folders). xsensor exports corpus captures; the
# receiver writes JSON lines and ClickHouse rows at once; clickhouse_check.py compares them value
# by value.
#   clickhouse_test.sh records  XSENSOR RECV SHARED README   every record type; the README's queries;
#                                                             --clickhouse-ttl-days on old records
#   clickhouse_test.sh restart  XSENSOR RECV SHARED          the server stops and comes back
#                                                             between two exports: nothing lost
#   clickhouse_test.sh cluster  XSENSOR RECV SHARED          two shards, Distributed tables
# Exit 77 = skipped, with the reason.
set -euo pipefail
CASE=$1 XSENSOR=$2 RECV=$3 SHARED=$4 README=${5:-}
CORPUS=$SHARED/corpus
for t in clickhouse-server clickhouse-client curl tshark; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -d "$CORPUS" ] || { echo "SKIP: no corpus at $CORPUS"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
cd "$work"
fail=0

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ch_config NAME HTTP TCP [SHARD_TCP_PORTS...]: a server's folder and config (a cluster "xs2"
# of the given native ports when any).
ch_config() {
  local name=$1 http=$2 tcp=$3
  shift 3
  local dir=$work/$name remote=""
  mkdir -p "$dir"
  if [ $# -gt 0 ]; then
    remote="<remote_servers><xs2>"
    for p in "$@"; do
      remote+="<shard><replica><host>127.0.0.1</host><port>$p</port><user>xs</user><password>s3cret</password></replica></shard>"
    done
    remote+="</xs2></remote_servers>"
  fi
  cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/server.err.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mlock_executable>false</mlock_executable>
  $remote
</yandex>
EOF
  cat >"$dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <xs><password>s3cret</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></xs>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
  echo "$http" >"$dir/http_port"
  echo "$tcp" >"$dir/tcp_port"
}

# ch_start NAME: starts the server of ch_config NAME and waits until it answers.
ch_start() {
  local dir=$work/$1
  clickhouse-server --config-file="$dir/config.xml" >"$dir/out.log" 2>&1 &
  echo $! >"$dir/pid"
  pids+=($!)
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$(cat "$dir/http_port")/ping" >/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: clickhouse-server $1 did not start"; cat "$dir/out.log" "$dir/server.err.log" 2>/dev/null
  exit 1
}
ch_stop() {
  local pid
  pid=$(cat "$work/$1/pid")
  kill "$pid"
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
ch_url() { echo "http://xs:s3cret@127.0.0.1:$(cat "$work/$1/http_port")/$2"; }
chq() { curl -s "http://127.0.0.1:$(cat "$work/$1/http_port")/?user=xs&password=s3cret" --data-binary "$2"; }

# recv_start OUT.json [xsensor-recv flags]: a receiver on a TCP port written to ./col.
recv_start() {
  local out=$1
  shift
  rm -f ready
  "$RECV" --tcp 127.0.0.1:0 --ready_file ready --out "$out" --max_run_ms 120000 "$@" \
    2>recv.err &
  recv=$!
  pids+=($recv)
  for _ in $(seq 100); do [ -f ready ] && break; sleep 0.05; done
  col=$(awk '/^tcp/ {print $2}' ready)
}
# export PCAP [xsensor flags]: every stream of PCAP to the receiver at $col.
export_pcap() {
  local pcap=$1
  shift
  "$XSENSOR" --pcap "$pcap" --ipfix_tcp_collectors "$col" --ipfix_meta_tcp_collectors "$col" \
    --ipfix_dns_tcp_collectors "$col" --http_parse_reply 1 --ssl_parse_reply 1 --raw_export 1 \
    --print_counters=false "$@" 2>>sensor.err
}
recv_stop() {
  kill -TERM "$recv"
  local rc=0
  wait "$recv" || rc=$?
  cat recv.err | grep -E "clickhouse|ERROR" || true
  return $rc
}

CAPTURES=(ipfixprobe/http.pcap ipfixprobe/tls.pcap ipfixprobe/sip.pcap ipfixprobe/smtp.pcap
          suricata-verify/http-ipv6.pcap suricata-verify/dns-udp-google.com-a-aaaa-mx.pcap
          zeek/ftp_ipv4.pcap ndpi/jabber.pcap ndpi/imap.pcap tcpdump/dns_tcp.pcap)

case $CASE in
  records)
    ch_config ch "$(free_port)" "$(free_port)"
    ch_start ch
    # A login for the HTTP capture's client, so that the per-subscriber query has one.
    client=$(tshark -r "$CORPUS/ipfixprobe/http.pcap" -Y 'http.request' -T fields -e ip.src | head -1)
    echo "$client alice" >logins
    recv_start records.json --clickhouse "$(ch_url ch xs)" --clickhouse_flush_ms 200
    for c in "${CAPTURES[@]}"; do export_pcap "$CORPUS/$c" --login_map_file "$work/logins"; done
    sleep 1
    recv_stop || { echo "FAIL: xsensor-recv reported lost rows"; fail=1; }
    grep -o '"template":"[a-z_]*"' records.json | sort | uniq -c
    for t in clickstream http_reply ssl_reply sip ftp im mail raw dns; do
      grep -q "\"template\":\"$t\"" records.json || { echo "FAIL: no $t record from the captures"; fail=1; }
    done
    grep -q '"ipv6":true' records.json || { echo "FAIL: no IPv6 record"; fail=1; }
    python3 "$HERE/clickhouse_check.py" records "$(ch_url ch xs)" xs "" records.json || fail=1
    # The same rows through the native protocol, by clickhouse-client.
    for t in clickstream dns raw; do
      n=$(clickhouse-client --host 127.0.0.1 --port "$(cat ch/tcp_port)" --user xs \
            --password s3cret --query "SELECT count() FROM xs.$t")
      want=$(grep -c "\"template\":\"$t\"" records.json)
      [ "$n" = "$want" ] && echo "ok: clickhouse-client counts $n $t rows" ||
        { echo "FAIL: clickhouse-client counts $n $t rows, the JSON $want"; fail=1; }
    done
    python3 "$HERE/clickhouse_check.py" readme "$README" "$(ch_url ch xs)" xs records.json || fail=1

    # --clickhouse-ttl-days: the captures are years old; with 1 day nothing stays (the server is
    # 18.16: the receiver drops the day partitions), with 36500 days everything does.
    for days in 1 36500; do
      recv_start ttl$days.json --clickhouse "$(ch_url ch ttl$days)" --clickhouse_ttl_days $days \
        --clickhouse_flush_ms 200
      export_pcap "$CORPUS/ipfixprobe/http.pcap"
      sleep 1
      recv_stop >/dev/null || true
      # the next start of a receiver applies the TTL to what is stored
      "$RECV" --tcp 127.0.0.1:0 --clickhouse "$(ch_url ch ttl$days)" --clickhouse_ttl_days $days \
        --max_run_ms 1 2>ttl$days.err || true
    done
    n1=$(chq ch 'SELECT count() FROM ttl1.clickstream')
    n2=$(chq ch 'SELECT count() FROM ttl36500.clickstream')
    want=$(grep -c '"template":"clickstream"' ttl36500.json)
    grep -q "dropped clickstream partition" ttl1.err || { echo "FAIL: no partition drop logged"; fail=1; }
    if [ "$n1" = 0 ] && [ "$n2" = "$want" ] && [ "$want" -gt 0 ]; then
      echo "ok: ttl: 1 day keeps 0 of the old rows, 36500 days keeps $n2"
    else
      echo "FAIL: ttl: 1 day kept '$n1' rows (want 0), 36500 days '$n2' (want $want)"; fail=1
    fi
    ;;

  restart)
    ch_config ch "$(free_port)" "$(free_port)"
    ch_start ch
    recv_start records.json --clickhouse "$(ch_url ch xs)" --clickhouse_flush_ms 100
    half=$(( ${#CAPTURES[@]} / 2 ))
    for c in "${CAPTURES[@]:0:$half}"; do export_pcap "$CORPUS/$c"; done
    sleep 1
    ch_stop ch
    for c in "${CAPTURES[@]:$half}"; do export_pcap "$CORPUS/$c"; done
    sleep 2  # inserts fail and back off meanwhile
    ch_start ch
    sleep 1
    recv_stop || { echo "FAIL: xsensor-recv reported lost rows"; fail=1; }
    grep -q "insert of .* rows" recv.err || { echo "FAIL: no insert failed while the server was down"; fail=1; }
    python3 "$HERE/clickhouse_check.py" records "$(ch_url ch xs)" xs "" records.json || fail=1
    # A table dropped under the receiver (a server reset) is made again, and the batch lands.
    recv_start reset.json --clickhouse "$(ch_url ch xs2)" --clickhouse_flush_ms 100
    export_pcap "$CORPUS/suricata-verify/dns-udp-google.com-a-aaaa-mx.pcap"
    sleep 1
    chq ch "DROP TABLE xs2.dns" >/dev/null
    before=$(grep -c '"template":"dns"' reset.json)
    export_pcap "$CORPUS/tcpdump/dns_tcp.pcap"
    sleep 1.5
    recv_stop >/dev/null || { echo "FAIL: lost rows after the table was dropped"; fail=1; }
    want=$(( $(grep -c '"template":"dns"' reset.json) - before ))
    n=$(chq ch "SELECT count() FROM xs2.dns")
    [ "$want" -gt 0 ] && [ "$n" = "$want" ] &&
      echo "ok: a dns table dropped mid-run is made again; the $n records after it are there" ||
      { echo "FAIL: after the table was dropped: $n rows, want $want"; fail=1; }
    # No server at all: the receiver still takes the records, and at exit says what it lost.
    dead=$(free_port)
    recv_start dead.json --clickhouse "http://127.0.0.1:$dead/xs" --clickhouse_close_ms 500
    export_pcap "$CORPUS/ipfixprobe/http.pcap"
    sleep 0.5
    rc=0
    recv_stop >/dev/null || rc=$?
    if [ $rc -eq 1 ] && grep -q "no server took the last .* rows" recv.err && [ -s dead.json ]; then
      echo "ok: no server: records still written as JSON, the loss logged, exit status 1"
    else
      echo "FAIL: no server: exit $rc"; cat recv.err; fail=1
    fi
    ;;

  cluster)
    h1=$(free_port) t1=$(free_port) h2=$(free_port) t2=$(free_port)
    ch_config s1 "$h1" "$t1" "$t1" "$t2"
    ch_config s2 "$h2" "$t2" "$t1" "$t2"
    ch_start s1
    ch_start s2
    # Two receivers (each with its own sensors) feed the cluster, entering by different shards.
    half=$(( ${#CAPTURES[@]} / 2 ))
    recv_start a.json --clickhouse "$(ch_url s1 xs),$(ch_url s2 xs)" \
      --clickhouse-cluster xs2 --clickhouse_flush_ms 200
    recv_a=$recv col_a=$col
    mv recv.err recv_a.err
    recv_start b.json --clickhouse "$(ch_url s2 xs),$(ch_url s1 xs)" \
      --clickhouse-cluster xs2 --clickhouse_flush_ms 200
    col_b=$col
    for c in "${CAPTURES[@]:0:$half}"; do col=$col_a export_pcap "$CORPUS/$c"; done
    for c in "${CAPTURES[@]:$half}"; do col=$col_b export_pcap "$CORPUS/$c"; done
    sleep 1
    recv_stop || { echo "FAIL: receiver b reported lost rows"; fail=1; }
    recv=$recv_a
    mv recv_a.err recv.err
    recv_stop || { echo "FAIL: receiver a reported lost rows"; fail=1; }
    [ -s a.json ] && [ -s b.json ] || { echo "FAIL: a receiver got nothing"; fail=1; }
    # Every record through the Distributed tables of either shard; each session on one shard.
    python3 "$HERE/clickhouse_check.py" records "$(ch_url s1 xs)" xs "" a.json b.json || fail=1
    python3 "$HERE/clickhouse_check.py" records "$(ch_url s2 xs)" xs "" a.json b.json || fail=1
    python3 "$HERE/clickhouse_check.py" shards xs "$(ch_url s1 xs)" "$(ch_url s2 xs)" || fail=1
    ;;
  *) echo "unknown case $CASE"; exit 2 ;;
esac
[ $fail -eq 0 ] && echo "ok: clickhouse $CASE"
exit $fail
