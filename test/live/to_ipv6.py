#!/usr/bin/env python3
"""Rewrites a classic pcap's IPv4 TCP/UDP packets as IPv6 (RFC 8200 header, addresses
2001:db8::a.b.c.d, hop limit = TTL, TCP/UDP checksums recomputed over the IPv6 pseudo-header),
so that a capture of real IPv4 traffic exercises the sensor's IPv6 path with the same payloads.
Ethernet with or without 802.1Q tags; IPv4 fragments and other frames are copied unchanged.

Usage: to_ipv6.py IN.pcap OUT.pcap
"""
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def v6(addr4):
    return bytes.fromhex("20010db8000000000000000000000000")[:12] + addr4


def convert(frame):
    off = 12
    while frame[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    if frame[off:off + 2] != b"\x08\x00" or len(frame) < off + 22:
        return frame
    ip = off + 2
    ihl = (frame[ip] & 0x0F) * 4
    total = struct.unpack("!H", frame[ip + 2:ip + 4])[0]
    frag = struct.unpack("!H", frame[ip + 6:ip + 8])[0]
    proto = frame[ip + 9]
    if frame[ip] >> 4 != 4 or frag & 0x3FFF or proto not in (6, 17) or total < ihl:
        return frame
    payload = bytearray(frame[ip + ihl:ip + total])
    src, dst = v6(frame[ip + 12:ip + 16]), v6(frame[ip + 16:ip + 20])
    ck = 16 if proto == 6 else 6
    if len(payload) < ck + 2:
        return frame
    payload[ck:ck + 2] = b"\0\0"
    if proto == 17:
        payload[4:6] = struct.pack("!H", len(payload))
    pseudo = src + dst + struct.pack("!IxxxB", len(payload), proto)
    c = checksum(pseudo + bytes(payload))
    payload[ck:ck + 2] = struct.pack("!H", c if c or proto == 6 else 0xFFFF)
    tos = frame[ip + 1]
    header = struct.pack("!IHBB", 6 << 28 | tos << 20, len(payload), proto, frame[ip + 8])
    return frame[:off] + b"\x86\xdd" + header + src + dst + bytes(payload)


def main(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit(f"{src}: not a classic pcap file")
    if struct.unpack(end + "I", data[20:24])[0] != 1:
        sys.exit(f"{src}: not Ethernet")
    out = [data[:24]]
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(end + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
        if caplen == wirelen:  # a cut frame keeps its IPv4 form: its checksum cannot be made
            frame = convert(frame)
        out.append(struct.pack(end + "IIII", sec, frac, len(frame), len(frame)) + frame)
    with open(dst, "wb") as f:
        f.write(b"".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
