# Shared by the real client/server tests (sourced). The caller sets XSENSOR and RECV (absolute
# paths), `work` (its directory, the current one), `pids` (background processes to stop) and,
# when it uses one, NS (its network namespace). KEEP=1 keeps the directory for inspection.

# This directory, absolute (the scripts cd to their work directory): the checks import
# e2e_check.py from it (PYTHONPATH="$E2E_DIR").
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The EXIT trap body: stop the processes, remove the namespace, remove (or keep) the directory.
e2e_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${NS:-}" ]; then
    sleep 0.2
    ip netns del "$NS" 2>/dev/null || true
  fi
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}

# Creates network namespace $NS with its loopback up.
e2e_netns() {
  ip netns add "$NS"
  ip -n "$NS" link set lo up
}

# Starts nginx in $NS (daemon off, as root, one worker, its files in $work) with the
# directives of its http block read from stdin.
e2e_nginx() {
  {
    cat <<CONF
daemon off;
user root;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/tmp;
CONF
    cat
    echo "}"
  } >nginx.conf
  ip netns exec "$NS" nginx -c "$work/nginx.conf" -p "$work" 2>nginx.start.err &
  pids+=($!)
}

# Waits until ADDR:PORT accepts connections inside $NS and capture FILE has started.
e2e_wait_listening() {  # addr port capture-file
  for _ in $(seq 100); do
    ip netns exec "$NS" bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && [ -s "$3" ] && return 0
    sleep 0.1
  done
  echo "FAIL: nothing listens on $1:$2 in $NS, or the capture did not start" >&2
  return 1
}

# Ends the capture `cap` (the dumpcap process) once the last packets are written.
e2e_stop_capture() {
  sleep 0.5
  kill -INT "$cap"
  wait "$cap" 2>/dev/null || true
}

# Runs xsensor on capture PCAP, exporting over TCP to xsensor-recv the streams whose collector
# keys are given (comma-separated, e.g. ipfix_tcp_collectors,ipfix_meta_tcp_collectors), one
# TCP session each; the records land as JSON lines in records.json, xsensor's log in
# sensor.err. Further arguments go to xsensor.
e2e_export() {  # pcap collector-keys [xsensor flags...]
  local pcap=$1 keys=$2
  shift 2
  "$RECV" --tcp 127.0.0.1:0 --ready_file ready --out records.json \
    --exit_after_tcp_sessions "$(tr ',' '\n' <<<"$keys" | wc -l)" --max_run_ms 30000 2>/dev/null &
  local recv=$!
  pids+=($recv)
  for _ in $(seq 100); do [ -f ready ] && break; sleep 0.05; done
  local col flags=()
  col=$(awk '/^tcp/ {print $2}' ready)
  for k in ${keys//,/ }; do flags+=("--$k" "$col"); done
  "$XSENSOR" --pcap "$pcap" "${flags[@]}" --print_counters=false "$@" 2>sensor.err
  wait $recv
}
e2e_export_metadata() { e2e_export "$1" ipfix_meta_tcp_collectors; }

# A field of one JSON record from xsensor-recv: a string (escapes kept) or a number.
field() {  # name record
  sed -nE -e "s/.*\"$1\":\"(([^\"\\\\]|\\\\.)*)\".*/\\1/p" -e "s/.*\"$1\":([0-9]+).*/\\1/p" <<<"$2"
}

# The end of a comparison: `expected` (from the client's own logs) against `got` (from the
# records), both sorted. Fails when they differ; prints the ok line, or both lists and the logs
# given; exits with $fail (which earlier checks may have set).
e2e_compare_and_exit() {  # what-the-client-did ok-line log...
  local what=$1 ok=$2
  shift 2
  diff expected got >diff.txt || { echo "FAIL: records differ from $what"; fail=1; }
  if [ "$fail" -eq 0 ]; then
    echo "ok: $ok"
  else
    echo "--- expected"; cat expected; echo "--- got"; cat got; cat "$@" 2>/dev/null || true
  fi
  exit "$fail"
}

# JSON records (xsensor-recv --out) without what differs between runs of the same traffic by
# design (session ids, times, the exporter's port, the channel number: live, the capture
# interface's, offline none), sorted: two runs' records compare with diff.
normalize_records() {
  sed -E 's/"session_id":[0-9]+,//; s/"time_stamp":[0-9]+,//; s/"exporter":"[^"]*",//;
          s/,?"bridge_channel_num":[0-9]+//' "$1" | sort
}
