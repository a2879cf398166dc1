// Builds test frames layer by layer, e.g.
//   PacketBuilder().Eth().Vlan(10).Ipv4("10.0.0.1", "10.0.0.2").Tcp(1234, 80, 1000).Payload("x")
// Lengths (IP total length, UDP length) are computed in Build(). Checksums are left zero:
// the sensor does not verify them (a passive sensor must see what the wire carried).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xsensor::testing {

class PacketBuilder {
 public:
  PacketBuilder& Eth(std::string src_mac = std::string("\x02\x00\x00\x00\x00\x01", 6),
                     std::string dst_mac = std::string("\x02\x00\x00\x00\x00\x02", 6));
  PacketBuilder& Vlan(uint16_t id, uint16_t tpid = 0x8100);
  PacketBuilder& Mpls(uint32_t label, bool bottom = true, uint8_t ttl = 64);
  PacketBuilder& Ipv4(const std::string& src, const std::string& dst, uint8_t options_words = 0,
                      uint16_t frag = 0);
  PacketBuilder& Ipv6(const std::string& src, const std::string& dst);
  // An IPv6 extension header (hop-by-hop 0, routing 43, destination options 60) of 8 bytes.
  PacketBuilder& Ipv6Ext(uint8_t type);
  PacketBuilder& Tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags = 0x18,
                     uint32_t ack = 0);
  PacketBuilder& Udp(uint16_t sport, uint16_t dport);
  PacketBuilder& Payload(const std::string& data);
  std::string Build() const;

 private:
  enum class Kind { kEth, kVlan, kMpls, kIpv4, kIpv6, kIpv6Ext, kTcp, kUdp, kPayload };
  struct Layer {
    Kind kind;
    std::string bytes;
  };
  std::vector<Layer> layers_;
};

// Splits the IP datagram of an untagged Ethernet frame (IPv4 without options, or IPv6 without
// extension headers) into IP fragments carrying `chunk` bytes (a multiple of 8) of its payload
// each, with identification `id`.
std::vector<std::string> FragmentIp(const std::string& frame, size_t chunk, uint32_t id);

// Writes frames as a classic pcap file (Ethernet link type unless given), 1 ms apart unless
// `ts_us` gives each frame's time.
void WritePcap(const std::string& path, const std::vector<std::string>& frames, int link_type = 1,
               int64_t first_ts_us = 1700000000000000, const std::vector<int64_t>* ts_us = nullptr);

// One IPv4 TCP connection appended to `frames` (Ethernet): the handshake, `segments` in order
// (true: from the client), each with PSH|ACK, then the client's FIN, the server's, the last ACK.
// Sequence numbers start at `client_seq` and `server_seq` and follow the bytes sent.
struct TcpSegment {
  bool from_client;
  std::string data;
};
void AppendTcpConnection(std::vector<std::string>* frames, const std::string& client,
                         uint16_t client_port, const std::string& server, uint16_t server_port,
                         const std::vector<TcpSegment>& segments, uint32_t client_seq = 1000,
                         uint32_t server_seq = 50000);

// A TLS 1.2 ClientHello record naming `sni`: one cipher suite, no compression, the SNI extension.
std::string TlsClientHello(const std::string& sni);

// A DNS name in wire form, uncompressed: each label after its length, then the root's 0.
std::string DnsWireName(const std::vector<std::string>& labels);

}  // namespace xsensor::testing
