#!/usr/bin/env python3
"""Checks what xsensor-recv stored in ClickHouse against its own JSON lines, value by value.

  clickhouse_check.py records URL DB TABLE_SUFFIX records.json [records.json...]
      every JSON record is one row of its table and every row one JSON record (a multiset:
      all columns, addresses and MACs in presentation form, octet arrays in hex)
  clickhouse_check.py shards DB URL URL...
      each SESSION_ID's rows are on exactly one shard (the _local tables), every shard has rows
  clickhouse_check.py readme README.md URL DB records.json
      runs the README's ClickHouse queries and checks their answers against the JSON records
"""
import collections
import ipaddress
import json
import re
import sys
import time
import urllib.parse
import urllib.request


def query(url, sql):
    u = urllib.parse.urlsplit(url)
    params = {"query": sql}
    if u.username:
        params["user"] = urllib.parse.unquote(u.username)
    if u.password:
        params["password"] = urllib.parse.unquote(u.password)
    req = urllib.request.Request(f"http://{u.hostname}:{u.port}/?" + urllib.parse.urlencode(params),
                                 data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def rows(url, sql):
    return [json.loads(l) for l in query(url, sql + " FORMAT JSONEachRow").splitlines() if l]


def norm_ip(s):
    a = ipaddress.ip_address(s)
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped:
        return str(a.ipv4_mapped)
    return str(a)


def load_json(paths):
    out = []
    for p in paths:
        with open(p, encoding="utf-8", errors="surrogateescape") as f:
            out += [json.loads(l) for l in f if l.strip()]
    return out


HEADER = ("template", "template_id", "ipv6", "observation_domain", "exporter")


def json_value(rec, col):
    v = rec[col]
    if col in ("ip_source", "ip_destination"):
        return norm_ip(v) if v else "0.0.0.0"
    if col.endswith("_mac"):
        return v.lower()
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape").hex()
    return str(v)


def check_records(url, db, suffix, paths):
    records = load_json(paths)
    by_table = collections.defaultdict(list)
    for r in records:
        by_table[r["template"]].append(r)
    fail = 0
    for table, recs in sorted(by_table.items()):
        cols = [c for c in recs[0] if c not in HEADER]
        types = {r["name"]: r["type"] for r in rows(url, f"DESCRIBE TABLE {db}.{table}{suffix}")}
        sel = []
        for c in cols:
            t = types[c]
            if c in ("ip_source", "ip_destination"):
                sel.append(f"IPv6NumToString(CAST({c} AS FixedString(16))) AS {c}")
            elif c.endswith("_mac"):
                sel.append(f"lower(MACNumToString({c})) AS {c}")
            elif c == "time_stamp":
                sel.append(f"toString(toUInt32({c})) AS {c}")
            elif t == "String":
                sel.append(f"lower(hex({c})) AS {c}")
            else:
                sel.append(f"toString({c}) AS {c}")
        got = collections.Counter()
        for row in rows(url, f"SELECT {', '.join(sel)}, exporter FROM {db}.{table}{suffix}"):
            key = []
            for c in cols:
                v = row[c]
                if c in ("ip_source", "ip_destination"):
                    v = norm_ip(v)
                key.append(v)
            got[tuple(key)] += 1
        want = collections.Counter()
        for r in recs:
            key = []
            for c in cols:
                v = json_value(r, c)
                # octet arrays come in hex in the JSON; strings as text
                if c in ("cipher_suites", "mpls_labels", "raw_data", "rdata"):
                    v = r[c].lower()
                key.append(v)
            want[tuple(key)] += 1
        if got != want:
            fail = 1
            missing = want - got
            extra = got - want
            print(f"FAIL: {table}: {sum(want.values())} JSON records, {sum(got.values())} rows; "
                  f"{sum(missing.values())} missing, {sum(extra.values())} unexpected")
            for k in list(missing)[:3]:
                print("  missing:", dict(zip(cols, k)))
            for k in list(extra)[:3]:
                print("  unexpected:", dict(zip(cols, k)))
        else:
            print(f"ok: {table}: {sum(want.values())} records, every value equal")
    return fail


def check_shards(db, urls):
    fail = 0
    where = collections.defaultdict(set)
    for i, url in enumerate(urls):
        n = 0
        for table in ("clickstream", "http_reply", "ssl_reply", "sip", "ftp", "im", "mail", "raw",
                      "dns"):
            for r in rows(url, f"SELECT DISTINCT toString(session_id) AS s FROM {db}.{table}_local"):
                where[r["s"]].add(i)
            n += int(query(url, f"SELECT count() FROM {db}.{table}_local").strip())
        print(f"shard {i}: {n} rows")
        if n == 0:
            print(f"FAIL: shard {i} holds nothing")
            fail = 1
    split = [s for s, shards in where.items() if len(shards) > 1]
    if split:
        print(f"FAIL: sessions on more than one shard: {split[:5]}")
        fail = 1
    else:
        print(f"ok: {len(where)} sessions, each on one shard")
    return fail


def readme_queries(readme):
    """The ```sql blocks of the README's ClickHouse section, by their first comment line."""
    text = open(readme, encoding="utf-8").read()
    out = {}
    for block in re.findall(r"```sql\n(.*?)```", text, re.S):
        first = block.splitlines()[0]
        m = re.match(r"-- (.*)", first)
        if m:
            out[m.group(1).strip()] = block
    return out


def check_readme(readme, url, db, paths):
    records = load_json(paths)
    queries = readme_queries(readme)
    fail = 0

    broken = []  # queries the README lost or changed: a failure

    def run(title, subs):
        if title not in queries:
            print(f"FAIL: the README has no query '-- {title}'")
            broken.append(title)
            return None
        q = queries[title].replace("xsensor.", db + ".")
        for old, new in subs:
            if old not in q:
                print(f"FAIL: '{title}' lost its example value {old}")
                broken.append(title)
                return None
            q = q.replace(old, new)
        return rows(url, q)

    # Top hosts per subscriber: hosts by request count, per login.
    clicks = [r for r in records if r["template"] == "clickstream"]
    per = collections.defaultdict(collections.Counter)
    for r in clicks:
        per[r["login"]][r["hostname"]] += 1
    got = run("top hosts per subscriber", [])
    if got is not None:
        want = []
        for login in sorted(per):
            top = sorted(per[login].items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            want += [(login, h, n) for h, n in top]
        have = [(r["login"], r["hostname"], int(r["requests"])) for r in got]
        if have != want:
            print(f"FAIL: top hosts per subscriber:\n  want {want[:6]}\n  got  {have[:6]}")
            fail = 1
        else:
            print(f"ok: top hosts per subscriber ({len(have)} rows, {len(per)} logins)")

    # A session's records in time order: its requests, replies and raw packets (an HTTP
    # session with replies, and a session with raw records).
    kinds = {"clickstream": "request", "http_reply": "reply", "raw": "raw"}
    for template in ("http_reply", "raw"):
        sid = next((r["session_id"] for r in records
                    if r["template"] == template and r["session_id"]), None)
        if sid is None:
            print(f"FAIL: no {template} record to try the session query on")
            fail = 1
            continue
        got = run("a session's requests, replies and raw packets", [("1234567890123", str(sid))])
        if got is None:
            fail = 1
            continue
        want = collections.Counter(
            (time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["time_stamp"])),
             kinds[r["template"]]) for r in records
            if r.get("session_id") == sid and r["template"] in kinds)
        have = collections.Counter((r["ts"], r["kind"]) for r in got)
        if have != want:
            print(f"FAIL: session {sid}: want {dict(want)} got {dict(have)}")
            fail = 1
        else:
            print(f"ok: session {sid}: {dict(collections.Counter(k for _, k in want.elements()))}")

    # DNS answers for a name.
    dns = [r for r in records if r["template"] == "dns"]
    if not dns:
        print("FAIL: no dns record to try the DNS query on")
        return 1
    name = collections.Counter(r["domain"] for r in dns).most_common(1)[0][0]
    got = run("DNS answers for a name", [("'example.com'", f"'{name}'")])
    if got is not None:
        def answer(r):
            data = bytes.fromhex(r["rdata"])
            if r["rrtype"] == 1 and len(data) == 4:
                return str(ipaddress.IPv4Address(data))
            if r["rrtype"] == 28 and len(data) == 16:
                return str(ipaddress.IPv6Address(data))
            return data.decode("utf-8", "replace")
        want = sorted((r["rrtype"], r["ttl"], answer(r)) for r in dns if r["domain"] == name)
        have = sorted((int(r["rrtype"]), int(r["ttl"]), r["answer"]) for r in got)
        if have != want:
            print(f"FAIL: DNS answers for {name}:\n  want {want}\n  got  {have}")
            fail = 1
        else:
            print(f"ok: DNS answers for {name}: {len(have)}")
    return fail or bool(broken)


def main():
    mode = sys.argv[1]
    if mode == "records":
        return check_records(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    if mode == "shards":
        return check_shards(sys.argv[2], sys.argv[3:])
    if mode == "readme":
        return check_readme(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
