#include "packet/packet.h"

#include <gtest/gtest.h>

#include "common/net_address.h"
#include "testing/packet_builder.h"

namespace xsensor {
namespace {

using testing::PacketBuilder;

DecodeResult Decode(const std::string& frame, PacketView* p, LinkType link = LinkType::kEthernet,
                    size_t wire_len = 0) {
  return DecodePacket(link, reinterpret_cast<const uint8_t*>(frame.data()), frame.size(),
                      wire_len ? wire_len : frame.size(), p);
}

TEST(PacketTest, EthernetIpv4Tcp) {
  std::string f = PacketBuilder()
                      .Eth()
                      .Ipv4("10.0.0.1", "192.168.1.2")
                      .Tcp(1234, 80, 77)
                      .Payload("GET / HTTP/1.1\r\n\r\n")
                      .Build();
  PacketView p;
  ASSERT_EQ(Decode(f, &p), DecodeCounters::kOk);
  EXPECT_EQ(FormatIp(p.src.view()), "10.0.0.1");
  EXPECT_EQ(FormatIp(p.dst.view()), "192.168.1.2");
  EXPECT_EQ(p.l4_proto, 6);
  EXPECT_EQ(p.sport, 1234);
  EXPECT_EQ(p.dport, 80);
  EXPECT_EQ(p.tcp_seq, 77u);
  EXPECT_EQ(p.payload, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(p.has_macs);
  EXPECT_EQ(FormatMac(absl::string_view(reinterpret_cast<const char*>(p.src_mac), 6)),
            "02:00:00:00:00:01");
  EXPECT_EQ(p.vlan_count, 0);
  EXPECT_TRUE(p.mpls.empty());
}

TEST(PacketTest, ThreeVlanTagsOuterAndInner) {
  std::string f = PacketBuilder()
                      .Eth()
                      .Vlan(30, 0x88a8)
                      .Vlan(20)
                      .Vlan(10)
                      .Ipv4("1.1.1.1", "2.2.2.2")
                      .Udp(53, 5353)
                      .Payload("x")
                      .Build();
  PacketView p;
  ASSERT_EQ(Decode(f, &p), DecodeCounters::kOk);
  ASSERT_EQ(p.vlan_count, 3);
  EXPECT_EQ(p.outer_vlan(), 30);
  EXPECT_EQ(p.inner_vlan(), 10);
  EXPECT_EQ(p.payload, "x");
}

TEST(PacketTest, FourVlanTagsAreTooMany) {
  std::string f = PacketBuilder()
                      .Eth()
                      .Vlan(1)
                      .Vlan(2)
                      .Vlan(3)
                      .Vlan(4)
                      .Ipv4("1.1.1.1", "2.2.2.2")
                      .Udp(1, 2)
                      .Build();
  PacketView p;
  EXPECT_EQ(Decode(f, &p), DecodeCounters::kTooManyTags);
}

TEST(PacketTest, MplsStackKeptRaw) {
  std::string f = PacketBuilder()
                      .Eth()
                      .Vlan(4093)
                      .Mpls(29, false)
                      .Mpls(16, true)
                      .Ipv4("1.1.1.1", "2.2.2.2")
                      .Tcp(5, 80, 1)
                      .Build();
  PacketView p;
  ASSERT_EQ(Decode(f, &p), DecodeCounters::kOk);
  ASSERT_EQ(p.mpls.size(), 8u);
  EXPECT_EQ(static_cast<uint8_t>(p.mpls[0]), 0x00);
  EXPECT_EQ(static_cast<uint8_t>(p.mpls[1]), 0x01);  // 29 << 12 = 0x1d000
  EXPECT_EQ(static_cast<uint8_t>(p.mpls[2]), 0xd0);
  EXPECT_EQ(static_cast<uint8_t>(p.mpls[6]) & 0x01, 0x01);  // bottom of stack
  EXPECT_EQ(p.outer_vlan(), 4093);
  EXPECT_EQ(p.dport, 80);
}

// A frame copied to another worker keeps its decoded view: the views follow the copy.
TEST(PacketTest, MoveViewsFollowTheCopy) {
  std::string f = PacketBuilder()
                      .Eth()
                      .Mpls(16, true)
                      .Ipv4("1.1.1.1", "2.2.2.2")
                      .Tcp(5, 80, 1)
                      .Payload("GET / HTTP/1.1\r\n")
                      .Build();
  PacketView p;
  ASSERT_EQ(Decode(f, &p), DecodeCounters::kOk);
  std::string copy = f;
  const auto* from = reinterpret_cast<const uint8_t*>(f.data());
  const auto* to = reinterpret_cast<const uint8_t*>(copy.data());
  f.assign(f.size(), 'x');  // the original's bytes are gone
  MoveViews(&p, from, to);
  EXPECT_EQ(p.payload, "GET / HTTP/1.1\r\n");
  EXPECT_EQ(p.payload.data(), copy.data() + copy.size() - p.payload.size());
  ASSERT_EQ(p.mpls.size(), 4u);
  EXPECT_EQ(p.mpls.data(), copy.data() + 14);
  PacketView none;
  MoveViews(&none, from, to);
  EXPECT_EQ(none.payload.data(), nullptr);  // a view that was not set stays unset
}

TEST(PacketTest, Ipv4OptionsAndEthernetTrailer) {
  std::string f =
      PacketBuilder().Eth().Ipv4("1.1.1.1", "2.2.2.2", 2).Udp(1000, 53).Payload("abc").Build();
  f += std::string(10, '\xee');  // padding / trailer after the datagram
  PacketView p;
  ASSERT_EQ(Decode(f, &p), DecodeCounters::kOk);
  EXPECT_EQ(p.payload, "abc");
}

TEST(PacketTest, Ipv6WithExtensionHeaders) {
  std::string f = PacketBuilder()
                      .Eth()
                      .Ipv6("2001:db8::1", "2001:db8::2")
                      .Ipv6Ext(0)
                      .Ipv6Ext(60)
                      .Tcp(40000, 443, 5)
                      .Payload("hi")
                      .Build();
  PacketView p;
  ASSERT_EQ(Decode(f, &p), DecodeCounters::kOk);
  EXPECT_EQ(p.ip_version, 6);
  EXPECT_EQ(FormatIp(p.src.view()), "2001:db8::1");
  EXPECT_EQ(p.dport, 443);
  EXPECT_EQ(p.payload, "hi");
}

TEST(PacketTest, FragmentsAreCountedNotParsed) {
  PacketView p;
  std::string more =
      PacketBuilder().Eth().Ipv4("1.1.1.1", "2.2.2.2", 0, 0x2000).Udp(1, 2).Payload("x").Build();
  EXPECT_EQ(Decode(more, &p), DecodeCounters::kFragment);
  std::string later =
      PacketBuilder().Eth().Ipv4("1.1.1.1", "2.2.2.2", 0, 0x0010).Payload("xxxxxxxx").Build();
  EXPECT_EQ(Decode(later, &p), DecodeCounters::kFragment);
}

TEST(PacketTest, MalformedFramesNameTheirReason) {
  std::string good =
      PacketBuilder().Eth().Ipv4("1.1.1.1", "2.2.2.2").Tcp(1, 2, 3).Payload("payload").Build();
  PacketView p;
  EXPECT_EQ(Decode(good.substr(0, 10), &p), DecodeCounters::kTruncatedL2);
  EXPECT_EQ(Decode(good.substr(0, 20), &p), DecodeCounters::kTruncatedIp);
  EXPECT_EQ(Decode(good.substr(0, 40), &p), DecodeCounters::kBadIpLength);
  // The same cut made by a capture snap length is not malformed: the payload is short.
  std::string snapped = good.substr(0, 56);  // the view below points into it
  ASSERT_EQ(Decode(snapped, &p, LinkType::kEthernet, good.size()), DecodeCounters::kOk);
  EXPECT_TRUE(p.payload_truncated);
  EXPECT_EQ(p.payload, "pa");
  std::string bad_ihl = good;
  bad_ihl[14] = 0x43;
  EXPECT_EQ(Decode(bad_ihl, &p), DecodeCounters::kBadIpHeader);
  std::string bad_doff = good;
  bad_doff[14 + 20 + 12] = 0x30;  // data offset 3 words
  EXPECT_EQ(Decode(bad_doff, &p), DecodeCounters::kBadTcpHeader);
  std::string arp = good.substr(0, 12) + std::string("\x08\x06", 2) + std::string(28, '\0');
  EXPECT_EQ(Decode(arp, &p), DecodeCounters::kNotIp);
  std::string icmp = PacketBuilder().Eth().Ipv4("1.1.1.1", "2.2.2.2").Payload("icmp").Build();
  icmp[14 + 9] = 1;
  EXPECT_EQ(Decode(icmp, &p), DecodeCounters::kOtherL4);
}

TEST(PacketTest, OtherLinkTypes) {
  std::string ip =
      PacketBuilder().Ipv4("10.1.1.1", "10.2.2.2").Udp(5060, 5060).Payload("S").Build();
  PacketView p;
  ASSERT_EQ(Decode(ip, &p, LinkType::kRaw), DecodeCounters::kOk);
  EXPECT_EQ(p.dport, 5060);
  EXPECT_FALSE(p.has_macs);

  std::string ip6 = PacketBuilder().Ipv6("::1", "::1").Tcp(1, 80, 1).Build();
  std::string null_v6 = std::string("\x1e\x00\x00\x00", 4) + ip6;  // AF_INET6 = 30 (macOS)
  ASSERT_EQ(Decode(null_v6, &p, LinkType::kNull), DecodeCounters::kOk);
  EXPECT_EQ(p.ip_version, 6);
  std::string null_v4 = std::string("\x02\x00\x00\x00", 4) + ip;
  ASSERT_EQ(Decode(null_v4, &p, LinkType::kNull), DecodeCounters::kOk);

  std::string sll =
      std::string("\x00\x00\x00\x01\x00\x06\x02\x00\x00\x00\x00\x07\x00\x00\x08\x00", 16) + ip;
  ASSERT_EQ(Decode(sll, &p, LinkType::kLinuxSll), DecodeCounters::kOk);
  EXPECT_TRUE(p.has_macs);
  EXPECT_EQ(p.src_mac[5], 0x07);
  EXPECT_EQ(p.sport, 5060);
}

TEST(PacketTest, EveryPrefixOfAFrameDecodesSafely) {
  // Bounds checks: no prefix of a deep frame reads out of bounds (ASan watches) or says ok
  // without a full L4 header.
  std::string f = PacketBuilder()
                      .Eth()
                      .Vlan(1)
                      .Vlan(2)
                      .Mpls(3)
                      .Ipv6("::1", "::2")
                      .Ipv6Ext(0)
                      .Tcp(1, 2, 3)
                      .Payload("abcdef")
                      .Build();
  for (size_t n = 0; n < f.size(); ++n) {
    std::string cut = f.substr(0, n);
    PacketView p;
    DecodeResult r = Decode(cut, &p);
    if (n < f.size() - 6) {
      EXPECT_NE(r, DecodeCounters::kOk) << n;
    }
  }
}

}  // namespace
}  // namespace xsensor
