#!/usr/bin/env bash
# make fuzz: builds every fuzz target with libFuzzer (clang; all libraries instrumented) in
# BUILD_FUZZ, writes each one's seed corpus from ../shared/corpus, and runs each for
# FUZZ_SECONDS (default 60) on one core. Reports per target: executions, edges covered
# (libFuzzer's "cov"), corpus size, and any crash (its input is kept in BUILD_FUZZ/crashes/,
# to become a regression test). Exit 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_FUZZ:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
ONLY=${FUZZ_TARGETS:-}
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXSENSOR_FUZZ=ON -DXSENSOR_SHARED_DIR="$SHARED" >/dev/null
fi
targets=()
while read -r name mode; do
  [ -z "$ONLY" ] || [[ " $ONLY " == *" $name "* ]] || continue
  targets+=("$name:$mode")
done <"$BUILD/fuzz-targets.txt"
cmake --build "$BUILD" -j"${JOBS:-2}" --target xsensor-fuzz-seeds \
  $(for t in "${targets[@]}"; do echo "${t%%:*}_fuzz"; done) >/dev/null
mapfile -t pcaps < <(find "$SHARED/corpus" -name '*.pcap' 2>/dev/null | sort)
mkdir -p "$BUILD/crashes"
failed=0
printf '%-22s %10s %8s %8s  %s\n' target execs edges corpus result
for t in "${targets[@]}"; do
  name=${t%%:*} mode=${t##*:}
  corpus="$BUILD/fuzz-corpus/$name"
  if [ ! -d "$corpus" ]; then
    mkdir -p "$corpus"
    "$BUILD/test/xsensor-fuzz-seeds" "$corpus" "$mode" "${pcaps[@]:-none}" >/dev/null
  fi
  log="$BUILD/fuzz-$name.log"
  set +e
  "$BUILD/test/${name}_fuzz" -max_total_time="$SECONDS_EACH" -max_len=1048576 -rss_limit_mb=4096 \
    -artifact_prefix="$BUILD/crashes/$name-" -print_final_stats=1 "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log")
  edges=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  files=$(find "$corpus" -type f | wc -l)
  if [ $rc -eq 0 ]; then result="no crash"; else result="CRASH (rc $rc, see $log)"; failed=1; fi
  printf '%-22s %10s %8s %8s  %s\n' "$name" "${execs:-?}" "${edges:-?}" "$files" "$result"
done
exit $failed
