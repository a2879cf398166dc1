#!/usr/bin/env python3
"""Checks the element files generated from the schema against independent decoders.

  element_files_check.py ipfixdump RECORDS.PROTO ELEMENTS.XML DUMP.txt RFC5610DUMP.txt
      ipfixDump --element-file (DUMP.txt): every enterprise field of every template by its name
      and type, no unknown element; ipfixDump --rfc5610 (RFC5610DUMP.txt): the in-band element
      type records carry each element's name, semantics, units and a description
  element_files_check.py tshark RECORDS.PROTO ELEMENTS.XML CAPTURE.pdml records.json
      tshark with xsensor.lua (PDML): every record xsensor-recv decoded is in the capture's xsensor
      trees with the same values, field by field, over UDP and over TCP
  element_files_check.py libfds ELEMENTS.XML LIBFDS.XML
      the libfds file names the same elements with the same types (ipfixcol2 is not packaged
      in Debian 12: its file is checked against libfds's element-file grammar here)
"""
import collections
import ipaddress
import json
import re
import sys
import xml.etree.ElementTree as ET

NS = {"i": "http://www.iana.org/assignments", "cert": "http://www.cert.org/ipfix"}
SEMANTICS = {"default": 0, "quantity": 1, "totalCounter": 2, "deltaCounter": 3, "identifier": 4,
             "flags": 5, "list": 6}
UNITS = {"none": 0, "octets": 2, "seconds": 5}
TYPES = {"unsigned8", "unsigned16", "unsigned32", "unsigned64", "string", "octetArray",
         "ipv4Address", "ipv6Address", "macAddress"}


def proto_templates(path):
    """template name -> [(field name, id, pen, v6_id)] in template order."""
    text = open(path, encoding="utf-8").read()
    out = {}
    for m in re.finditer(r"message \w+ \{\n(.*?)\n\}", text, re.S):
        body = m.group(1)
        name = re.search(r'name: "(\w+)"', body).group(1)
        fields = []
        for f in re.finditer(r"^\s+\w+ (\w+) = \d+ \[\(ipfix\) = \{ id: (\d+) pen: (\d+)[^}]*?"
                             r"(?:v6_id: (\d+))?\s*\}\]", body, re.M):
            fields.append((f.group(1), int(f.group(2)), int(f.group(3)), int(f.group(4) or 0)))
        out[name] = fields
    return out


def fixbuf_elements(path):
    """id -> dict(name, type, semantics, units, description) from the libfixbuf file."""
    out = {}
    for r in ET.parse(path).getroot().iter("{%s}record" % NS["i"]):
        e = {c.tag.split("}")[1]: c for c in r}
        if e["enterpriseId"].text != "43823":
            raise SystemExit(f"FAIL: element {e['name'].text} of PEN {e['enterpriseId'].text}")
        out[int(e["elementId"].text)] = {
            "name": e["name"].text, "type": e["dataType"].text,
            "semantics": e["dataTypeSemantics"].text if "dataTypeSemantics" in e else "default",
            "units": e["units"].text if "units" in e else "none",
            "description": "".join(e["description"].itertext()).strip()}
    return out


def check_ipfixdump(proto, elements_xml, dump, rfc_dump):
    elements = fixbuf_elements(elements_xml)
    fail = 0
    text = open(dump, encoding="utf-8", errors="replace").read()
    if "_alien" in text:
        print("FAIL: ipfixDump --element-file still shows unknown elements")
        fail = 1
    # template fields: "ent: 43823  id:  1005  type: string    len: 65535     HOSTNAME"
    seen = {}
    for m in re.finditer(r"ent: 43823\s+id:\s+(\d+)\s+type: (\w+)\s+len:\s+\d+\s+(\w+)", text):
        seen[int(m.group(1))] = (m.group(2), m.group(3))
    fixbuf_type = {"unsigned8": "uint8", "unsigned16": "uint16", "unsigned32": "uint32",
                   "unsigned64": "uint64", "string": "string", "octetArray": "octet",
                   "ipv4Address": "ipv4", "ipv6Address": "ipv6", "macAddress": "mac"}
    used = {(v6 if v6 else i) for t in proto.values() for _, i, pen, v6 in t if pen == 43823} | \
           {i for t in proto.values() for _, i, pen, _ in t if pen == 43823}
    for i in sorted(used):
        e = elements.get(i)
        if e is None:
            print(f"FAIL: element {i} is not in the element file")
            fail = 1
        elif i not in seen:
            print(f"FAIL: element {i} ({e['name']}) in no template ipfixDump printed")
            fail = 1
        elif seen[i] != (fixbuf_type[e["type"]], e["name"]):
            print(f"FAIL: element {i}: ipfixDump shows {seen[i]}, want {e['name']} {e['type']}")
            fail = 1
    if not fail:
        print(f"ok: ipfixDump --element-file names all {len(used)} enterprise elements")
    # data records: "(43823/1005)   HOSTNAME : (len: 11) httpbin.org"
    named = re.findall(r"\(43823/(\d+)\)\s+(\w+) :", text)
    bad = [(i, n) for i, n in named if elements[int(i)]["name"] != n]
    if not named or bad:
        print(f"FAIL: data record fields by name: {len(named)} seen, wrong {bad[:5]}")
        fail = 1
    else:
        print(f"ok: {len(named)} enterprise values in data records shown by name")

    # RFC 5610 records in-band.
    rtext = open(rfc_dump, encoding="utf-8", errors="replace").read()
    got = {}
    for block in rtext.split("--- data record")[1:]:
        if "informationElementId" not in block:
            continue
        v = dict(re.findall(r"\((\d+)\)(?: \(S\))?\s+\w+ : (.*)", block))
        if v.get("346") != "43823":
            continue
        got[int(v["303"])] = v
    for i in sorted(used):
        e, v = elements[i], got.get(i)
        want_desc = f"(len: {len(e['description'].encode())}) {e['description']}"
        if v is None:
            print(f"FAIL: no RFC 5610 record for element {i}")
            fail = 1
        elif (v["341"].split(") ", 1)[-1], int(v["344"]), int(v["345"]), v["340"]) != \
                (e["name"], SEMANTICS[e["semantics"]], UNITS[e["units"]], want_desc):
            print(f"FAIL: RFC 5610 record of {i}: {v}, want {e}")
            fail = 1
    if not fail:
        print(f"ok: RFC 5610 records of {len(used)} elements carry name, semantics, units and "
              "description")
    return fail


def check_tshark(proto, elements_xml, pdml, records_json):
    elements = fixbuf_elements(elements_xml)
    got = collections.Counter()
    udp_ports = set()
    root = ET.parse(pdml).getroot()
    for packet in root.iter("packet"):
        transport = None
        for p in packet.iter("proto"):
            if p.get("name") in ("udp", "tcp") and transport is None:
                transport = p.get("name")
                if transport == "udp":
                    for f in p.iter("field"):
                        if f.get("name") == "udp.srcport":
                            udp_ports.add(f.get("show"))
        for p in packet.iter("proto"):
            if p.get("name") != "xsensor":
                continue
            fields = [f for f in p if f.tag == "field"]
            tid = next(f.get("show") for f in fields if f.get("name") == "xsensor.template_id")
            values = tuple((f.get("name")[len("xsensor."):],
                            (f.get("value") or "") if f.get("name") in STRINGISH else f.get("show"))
                           for f in fields if f.get("name") != "xsensor.template_id")
            got[(transport, tid, values)] += 1
    want = collections.Counter()
    for line in open(records_json, encoding="utf-8", errors="surrogateescape"):
        r = json.loads(line)
        port = r["exporter"].rsplit(":", 1)[1]
        transport = "udp" if port in udp_ports else "tcp"
        values = []
        for name, i, pen, v6 in proto[r["template"]]:
            if pen != 43823:
                continue
            eid = v6 if (r["ipv6"] and v6) else i
            e = elements[eid]
            v = r[name]
            if e["type"] in ("string",):
                v = v.encode("utf-8", "surrogateescape").hex()
            elif e["type"] == "octetArray":
                v = v.lower()
            elif e["type"] == "ipv6Address":
                v = str(ipaddress.ip_address(v))
            else:
                v = str(v)
            values.append((e["name"].lower(), v))
        want[(transport, str(r["template_id"]), tuple(values))] += 1
    fail = 0
    for transport in ("udp", "tcp"):
        w = collections.Counter({k: n for k, n in want.items() if k[0] == transport})
        g = collections.Counter({k: n for k, n in got.items() if k[0] == transport})
        if not w:
            print(f"FAIL: no record came over {transport}")
            fail = 1
        elif w != g:
            print(f"FAIL: {transport}: {sum(w.values())} records decoded by xsensor-recv, "
                  f"{sum(g.values())} xsensor trees in tshark; differing:")
            for k in list(w - g)[:3]:
                print("  recv: ", k)
            for k in list(g - w)[:3]:
                print("  tshark:", k)
            fail = 1
        else:
            tids = sorted({k[1] for k in w})
            print(f"ok: tshark with xsensor.lua over {transport}: {sum(w.values())} records "
                  f"(templates {', '.join(tids)}), every enterprise field by name and value")
    return fail


# PDML: the raw bytes (value) of strings and octet arrays, the shown value of the rest.
STRINGISH = set()


def check_libfds(elements_xml, libfds_xml):
    elements = fixbuf_elements(elements_xml)
    root = ET.parse(libfds_xml).getroot()
    fail = 0
    scope = root.find("scope")
    if root.tag != "ipfix-elements" or scope is None or scope.findtext("pen") != "43823" or \
            not scope.findtext("name"):
        print("FAIL: libfds file: no ipfix-elements/scope with pen 43823 and a name")
        return 1
    seen = {}
    for e in root.findall("element"):
        i = int(e.findtext("id"))
        seen[i] = e
        want = elements.get(i)
        if want is None or e.findtext("name") != want["name"] or \
                e.findtext("dataType") != want["type"] or e.findtext("dataType") not in TYPES or \
                e.findtext("dataSemantics") not in SEMANTICS or \
                (e.findtext("dataUnit") or "none") != want["units"] or \
                e.findtext("status") != "current":
            print(f"FAIL: libfds element {i}: {ET.tostring(e).decode()}")
            fail = 1
    if set(seen) != set(elements):
        print(f"FAIL: libfds file has {sorted(set(seen) ^ set(elements))} differently")
        fail = 1
    if not fail:
        print(f"ok: libfds file: {len(seen)} elements, names, types, semantics and units as the "
              "libfixbuf file")
    return fail


def main():
    mode = sys.argv[1]
    if mode == "ipfixdump":
        return check_ipfixdump(proto_templates(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    if mode == "tshark":
        elements = fixbuf_elements(sys.argv[3])
        STRINGISH.update("xsensor." + e["name"].lower() for e in elements.values()
                         if e["type"] in ("string", "octetArray"))
        return check_tshark(proto_templates(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    if mode == "libfds":
        return check_libfds(sys.argv[2], sys.argv[3])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
