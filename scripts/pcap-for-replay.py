#!/usr/bin/env python3
"""Rewrites a classic pcap for tcpreplay into a veth: only frames a 3000-byte MTU carries
(tcpreplay stops at a record it cannot send, such as the many-flow mix's 1 MB one), and with
--macs, valid unicast MACs (a bridge drops frames from 00:00:00:00:00:00, captures on a
loopback have them).
  pcap-for-replay.py IN.pcap OUT.pcap [--macs]"""
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
macs = bytes.fromhex("020000000002" "020000000001") if "--macs" in sys.argv[3:] else None
data = open(src, "rb").read()
endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
out = [data[:24]]
off = 24
while off + 16 <= len(data):
    caplen = struct.unpack_from(endian + "I", data, off + 8)[0]
    if 14 <= caplen <= 3014 and off + 16 + caplen <= len(data):
        if macs:
            out.append(data[off:off + 16] + macs + data[off + 28:off + 16 + caplen])
        else:
            out.append(data[off:off + 16 + caplen])
    off += 16 + caplen
open(dst, "wb").write(b"".join(out))
