// xsensor-demo-pcap: writes a small synthetic capture of HTTP traffic (plain, VLAN/QinQ,
// MPLS, IPv6, pipelined, split headers) for `make demo` on machines without the shared corpus;
// with "bulk N", an HTTP download of N segments for the live bypass test; with "requests N",
// N one-request flows (exporter load); with "sipfrag N", N SIP INVITEs in IP fragments; with
// "probe", one
// datagram that no parser wants (to see that live capture is receiving).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "testing/packet_builder.h"

using xsensor::testing::PacketBuilder;

// A whole HTTP download: handshake, GET, a pause (so that a live sensor can act on the
// request), then `segments` data segments of 1400 bytes, each acknowledged, and the close.
int WriteBulk(const char* path, int segments) {
  std::vector<std::string> frames;
  std::vector<int64_t> ts;
  int64_t t = 1700000000000000;
  const char* c = "192.0.2.50";
  const char* s = "198.51.100.50";
  uint32_t cs = 1000, ss = 5000000;
  auto add = [&](PacketBuilder b, int64_t gap_us) {
    frames.push_back(b.Build());
    ts.push_back(t);
    t += gap_us;  // the time to the next frame
  };
  auto c2s = [&] { return PacketBuilder().Eth().Ipv4(c, s); };
  auto s2c = [&] {
    return PacketBuilder()
        .Eth(std::string("\x02\x00\x00\x00\x00\x02", 6), std::string("\x02\x00\x00\x00\x00\x01", 6))
        .Ipv4(s, c);
  };
  add(c2s().Tcp(40000, 80, cs, 0x02), 100);
  add(s2c().Tcp(80, 40000, ss, 0x12, cs + 1), 100);
  add(c2s().Tcp(40000, 80, cs + 1, 0x10, ss + 1), 100);
  const std::string req = "GET /big.iso HTTP/1.1\r\nHost: downloads.example.org\r\n\r\n";
  add(c2s().Tcp(40000, 80, cs + 1, 0x18, ss + 1).Payload(req), 300000);  // the pause
  uint32_t sseq = ss + 1, cack = cs + 1 + static_cast<uint32_t>(req.size());
  for (int i = 0; i < segments; ++i) {
    add(s2c().Tcp(80, 40000, sseq, 0x10, cack).Payload(std::string(1400, 'x')), 20);
    sseq += 1400;
    add(c2s().Tcp(40000, 80, cack, 0x10, sseq), 20);
  }
  add(s2c().Tcp(80, 40000, sseq, 0x11, cack), 100);
  add(c2s().Tcp(40000, 80, cack, 0x11, sseq + 1), 100);
  xsensor::testing::WritePcap(path, frames, 1, 0, &ts);
  return 0;
}

// `n` HTTP requests, each on a flow of its own (one data segment, picked up mid-stream): n
// clickstream records of about 1.2 KB each (a long cookie), for load on the exporter.
int WriteRequests(const char* path, int n) {
  std::vector<std::string> frames;
  for (int i = 0; i < n; ++i) {
    std::string client =
        "10.1." + std::to_string(i / 250 % 250) + "." + std::to_string(i % 250 + 1);
    frames.push_back(PacketBuilder()
                         .Eth()
                         .Ipv4(client.c_str(), "198.51.100.80")
                         .Tcp(static_cast<uint16_t>(20000 + i % 40000), 80, 1000, 0x18)
                         .Payload("GET /catalog/item/" + std::to_string(i) +
                                  "/details.html?ref=front-page HTTP/1.1\r\nHost: shop.example."
                                  "com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) demo\r\n"
                                  "Referer: http://shop.example.com/\r\nCookie: cart=" +
                                  std::string(900, 'c') + "\r\n\r\n")
                         .Build());
  }
  xsensor::testing::WritePcap(path, frames);
  return 0;
}

// `n` SIP INVITEs over UDP of about 2.7 KB each, IPv4 and IPv6 in turn, each sent in IP
// fragments of 1400 bytes (as a phone behind a 1500-byte MTU sends them).
int WriteFragmentedSip(const char* path, int n) {
  std::vector<std::string> frames;
  for (int i = 0; i < n; ++i) {
    std::string sdp = "v=0\r\no=- " + std::to_string(i) +
                      " 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
                      "m=audio 49170 RTP/AVP 0 8 97\r\n";
    while (sdp.size() < 2400) sdp += "a=rtpmap:97 iLBC/8000\r\n";
    std::string call = "frag-" + std::to_string(i) + "@demo.example";
    std::string invite =
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" +
        std::to_string(i) + "\r\nFrom: <sip:alice@example.com>;tag=" + std::to_string(i) +
        "\r\nTo: <sip:bob@example.com>\r\nCall-ID: " + call +
        "\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: " +
        std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
    PacketBuilder b = PacketBuilder().Eth();
    if (i % 2 == 0) {
      b.Ipv4("192.0.2." + std::to_string(10 + i % 200), "198.51.100.5");
    } else {
      b.Ipv6("2001:db8::" + std::to_string(10 + i % 200), "2001:db8:1::5");
    }
    std::string frame = b.Udp(static_cast<uint16_t>(5060 + (i % 2)), 5060).Payload(invite).Build();
    for (auto& f : xsensor::testing::FragmentIp(frame, 1400, 1000 + i)) {
      frames.push_back(std::move(f));
    }
  }
  xsensor::testing::WritePcap(path, frames);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[2]) == "sipfrag") {
    return WriteFragmentedSip(argv[1], atoi(argv[3]));
  }
  if (argc == 4 && std::string(argv[2]) == "bulk") return WriteBulk(argv[1], atoi(argv[3]));
  if (argc == 4 && std::string(argv[2]) == "requests") {
    return WriteRequests(argv[1], atoi(argv[3]));
  }
  if (argc == 3 && std::string(argv[2]) == "probe") {
    // One UDP datagram to the discard port: seen by XDP, steered nowhere.
    xsensor::testing::WritePcap(argv[1], {PacketBuilder()
                                              .Eth()
                                              .Ipv4("10.213.0.2", "10.213.0.1")
                                              .Udp(9, 9)
                                              .Payload("probe")
                                              .Build()});
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUT.pcap [bulk SEGMENTS | requests N | sipfrag N | probe]\n",
            argv[0]);
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
  tcp4(PacketBuilder().Eth().Vlan(100, 0x88a8).Vlan(42), "192.0.2.11", "198.51.100.80", 51001, 80,
       5000,
       "POST /api/login HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 11\r\n\r\nuser=demo&x"
       "GET /api/me HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: app/2.3\r\n\r\n");
  const std::string part1 = "GET /video/1.ts HTTP/1.1\r\nHost: cdn.exa";
  tcp4(PacketBuilder().Eth().Mpls(29, false).Mpls(1001, true), "192.0.2.12", "203.0.113.8", 51002,
       8080, 9000, part1);
  tcp4(PacketBuilder().Eth().Mpls(29, false).Mpls(1001, true), "192.0.2.12", "203.0.113.8", 51002,
       8080, 9000 + static_cast<uint32_t>(part1.size()),
       "mple.net\r\nUser-Agent: player/5\r\n\r\n");
  frames.push_back(PacketBuilder()
                       .Eth()
                       .Ipv6("2001:db8::10", "2001:db8:1::80")
                       .Tcp(51003, 80, 7000, 0x18)
                       .Payload("DELETE /items/7 HTTP/1.1\r\nHost: [2001:db8:1::80]:80\r\n\r\n")
                       .Build());
  xsensor::testing::WritePcap(argv[1], frames);
  return 0;
}
