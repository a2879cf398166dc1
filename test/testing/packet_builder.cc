#include "testing/packet_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <stdexcept>

#include "common/byte_reader.h"

namespace xsensor::testing {
namespace {

std::string Addr(int family, const std::string& text) {
  char buf[16];
  if (inet_pton(family, text.c_str(), buf) != 1) throw std::invalid_argument(text);
  return std::string(buf, family == AF_INET ? 4 : 16);
}

}  // namespace

PacketBuilder& PacketBuilder::Eth(std::string src_mac, std::string dst_mac) {
  layers_.push_back({Kind::kEth, dst_mac + src_mac});
  return *this;
}
PacketBuilder& PacketBuilder::Vlan(uint16_t id, uint16_t tpid) {
  std::string b;
  PutU16(&b, tpid);  // this tag's TPID goes in the previous layer's type field
  PutU16(&b, id);
  layers_.push_back({Kind::kVlan, b});
  return *this;
}
PacketBuilder& PacketBuilder::Mpls(uint32_t label, bool bottom, uint8_t ttl) {
  std::string b;
  PutU32(&b, (label << 12) | (bottom ? 0x100 : 0) | ttl);
  layers_.push_back({Kind::kMpls, b});
  return *this;
}
PacketBuilder& PacketBuilder::Ipv4(const std::string& src, const std::string& dst,
                                   uint8_t options_words, uint16_t frag) {
  std::string b;
  PutU8(&b, static_cast<uint8_t>(0x45 + options_words));
  PutU8(&b, 0);
  PutU16(&b, 0);  // total length: Build()
  PutU16(&b, 1);
  PutU16(&b, frag);
  PutU8(&b, 64);
  PutU8(&b, 0);  // protocol: Build()
  PutU16(&b, 0);
  b += Addr(AF_INET, src) + Addr(AF_INET, dst);
  b.append(options_words * 4u, '\x01');  // NOPs
  layers_.push_back({Kind::kIpv4, b});
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6(const std::string& src, const std::string& dst) {
  std::string b;
  PutU32(&b, 0x60000000);
  PutU16(&b, 0);  // payload length: Build()
  PutU8(&b, 0);   // next header: Build()
  PutU8(&b, 64);
  b += Addr(AF_INET6, src) + Addr(AF_INET6, dst);
  layers_.push_back({Kind::kIpv6, b});
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6Ext(uint8_t type) {
  std::string b(8, '\0');          // next header: Build(); length 0 = 8 bytes
  b[0] = static_cast<char>(type);  // remembered here, rewritten in Build()
  layers_.push_back({Kind::kIpv6Ext, b});
  return *this;
}
PacketBuilder& PacketBuilder::Tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags,
                                  uint32_t ack) {
  std::string b;
  PutU16(&b, sport);
  PutU16(&b, dport);
  PutU32(&b, seq);
  PutU32(&b, ack);
  PutU16(&b, static_cast<uint16_t>((5 << 12) | flags));
  PutU16(&b, 65535);
  PutU32(&b, 0);
  layers_.push_back({Kind::kTcp, b});
  return *this;
}
PacketBuilder& PacketBuilder::Udp(uint16_t sport, uint16_t dport) {
  std::string b;
  PutU16(&b, sport);
  PutU16(&b, dport);
  PutU32(&b, 0);  // length: Build()
  layers_.push_back({Kind::kUdp, b});
  return *this;
}
PacketBuilder& PacketBuilder::Payload(const std::string& data) {
  layers_.push_back({Kind::kPayload, data});
  return *this;
}

std::string PacketBuilder::Build() const {
  std::vector<Layer> l = layers_;
  // Link the layers: each layer's "next" field names the layer after it.
  auto proto_of = [](Kind k) -> uint8_t {
    switch (k) {
      case Kind::kTcp:
        return 6;
      case Kind::kUdp:
        return 17;
      case Kind::kIpv4:
        return 4;
      case Kind::kIpv6:
        return 41;
      default:
        return 59;
    }
  };
  std::vector<uint8_t> ext_types(l.size());
  for (size_t i = 0; i < l.size(); ++i) {
    if (l[i].kind == Kind::kIpv6Ext) ext_types[i] = static_cast<uint8_t>(l[i].bytes[0]);
  }
  for (size_t i = 0; i < l.size(); ++i) {
    Kind next = i + 1 < l.size() ? l[i + 1].kind : Kind::kPayload;
    uint8_t next_proto = next == Kind::kIpv6Ext ? ext_types[i + 1] : proto_of(next);
    switch (l[i].kind) {
      case Kind::kEth:
      case Kind::kVlan: {
        uint16_t type = next == Kind::kVlan
                            ? static_cast<uint16_t>((static_cast<uint8_t>(l[i + 1].bytes[0]) << 8) |
                                                    static_cast<uint8_t>(l[i + 1].bytes[1]))
                        : next == Kind::kMpls ? 0x8847
                        : next == Kind::kIpv6 ? 0x86dd
                                              : 0x0800;
        std::string t;
        PutU16(&t, type);
        if (l[i].kind == Kind::kEth) {
          l[i].bytes += t;
        } else {
          l[i].bytes = l[i].bytes.substr(2) + t;  // TCI + inner type
        }
        break;
      }
      case Kind::kIpv4:
        l[i].bytes[9] = static_cast<char>(next_proto);
        break;
      case Kind::kIpv6:
        l[i].bytes[6] = static_cast<char>(next_proto);
        break;
      case Kind::kIpv6Ext:
        l[i].bytes[0] = static_cast<char>(next_proto);
        break;
      default:
        break;
    }
  }
  // Lengths, innermost first.
  size_t after = 0;
  for (size_t i = l.size(); i-- > 0;) {
    if (l[i].kind == Kind::kUdp) SetU16At(&l[i].bytes, 4, static_cast<uint16_t>(after + 8));
    if (l[i].kind == Kind::kIpv4) {
      SetU16At(&l[i].bytes, 2, static_cast<uint16_t>(after + l[i].bytes.size()));
    }
    if (l[i].kind == Kind::kIpv6) SetU16At(&l[i].bytes, 4, static_cast<uint16_t>(after));
    after += l[i].bytes.size();
  }
  std::string out;
  for (const auto& layer : l) out += layer.bytes;
  return out;
}

void WritePcap(const std::string& path, const std::vector<std::string>& frames, int link_type,
               int64_t first_ts_us, const std::vector<int64_t>* ts_us) {
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 262144, static_cast<uint32_t>(link_type)};
  // magic, version 2.4 (written as two u16 in host order), thiszone, sigfigs, snaplen, link
  uint16_t ver[2] = {2, 4};
  fwrite(&hdr[0], 4, 1, f);
  fwrite(ver, 2, 2, f);
  fwrite(&hdr[2], 4, 4, f);
  int64_t ts = first_ts_us;
  for (size_t i = 0; i < frames.size(); ++i) {
    const std::string& fr = frames[i];
    if (ts_us) ts = (*ts_us)[i];
    uint32_t rec[4] = {static_cast<uint32_t>(ts / 1000000), static_cast<uint32_t>(ts % 1000000),
                       static_cast<uint32_t>(fr.size()), static_cast<uint32_t>(fr.size())};
    fwrite(rec, 4, 4, f);
    fwrite(fr.data(), 1, fr.size(), f);
    ts += 1000;
  }
  fclose(f);
}

std::vector<std::string> FragmentIp(const std::string& frame, size_t chunk, uint32_t id) {
  constexpr size_t kL2 = 14;
  const bool v6 = (static_cast<uint8_t>(frame[kL2]) >> 4) == 6;
  const size_t hlen = v6 ? 40 : 20;
  std::string header = frame.substr(0, kL2 + hlen);
  const std::string body = frame.substr(kL2 + hlen);
  const char next = header[kL2 + 6];
  if (v6) header[kL2 + 6] = 44;  // a fragment header follows
  auto put16 = [](std::string* f, size_t at, size_t v) {
    (*f)[at] = static_cast<char>(v >> 8);
    (*f)[at + 1] = static_cast<char>(v);
  };
  std::vector<std::string> out;
  for (size_t off = 0; off < body.size(); off += chunk) {
    const size_t n = std::min(chunk, body.size() - off);
    const bool more = off + chunk < body.size();
    std::string f = header;
    if (v6) {
      const size_t fo = off | (more ? 1 : 0);
      f += std::string{next,
                       0,
                       static_cast<char>(fo >> 8),
                       static_cast<char>(fo),
                       static_cast<char>(id >> 24),
                       static_cast<char>(id >> 16),
                       static_cast<char>(id >> 8),
                       static_cast<char>(id)};
      put16(&f, kL2 + 4, 8 + n);
    } else {
      put16(&f, kL2 + 2, hlen + n);
      put16(&f, kL2 + 4, id & 0xffff);
      put16(&f, kL2 + 6, (off / 8) | (more ? 0x2000 : 0));
    }
    f += body.substr(off, n);
    out.push_back(std::move(f));
  }
  return out;
}

std::string DnsWireName(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& l : labels) {
    out.push_back(static_cast<char>(l.size()));
    out += l;
  }
  out.push_back('\0');
  return out;
}

void AppendTcpConnection(std::vector<std::string>* frames, const std::string& client,
                         uint16_t client_port, const std::string& server, uint16_t server_port,
                         const std::vector<TcpSegment>& segments, uint32_t client_seq,
                         uint32_t server_seq) {
  uint32_t seq[2] = {server_seq, client_seq};  // by from_client
  auto add = [&](bool from_client, uint8_t flags, const std::string& data) {
    PacketBuilder b;
    b.Eth();
    if (from_client) {
      b.Ipv4(client, server).Tcp(client_port, server_port, seq[1], flags, seq[0]);
    } else {
      b.Ipv4(server, client).Tcp(server_port, client_port, seq[0], flags, seq[1]);
    }
    frames->push_back(b.Payload(data).Build());
    seq[from_client] += static_cast<uint32_t>(data.size()) + ((flags & 0x03) ? 1 : 0);  // SYN/FIN
  };
  add(true, 0x02, "");
  add(false, 0x12, "");
  add(true, 0x10, "");
  for (const TcpSegment& s : segments) add(s.from_client, 0x18, s.data);
  add(true, 0x11, "");
  add(false, 0x11, "");
  add(true, 0x10, "");
}

std::string TlsClientHello(const std::string& sni) {
  auto u16 = [](size_t v) { return std::string{char(v >> 8), char(v & 0xff)}; };
  std::string name = std::string(1, '\0') + u16(sni.size()) + sni;
  std::string ext = u16(0) + u16(name.size() + 2) + u16(name.size()) + name;
  std::string body = std::string("\x03\x03", 2) + std::string(32, 'r') + std::string(1, '\0') +
                     u16(2) + std::string("\x13\x01", 2) + std::string("\x01\x00", 2) +
                     u16(ext.size()) + ext;
  std::string hs = std::string(1, '\x01') + std::string(1, '\0') + u16(body.size()) + body;
  return std::string("\x16\x03\x01", 3) + u16(hs.size()) + hs;
}

}  // namespace xsensor::testing
