#!/usr/bin/env python3
"""Plots bench/history.tsv (what `make bench` appends: date, commit, benchmark, value, unit)
as one self-contained HTML page: a chart per benchmark, one point per run, the commit and
date of each point in its tooltip.  Usage: bench-history.py HISTORY.tsv OUT.html"""
import collections
import csv
import html
import sys

history, out = sys.argv[1:3]
series = collections.OrderedDict()
with open(history, newline="") as f:
    for row in csv.DictReader(f, delimiter="\t"):
        try:
            value = float(row["value"])
        except (TypeError, ValueError):
            continue
        series.setdefault((row["benchmark"], row["unit"]), []).append(
            (row["date"], row["commit"], value))

W, H, L, B = 560, 160, 56, 22
parts = ["<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>xsensor benchmarks"
         "</title><style>body{font:13px system-ui,sans-serif;margin:16px;background:#f6f7f9}"
         "section{display:inline-block;background:#fff;border:1px solid #dde1e7;border-radius:6px;"
         "margin:6px;padding:6px 10px;vertical-align:top}h2{font-size:13px;margin:2px 0}"
         "</style></head><body><h1>xsensor: make bench over time</h1>"]
for (name, unit), points in series.items():
    lo = min(v for _, _, v in points)
    hi = max(v for _, _, v in points)
    lo, hi = min(lo, 0.0), hi * 1.1 if hi > 0 else 1.0
    n = len(points)
    def xy(i, v):
        x = L + (W - L - 8) * (i / (n - 1) if n > 1 else 0.5)
        return x, 6 + (H - B - 6) * (1 - (v - lo) / (hi - lo))
    svg = [f'<svg width="{W}" height="{H}" viewBox="0 0 {W} {H}">']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        _, y = xy(0, v)
        svg.append(f'<line x1="{L}" x2="{W - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6eb"/>'
                   f'<text x="2" y="{y + 4:.1f}" font-size="11" fill="#5b6779">{v:.3g}</text>')
    path = " ".join("%.1f,%.1f" % xy(i, v) for i, (_, _, v) in enumerate(points))
    svg.append(f'<polyline fill="none" stroke="#1e88e5" stroke-width="1.5" points="{path}"/>')
    for i, (date, commit, v) in enumerate(points):
        x, y = xy(i, v)
        svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1e88e5"><title>'
                   f'{html.escape(commit)} {html.escape(date)}: {v:g} {html.escape(unit)}'
                   f'</title></circle>')
    svg.append(f'<text x="{L}" y="{H - 6}" font-size="11" fill="#5b6779">{html.escape(points[0][0][:10])}'
               f'</text><text x="{W - 90}" y="{H - 6}" font-size="11" fill="#5b6779">'
               f'{html.escape(points[-1][0][:10])}</text></svg>')
    parts.append(f"<section><h2>{html.escape(name)} ({html.escape(unit)}); last "
                 f"{points[-1][2]:g} at {html.escape(points[-1][1])}</h2>{''.join(svg)}</section>")
parts.append("</body></html>\n")
with open(out, "w") as f:
    f.write("".join(parts))
