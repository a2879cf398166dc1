// IP fragment reassembly: datagrams split into fragments (in any order, IPv4 and IPv6) come
// out whole and decode like the unfragmented datagram; overlaps, timeouts and bounds are
// counted; and a fragmented SIP INVITE goes through the whole sensor to a `sip` record.
#include "packet/ip_reassembly.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "testing/packet_builder.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

using testing::PacketBuilder;

std::string Invite(size_t sdp_bytes) {
  std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 49170 RTP/AVP 0 8 97\r\n";
  while (sdp.size() < sdp_bytes) sdp += "a=rtpmap:97 iLBC/8000\r\n";
  return "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
         "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
         "Call-ID: frag-test@192.0.2.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.1>\r\n"
         "Content-Type: application/sdp\r\nContent-Length: " +
         std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
}

// Feeds frames to the reassembler; returns the rebuilt frames.
std::vector<std::string> Feed(IpReassembler& r, const std::vector<std::string>& frames,
                              int64_t t = 1'000'000) {
  std::vector<std::string> whole;
  for (const auto& f : frames) {
    PacketView p;
    const auto* d = reinterpret_cast<const uint8_t*>(f.data());
    if (DecodePacket(LinkType::kEthernet, d, f.size(), f.size(), &p) != DecodeCounters::kFragment) {
      ADD_FAILURE() << "not a fragment";
      continue;
    }
    std::string out;
    if (r.Add(d, f.size(), f.size(), p, t, &out)) whole.push_back(out);
  }
  return whole;
}

void ExpectSameDatagram(const std::string& original, const std::string& rebuilt) {
  PacketView a, b;
  ASSERT_EQ(DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(original.data()),
                         original.size(), original.size(), &a),
            DecodeCounters::kOk);
  ASSERT_EQ(DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(rebuilt.data()),
                         rebuilt.size(), rebuilt.size(), &b),
            DecodeCounters::kOk);
  EXPECT_EQ(a.src, b.src);
  EXPECT_EQ(a.dst, b.dst);
  EXPECT_EQ(b.l4_proto, 17);
  EXPECT_EQ(b.sport, 5060);
  EXPECT_EQ(b.dport, 5060);
  EXPECT_EQ(a.payload, b.payload);
}

TEST(IpReassemblyTest, Ipv4FragmentsInAnyOrderGiveTheDatagram) {
  std::string frame = PacketBuilder()
                          .Eth()
                          .Ipv4("192.0.2.1", "198.51.100.7")
                          .Udp(5060, 5060)
                          .Payload(Invite(2600))
                          .Build();
  auto frags = testing::FragmentIp(frame, 1104, 77);
  ASSERT_EQ(frags.size(), 3u);
  std::swap(frags[0], frags[2]);  // the last first, the first last
  IpReassembler r;
  auto whole = Feed(r, frags);
  ASSERT_EQ(whole.size(), 1u);
  ExpectSameDatagram(frame, whole[0]);
  // The rebuilt IPv4 header has a valid checksum.
  uint32_t sum = 0;
  for (size_t i = 14; i < 34; i += 2) {
    sum += (static_cast<uint8_t>(whole[0][i]) << 8) | static_cast<uint8_t>(whole[0][i + 1]);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
  EXPECT_EQ(r.counters().Get(IpFragCounters::kReassembled), 1u);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.held_bytes(), 0u);
}

TEST(IpReassemblyTest, Ipv6FragmentsGiveTheDatagram) {
  std::string frame = PacketBuilder()
                          .Eth()
                          .Ipv6("2001:db8::1", "2001:db8::2")
                          .Udp(5060, 5060)
                          .Payload(Invite(3000))
                          .Build();
  auto frags = testing::FragmentIp(frame, 1232, 0xabcdef01);
  ASSERT_GE(frags.size(), 3u);
  std::swap(frags[0], frags[1]);
  IpReassembler r;
  auto whole = Feed(r, frags);
  ASSERT_EQ(whole.size(), 1u);
  ExpectSameDatagram(frame, whole[0]);
}

TEST(IpReassemblyTest, InterleavedDatagramsAreKeptApartById) {
  std::string a = PacketBuilder()
                      .Eth()
                      .Ipv4("192.0.2.1", "198.51.100.7")
                      .Udp(5060, 5060)
                      .Payload(Invite(2000))
                      .Build();
  std::string b = PacketBuilder()
                      .Eth()
                      .Ipv4("192.0.2.1", "198.51.100.7")
                      .Udp(5060, 5060)
                      .Payload(Invite(2500))
                      .Build();
  auto fa = testing::FragmentIp(a, 800, 1), fb = testing::FragmentIp(b, 800, 2);
  std::vector<std::string> mixed;
  for (size_t i = 0; i < std::max(fa.size(), fb.size()); ++i) {
    if (i < fb.size()) mixed.push_back(fb[i]);
    if (i < fa.size()) mixed.push_back(fa[i]);
  }
  IpReassembler r;
  auto whole = Feed(r, mixed);
  ASSERT_EQ(whole.size(), 2u);
  ExpectSameDatagram(a, whole[0].size() < whole[1].size() ? whole[0] : whole[1]);
  ExpectSameDatagram(b, whole[0].size() < whole[1].size() ? whole[1] : whole[0]);
}

// As the Linux stack does (inet_frag_queue_insert), for IPv4 and IPv6 alike: a fragment that
// overlaps across what is there discards the whole datagram (RFC 5722); one inside a range
// already there is a duplicate, dropped, and the datagram still completes.
TEST(IpReassemblyTest, OverlapsDiscardTheDatagramDuplicatesDoNot) {
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    PacketBuilder b;
    b.Eth();
    if (v6) {
      b.Ipv6("2001:db8::1", "2001:db8::2");
    } else {
      b.Ipv4("192.0.2.1", "192.0.2.2");
    }
    std::string frame = b.Udp(5060, 5060).Payload(Invite(3000)).Build();
    auto frags = testing::FragmentIp(frame, 1232, 9);
    ASSERT_EQ(frags.size(), 3u);
    auto across = testing::FragmentIp(frame, 800, 9);  // [800, 1600): across 1232
    auto inside = testing::FragmentIp(frame, 616, 9);  // [616, 1232): inside [0, 1232)
    {
      IpReassembler r;
      EXPECT_TRUE(Feed(r, {frags[0], across[1], frags[1], frags[2]}).empty());
      EXPECT_EQ(r.counters().Get(IpFragCounters::kOverlaps), 1u);
      EXPECT_EQ(r.counters().Get(IpFragCounters::kReassembled), 0u);
    }
    {
      IpReassembler r;  // arriving first, the wider fragment overlaps the one already there
      EXPECT_TRUE(Feed(r, {across[1], frags[0], frags[1], frags[2]}).empty());
      EXPECT_EQ(r.counters().Get(IpFragCounters::kOverlaps), 1u);
    }
    {
      IpReassembler r;
      auto whole = Feed(r, {frags[2], frags[0], inside[1], frags[0], frags[1]});
      ASSERT_EQ(whole.size(), 1u);
      ExpectSameDatagram(frame, whole[0]);
      EXPECT_EQ(r.counters().Get(IpFragCounters::kDuplicates), 2u);
      EXPECT_EQ(r.counters().Get(IpFragCounters::kOverlaps), 0u);
    }
  }
}

TEST(IpReassemblyTest, IncompleteDatagramsTimeOutAndTheBoundEvicts) {
  IpReassembler::Options o;
  o.max_datagrams = 2;
  IpReassembler r(o);
  for (uint16_t id = 1; id <= 3; ++id) {
    std::string frame = PacketBuilder()
                            .Eth()
                            .Ipv4("192.0.2.1", "198.51.100.7")
                            .Udp(5060, 5060)
                            .Payload(Invite(2000))
                            .Build();
    auto frags = testing::FragmentIp(frame, 800, id);
    EXPECT_TRUE(Feed(r, {frags[0]}, 1'000'000 + id).empty());  // the rest never comes
  }
  EXPECT_EQ(r.counters().Get(IpFragCounters::kEvicted), 1u);
  EXPECT_EQ(r.pending(), 2u);
  r.Expire(1'000'000 + 31'000'000);
  EXPECT_EQ(r.counters().Get(IpFragCounters::kTimedOut), 2u);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.held_bytes(), 0u);
}

TEST(IpReassemblyTest, AFragmentedSipInviteBecomesASipRecord) {
  std::string frame = PacketBuilder()
                          .Eth()
                          .Ipv4("192.0.2.1", "198.51.100.7")
                          .Udp(5060, 5060)
                          .Payload(Invite(2600))
                          .Build();
  auto frags = testing::FragmentIp(frame, 1104, 4242);
  std::string path = (std::filesystem::temp_directory_path() /
                      ("xsensor_frag_" + std::to_string(getpid()) + ".pcap"))
                         .string();
  testing::WritePcap(path, frags);
  Config off = DefaultConfig();
  off.ip_reassembly = false;
  auto without = testing::RunPipeline({path}, off);
  auto with = testing::RunPipeline({path});
  std::filesystem::remove(path);
  EXPECT_TRUE(testing::RecordsOf<schema::Sip>(without, "sip").empty());
  auto sip = testing::RecordsOf<schema::Sip>(with, "sip");
  ASSERT_EQ(sip.size(), 1u);
  EXPECT_EQ(sip[0].callid(), "frag-test@192.0.2.1");
  EXPECT_EQ(with.decode[DecodeCounters::kFragment], 3u);  // each frame still counted once
  EXPECT_EQ(with.decode_sum, with.frames);
}

}  // namespace
}  // namespace xsensor
