#!/usr/bin/env bash
# The shipped monitoring files, checked with Prometheus's own tool (Debian's prometheus):
#   - promtool check rules: deploy/prometheus/xsensor.rules.yml is valid;
#   - promtool test rules: each alert fires on the series that should raise it, with the labels
#     and annotations expected, and stays quiet otherwise (test/deploy/xsensor.rules.test.yml);
#   - the Grafana dashboard is valid JSON and every query of it parses as PromQL (promtool
#     checks them as recording rules, the dashboard's variables given values).
# Which metrics they use are served is checked against a live sensor (live case metrics).
# Usage: monitoring_test.sh SOURCE_DIR. Exit 77 = skipped, with the reason.
set -euo pipefail
SRC=$(realpath "$1")
command -v promtool >/dev/null || { echo "SKIP: promtool not installed (Debian prometheus)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }

rc=0
promtool check rules "$SRC/deploy/prometheus/xsensor.rules.yml" >"$tmp/rules.log" 2>&1 || rc=$?
check '[ $rc -eq 0 ]' "promtool check rules: $(grep -o '[0-9]* rules found' "$tmp/rules.log" || true)"
[ $rc -eq 0 ] || cat "$tmp/rules.log"
rc=0
(cd "$SRC/test/deploy" && promtool test rules xsensor.rules.test.yml) >"$tmp/test.log" 2>&1 || rc=$?
check '[ $rc -eq 0 ]' "promtool test rules: the alerts fire as expected"
cat "$tmp/test.log"
python3 - "$SRC/deploy/grafana/xsensor-dashboard.json" >"$tmp/dashboard.rules.yml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("groups:\n  - name: dashboard\n    rules:")
n = 0
for p in d["panels"]:
    for t in p.get("targets", []):
        e = t["expr"].replace("$__rate_interval", "1m").replace("$instance", ".*")
        n += 1
        print(f"      - record: dashboard:query{n}\n        expr: {json.dumps(e)}")
assert n >= 15, n
PY
rc=0
promtool check rules "$tmp/dashboard.rules.yml" >"$tmp/dash.log" 2>&1 || rc=$?
check '[ $rc -eq 0 ]' \
  "every query of the Grafana dashboard parses ($(grep -o '[0-9]* rules found' "$tmp/dash.log" || true))"
[ $rc -eq 0 ] || cat "$tmp/dash.log"
exit $fail
