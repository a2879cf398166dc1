// xsensor-demo-pcap: writes a small synthetic capture of HTTP traffic (plain, VLAN/QinQ,
// MPLS, IPv6, pipelined, split headers) for `make demo` on machines without the shared corpus.
#include <cstdio>
#include <string>
#include <vector>

#include "testing/packet_builder.h"

using xsensor::testing::PacketBuilder;

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUT.pcap\n", argv[0]);
    return 2;
  }
  std::vector<std::string> frames;
  auto tcp4 = [&](PacketBuilder b, const char* c, const char* s, uint16_t sp, uint16_t dp,
                  uint32_t seq, const std::string& data) {
    frames.push_back(b.Ipv4(c, s).Tcp(sp, dp, seq, 0x18).Payload(data).Build());
  };
  tcp4(PacketBuilder().Eth(), "192.0.2.10", "198.51.100.80", 51000, 80, 1000,
       "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: demo-browser/1.0\r\n"
       "Referer: http://search.example/?q=demo\r\nCookie: session=abc123\r\n\r\n");
  tcp4(PacketBuilder().Eth().Vlan(100, 0x88a8).Vlan(42), "192.0.2.11", "198.51.100.80", 51001,
       80, 5000,
       "POST /api/login HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 11\r\n\r\nuser=demo&x"
       "GET /api/me HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: app/2.3\r\n\r\n");
  const std::string part1 = "GET /video/1.ts HTTP/1.1\r\nHost: cdn.exa";
  tcp4(PacketBuilder().Eth().Mpls(29, false).Mpls(1001, true), "192.0.2.12", "203.0.113.8",
       51002, 8080, 9000, part1);
  tcp4(PacketBuilder().Eth().Mpls(29, false).Mpls(1001, true), "192.0.2.12", "203.0.113.8",
       51002, 8080, 9000 + static_cast<uint32_t>(part1.size()),
       "mple.net\r\nUser-Agent: player/5\r\n\r\n");
  frames.push_back(PacketBuilder().Eth().Ipv6("2001:db8::10", "2001:db8:1::80")
                       .Tcp(51003, 80, 7000, 0x18)
                       .Payload("DELETE /items/7 HTTP/1.1\r\nHost: [2001:db8:1::80]:80\r\n\r\n")
                       .Build());
  xsensor::testing::WritePcap(argv[1], frames);
  return 0;
}
