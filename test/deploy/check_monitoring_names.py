#!/usr/bin/python3
"""Every metric the shipped alert rules and Grafana dashboard query is one the sensor serves.

Usage: check_monitoring_names.py METRICS RULES_YML DASHBOARD_JSON
METRICS is a /metrics exposition of a live sensor (with collectors, so every family is there).
"""
import json
import re
import sys

metrics_path, rules_path, dashboard_path = sys.argv[1:4]
served = set()
with open(metrics_path) as f:
    for line in f:
        if line.startswith("# TYPE "):
            served.add(line.split()[2])
names = re.compile(r"\b((?:xsensor|process)_[a-z0-9_]+)\b")
with open(rules_path) as f:
    exprs = [m.group(1) for m in re.finditer(r"expr: (>\n(?:\s{10,}.*\n)+|.*)", f.read())]
with open(dashboard_path) as f:
    dash = json.load(f)
exprs += [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
used = {n for e in exprs for n in names.findall(e)}
missing = sorted(used - served)
print(f"{len(used)} metrics used by {len(exprs)} expressions; served: {len(served)} families")
for m in missing:
    print(f"FAIL: {m} is used but not served")
sys.exit(1 if missing or len(used) < 10 else 0)
