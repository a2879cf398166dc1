#!/usr/bin/env bash
# The command line an operator uses besides running: --version, --check_config (good, bad and
# unknown keys), --stats without a sensor.
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
version=$("$XSENSOR" --version 2>&1 || true)
check 'grep -qE "^xsensor [0-9]+\.[0-9]+\.[0-9]+" <<<"$version"' "--version names the release: $version"
printf 'ipfix_mtu_limit=1200\n# a comment\nnetflow_timeout=10\n' >"$tmp/good.conf"
check 'expect_rc 0 "$XSENSOR" --config "$tmp/good.conf" --check_config && grep -q "good.conf: configuration ok" "$tmp/out"' \
  "--check_config accepts a good file"
printf 'netflow_timeout=10\nipfix_mtu_limit=12\n' >"$tmp/bad.conf"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/bad.conf" --check_config && grep -q "bad.conf:2: key .ipfix_mtu_limit.: 12 is out of range" "$tmp/out"' \
  "--check_config rejects a bad value with file, line and key (exit 2)"
printf 'ipfix_mtu_limit=1200\nipfix_mtu_limt=1300\n' >"$tmp/typo.conf"
check 'expect_rc 0 "$XSENSOR" --config "$tmp/typo.conf" --check_config && grep -q "typo.conf:2: unknown key .ipfix_mtu_limt." "$tmp/out" && grep -q "with warnings" "$tmp/out"' \
  "--check_config warns of an unknown key by line"
check 'expect_rc 2 "$XSENSOR" --config "$tmp/missing.conf" --check_config && grep -q "missing.conf" "$tmp/out"' \
  "--check_config names a missing file"
check 'expect_rc 1 "$XSENSOR" --stats --metrics_listen=127.0.0.1:1 && grep -q "no sensor metrics at 127.0.0.1:1" "$tmp/out"' \
  "--stats says when no sensor answers"
exit $fail
