#!/usr/bin/python3
"""Checks a metrics exposition of the live sensor against what its collector decoded.

Usage: check_metrics.py METRICS RECORDS_JSON STATS_TABLE

METRICS is what curl got from /metrics; it is parsed by the Prometheus project's own parser
(python3-prometheus-client), which rejects malformed text. RECORDS_JSON is the receiver's
JSON lines, STATS_TABLE the output of `xsensor --stats` taken at the same moment.
Prints one line per check; exits 1 if any failed.
"""
import collections
import json
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

metrics_path, records_path, table_path = sys.argv[1:4]
failed = False


def check(ok, what):
    global failed
    print(("ok: " if ok else "FAIL: ") + what)
    failed |= not ok


samples = collections.defaultdict(list)  # name -> [(labels, value)]
types = {}
with open(metrics_path) as f:
    for family in text_string_to_metric_families(f.read()):
        types[family.name] = family.type
        for s in family.samples:
            samples[s.name].append((s.labels, s.value))
check(len(samples) > 40, f"well-formed exposition with {len(samples)} metrics")


def total(name, **match):
    return sum(v for labels, v in samples[name]
               if all(labels.get(k) == want for k, want in match.items()))


records = collections.Counter()
with open(records_path) as f:
    for line in f:
        records[json.loads(line)["template"]] += 1
check(sum(records.values()) > 0, f"the collector decoded {sum(records.values())} records")

# Records taken by the exporter, by type, against what the collector decoded.
by_type = collections.Counter()
stream_of = {}
for labels, v in samples["xsensor_export_records_total"]:
    by_type[labels["type"]] += int(v)
    stream_of[labels["type"]] = labels["stream"]
for t in sorted(set(by_type) | set(records)):
    if by_type[t] or records[t]:
        check(by_type[t] == records[t],
              f"{t}: exporter took {by_type[t]}, collector decoded {records[t]}")

# Per collector (one TCP collector for each stream): sent = decoded, nothing dropped.
for labels, v in samples["xsensor_collector_records_sent_total"]:
    decoded = sum(n for t, n in records.items() if stream_of.get(t) == labels["stream"])
    check(int(v) == decoded,
          f"collector {labels['collector']} {labels['stream']}: sent {int(v)}, decoded {decoded}")
check(total("xsensor_collector_records_dropped_total") == 0, "no records dropped")
check(all(v == 1 for _, v in samples["xsensor_collector_up"]), "every collector up")
check(total("xsensor_collector_connects_total") == len(samples["xsensor_collector_up"]),
      "one connection per collector")

# Per queue and XDP counters are present and consistent.
queues = {(l["interface"], l["queue"]) for l, _ in samples["xsensor_queue_received_frames_total"]}
check(len(queues) == 2, f"two queues reported: {sorted(queues)}")
received = total("xsensor_queue_received_frames_total")
steered = total("xsensor_xdp_packets_total", action="steered")
check(received > 0 and received == steered,
      f"frames received by the sockets ({received:.0f}) = packets XDP steered ({steered:.0f})")
check(total("xsensor_worker_frames_total") == received, "workers decoded every frame received")
check(total("xsensor_xdp_steered_packets_total") == steered,
      "the reasons for steering add up to the packets steered")
check(total("xsensor_decode_frames_total") == received,
      "the decoding results add up to the frames received")
check(total("xsensor_decode_frames_total", result="ok") > 0, "frames decoded ok")

# Each exporter's standard self-description.
info = samples["xsensor_build_info"]
check(len(info) == 1 and info[0][1] == 1 and info[0][0].get("version", "") != "",
      f"xsensor_build_info {info[0][0] if info else None}")
check(types.get("process_cpu_seconds") == "counter" and total("process_cpu_seconds_total") > 0,
      f"process_cpu_seconds_total {total('process_cpu_seconds_total')}")
rss = total("process_resident_memory_bytes")
check(10e6 < rss < 4e9, f"process_resident_memory_bytes {rss:.0f}")
check(0 < total("process_open_fds") < total("process_max_fds"), "open fds below the limit")
start = total("process_start_time_seconds")
check(time.time() - 600 < start <= time.time(), f"process_start_time_seconds {start:.0f}")
check(types.get("xsensor_flows_active") == "gauge", "flows_active is a gauge")
check(types.get("xsensor_collector_records_sent") == "counter",
      "collector records sent is a counter")

# xsensor --stats shows the same numbers as a table.
table = {}
with open(table_path) as f:
    for line in f:
        name, value = line.rsplit(None, 1)
        table[name.strip()] = float(value)
for labels, v in samples["xsensor_collector_records_sent_total"]:
    key = "xsensor_collector_records_sent_total{" + ",".join(
        f'{k}="{labels[k]}"' for k in ("stream", "transport", "collector")) + "}"
    check(table.get(key, 0.0) == v, f"--stats table: {key} {table.get(key)}")
# Without --all the table leaves the zeros out (a quiet sensor's hundred zero counters).
check(table and all(v != 0 for v in table.values()), "--stats shows no zero")
zeros = [n for n, lv in samples.items() for _, v in lv if v == 0]
check(zeros, f"the metrics do have zero samples ({len(zeros)}), which --stats left out")

sys.exit(1 if failed else 0)
