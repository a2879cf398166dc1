#!/usr/bin/python3
"""Checks the live performance page, as headless Chromium rendered it, against /metrics.

Usage: check_perf_page.py PAGE_DOM METRICS_BEFORE METRICS_AFTER

PAGE_DOM is `chromium --dump-dom` of the page after its script ran against the live sensor;
METRICS_BEFORE/AFTER are /metrics read just before and just after. Every table row of the page
names its quantity (data-metric, data-match: the sum of the samples whose labels match); the
total it shows must lie between the two reads, so it equals them where nothing moved (the
traffic has ended: every counter of the replayed captures). Prints one line per check.
"""
import collections
import html.parser
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

page_path, before_path, after_path = sys.argv[1:4]
failed = False


def check(ok, what):
    global failed
    print(("ok: " if ok else "FAIL: ") + what)
    failed |= not ok


def read_metrics(path):
    samples = collections.defaultdict(list)
    with open(path) as f:
        for family in text_string_to_metric_families(f.read()):
            for s in family.samples:
                samples[s.name].append((s.labels, s.value))
    return samples


def total(samples, name, match):
    return sum(v for labels, v in samples[name]
               if all(labels.get(k) == want for k, want in match.items()))


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows = []  # (metric, match, label, total text)
        self.row = None
        self.cell = None
        self.ids = {}
        self.at_id = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-metric" in a:
            self.row = {"metric": a["data-metric"], "match": json.loads(a["data-match"]),
                        "cells": [], "alarm": "alarm" in (a.get("class") or "")}
        elif tag == "td" and self.row is not None:
            self.cell = ""
        if "id" in a:
            self.at_id = a["id"]
            self.ids[self.at_id] = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.at_id is not None:
            self.ids[self.at_id] += data

    def handle_endtag(self, tag):
        if tag == "td" and self.row is not None and self.cell is not None:
            self.row["cells"].append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        self.at_id = None


page = Page()
with open(page_path) as f:
    page.feed(f.read())
before, after = read_metrics(before_path), read_metrics(after_path)

check(page.ids.get("status") == "live", f"the page read /metrics (status: {page.ids.get('status')!r})")
info = before["xsensor_build_info"][0][0] if before["xsensor_build_info"] else {}
check(info.get("version", "?") in page.ids.get("version", ""),
      f"it shows the version {page.ids.get('version')!r}")
cap = before["xsensor_capture_info"][0][0] if before.get("xsensor_capture_info") else {}
check(cap.get("mode") == "mirror" and page.ids.get("mode", "").startswith("mirror: "),
      f"it says the capture mode {page.ids.get('mode')!r} (metrics: {cap.get('mode')!r})")
check(len(page.rows) >= 20, f"{len(page.rows)} quantities shown")
metrics_shown = {r["metric"] for r in page.rows}
for m in ("xsensor_xdp_packets_total", "xsensor_queue_received_frames_total",
          "xsensor_queue_xsk_rx_dropped_total", "xsensor_flows_active",
          "xsensor_export_records_total", "xsensor_collector_records_sent_total",
          "xsensor_collector_queued_bytes", "xsensor_export_cycles_total"):
    check(m in metrics_shown, f"the page shows {m}")
nonzero = 0
for r in page.rows:
    label, shown = r["cells"][0], float(r["cells"][1])
    lo = total(before, r["metric"], r["match"])
    hi = total(after, r["metric"], r["match"])
    lo, hi = min(lo, hi), max(lo, hi)
    nonzero += shown > 0
    if not lo <= shown <= hi:
        check(False, f"{label}: the page shows {shown:.0f}, /metrics {lo:.0f}..{hi:.0f}")
check(nonzero >= 10, f"{nonzero} of the shown quantities are not zero")
# ARP and ICMP are nothing the sensor wants: never painted as an alarm ("could not steer").
quiet = [r for r in page.rows if r["metric"] == "xsensor_xdp_unsteerable_packets_total"
         and r["match"].get("reason") in ("not_ip", "not_tcp_udp")]
check(quiet and not any(r["alarm"] for r in quiet),
      f"not IP / not TCP-UDP shown without alarm ({[r['cells'][0] for r in quiet]})")
check(not failed, "every number the page shows equals /metrics at that moment")
sys.exit(1 if failed else 0)
