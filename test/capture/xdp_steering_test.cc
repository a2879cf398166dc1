// The XDP program steers what the parsers want, derived from the parser registry (ports and
// payload starts): each run through BPF_PROG_RUN on built frames. Without an AF_XDP socket on
// the queue a frame to steer counts no_socket; one of no interest counts passed.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "capture/xdp_program.h"
#include "common/time_util.h"
#include "config/config.h"
#include "flow/flow_table.h"
#include "parsers/http/http_parser.h"
#include "parsers/parser.h"
#include "parsers/sip/sip_parser.h"
#include "sensor/live.h"
#include "testing/packet_builder.h"

namespace xsensor {
namespace {

using testing::PacketBuilder;

class XdpSteeringTest : public ::testing::Test {
 protected:
  void Load(const Config& config) {
    auto prog = XdpProgram::Load(XdpOptionsFor(config));
    if (!prog.ok() && geteuid() != 0) GTEST_SKIP() << "loading XDP needs root: " << prog.status();
    ASSERT_TRUE(prog.ok()) << prog.status();
    prog_ = std::move(*prog);
  }
  // "steered", "bypassed" or "passed" (not steered: passed to the kernel, or dropped in mirror
  // mode, the default), or "other", for one frame.
  std::string Run(const std::string& frame) {
    auto before = prog_->Counters();
    std::string data = frame;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data.data(),
                .data_size_in = static_cast<uint32_t>(data.size()), .repeat = 1);
    if (bpf_prog_test_run_opts(prog_->program_fd(), &opts) != 0) return "run failed";
    auto after = prog_->Counters();
    if (after[XS_CNT_BYPASSED] > before[XS_CNT_BYPASSED]) return "bypassed";
    if (after[XS_CNT_NO_SOCKET] > before[XS_CNT_NO_SOCKET]) return "steered";
    if (after[XS_CNT_PASSED] > before[XS_CNT_PASSED] ||
        after[XS_CNT_DROPPED] > before[XS_CNT_DROPPED]) {
      return "passed";
    }
    return "other";
  }
  std::string Tcp(uint16_t sport, uint16_t dport, const std::string& payload = "") {
    PacketBuilder b;
    b.Eth().Ipv4("10.1.0.1", "10.2.0.2").Tcp(sport, dport, 1000, payload.empty() ? 0x02 : 0x18);
    if (!payload.empty()) b.Payload(payload);
    return Run(b.Build());
  }
  std::string Udp(uint16_t sport, uint16_t dport, const std::string& payload) {
    return Run(PacketBuilder()
                   .Eth()
                   .Ipv6("2001:db8::1", "2001:db8::2")
                   .Udp(sport, dport)
                   .Payload(payload)
                   .Build());
  }
  // The key userspace gives a frame's flow (the key XDP looks up), and whether the frame's
  // sender is the key's "lo" side.
  static FlowKey KeyOf(const std::string& frame, bool* sender_is_lo) {
    PacketView p;
    EXPECT_EQ(DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(frame.data()),
                           frame.size(), frame.size(), &p),
              DecodeCounters::kOk);
    return MakeFlowKey(p, sender_is_lo);
  }
  // A bypass entry for a flow whose client is (or is not) the key's "lo" side, expiring this
  // many microseconds from now; what it skips is left to the test.
  static xs_bypass Entry(bool client_is_lo, int64_t expires_in_us = 60'000'000) {
    xs_bypass v{};
    v.expires_ns = static_cast<uint64_t>(MonotonicMicros() + expires_in_us) * 1000;
    v.server_is_lo = client_is_lo ? 0 : 1;
    return v;
  }
  std::unique_ptr<XdpProgram> prog_;
  uint16_t next_port_ = 20000;  // a new client port each time: sniffed TCP flows are remembered
};

TEST_F(XdpSteeringTest, EveryParserPortAndPayloadStartIsSteeredByDefault) {
  Load(DefaultConfig());
  if (!prog_) return;
  auto tcp_ports = ParserPorts(6), udp_ports = ParserPorts(17);
  // What the issue found missing from the old hand-written default.
  for (uint16_t p : {8000, 3128, 8443, 465, 993}) {
    EXPECT_NE(std::find(tcp_ports.begin(), tcp_ports.end(), p), tcp_ports.end()) << p;
  }
  for (uint16_t p : tcp_ports) EXPECT_EQ(Tcp(next_port_++, p), "steered") << "TCP port " << p;
  for (uint16_t p : udp_ports) EXPECT_EQ(Udp(next_port_++, p, "x"), "steered") << "UDP " << p;
  // Every HTTP method the parser knows, on a port no parser serves.
  for (auto m : HttpRequestMethods()) {
    EXPECT_EQ(Tcp(next_port_++, 9999, std::string(m) + "/ HTTP/1.1\r\n"), "steered") << m;
  }
  for (auto m : SipMessageStarts()) {
    std::string msg = std::string(m) + "sip:a@b SIP/2.0\r\n";
    EXPECT_EQ(Tcp(next_port_++, 9999, msg), "steered") << m;
    EXPECT_EQ(Udp(next_port_++, 9999, msg), "steered") << m;
  }
  // Greetings of servers that speak first: the server's port is 9999.
  for (const char* g : {"220 ftp ready\r\n", "220-mail\r\n", "+OK POP3\r\n", "* OK IMAP4\r\n",
                        "* PREAUTH hi\r\n", "200 news ready\r\n", "201 news, no posting\r\n"}) {
    EXPECT_EQ(Tcp(9999, next_port_++, g), "steered") << g;
  }
  EXPECT_EQ(Tcp(next_port_++, 9999, "<?xml version='1.0'?>"), "steered");
  EXPECT_EQ(Tcp(next_port_++, 9999, "<stream:stream to='x'>"), "steered");
  EXPECT_EQ(Tcp(next_port_++, 9999, std::string("\x16\x03\x01\x00\x10", 5)), "steered");
  // A TPKT (H.245 on the port a call negotiated): version 3, a length of 7 or more.
  EXPECT_EQ(Tcp(next_port_++, 9999, std::string("\x03\x00\x00\x07\x21\x80\x01", 7)), "steered");
  EXPECT_EQ(Tcp(next_port_++, 9999, std::string("\x03\x00\x00\x03\x21\x80\x01", 7)), "passed");
  EXPECT_EQ(Tcp(next_port_++, 9999, std::string("\x03\x01\x00\x07\x21\x80\x01", 7)), "passed");
  // Of no interest: other payloads and ports, HTTP over UDP.
  EXPECT_EQ(Tcp(next_port_++, 9999, "HELLO there\r\n"), "passed");
  EXPECT_EQ(Tcp(next_port_++, 9999), "passed");
  EXPECT_EQ(Udp(next_port_++, 9999, "GET / HTTP/1.1\r\n"), "passed");
}

TEST_F(XdpSteeringTest, PortListsReplaceOrExtendTheParsersPorts) {
  Config c = DefaultConfig();
  ASSERT_TRUE(ApplyConfigKey(&c, "steer_tcp_ports", "8081").ok());
  ASSERT_TRUE(ApplyConfigKey(&c, "steer_udp_ports", "parsers,6000").ok());
  Load(c);
  if (!prog_) return;
  EXPECT_EQ(Tcp(next_port_++, 8081), "steered");
  EXPECT_EQ(Tcp(next_port_++, 80), "passed");
  EXPECT_EQ(Tcp(next_port_++, 80, "GET / HTTP/1.1\r\n"), "steered");  // sniffed still
  EXPECT_EQ(Udp(next_port_++, 6000, "x"), "steered");
  EXPECT_EQ(Udp(next_port_++, 53, "x"), "steered");
  EXPECT_EQ(Udp(next_port_++, 6001, "x"), "passed");
}

// What is not steered is dropped in mirror mode (the default: the frames are copies) and passed
// to the kernel (the bridge) inline. Inline, a queue whose worker is behind is shed: what would
// be steered there is passed uninspected and counted, until userspace clears the flag.
TEST_F(XdpSteeringTest, MirrorDropsInlinePassesAndShedsWhatItCannotRead) {
  auto moved = [&](int counter, auto&& run) {
    uint64_t before = prog_->Counters()[counter];
    run();
    return prog_->Counters()[counter] - before;
  };
  Load(DefaultConfig());
  if (!prog_) return;
  EXPECT_EQ(moved(XS_CNT_DROPPED, [&] { Tcp(next_port_++, 9999, "HELLO\r\n"); }), 1u);
  EXPECT_EQ(moved(XS_CNT_PASSED, [&] { Tcp(next_port_++, 9999, "HELLO\r\n"); }), 0u);
  Config c = DefaultConfig();
  ASSERT_TRUE(ApplyConfigKey(&c, "capture_mode", "inline").ok());
  Load(c);
  EXPECT_EQ(moved(XS_CNT_PASSED, [&] { Tcp(next_port_++, 9999, "HELLO\r\n"); }), 1u);
  EXPECT_EQ(moved(XS_CNT_DROPPED, [&] { Tcp(next_port_++, 9999, "HELLO\r\n"); }), 0u);
  EXPECT_EQ(Tcp(next_port_++, 80), "steered");  // (no socket in the test: counted no_socket)
  ASSERT_TRUE(prog_->SetShed(0, true).ok());    // BPF_PROG_RUN frames arrive on queue 0
  EXPECT_EQ(moved(XS_CNT_SHED, [&] { EXPECT_EQ(Tcp(next_port_++, 80), "passed"); }), 1u);
  EXPECT_EQ(moved(XS_CNT_SHED, [&] { EXPECT_EQ(Tcp(next_port_++, 9999, "HELLO"), "passed"); }),
            0u);  // of no interest: passed, not shed
  ASSERT_TRUE(prog_->SetShed(0, false).ok());
  EXPECT_EQ(Tcp(next_port_++, 80), "steered");
}

// The flow key is put in canonical order by the XDP program and by userspace from one
// definition (xs_src_is_lo): a bypass entry written under userspace's key for one direction
// is what the program finds for packets of both directions, for addresses and ports that
// sort either way.
TEST_F(XdpSteeringTest, UserspaceFlowKeysAreTheKeysXdpLooksUp) {
  Load(DefaultConfig());
  if (!prog_) return;
  struct Case {
    const char *a, *b;
    bool v6;
    uint16_t pa, pb;
  } cases[] = {{"10.0.0.1", "10.0.0.2", false, 40000, 80},
               {"10.0.0.9", "10.0.0.2", false, 40000, 80},
               {"10.0.0.2", "10.0.0.2", false, 80, 40000},
               {"192.168.1.1", "10.200.0.1", false, 443, 443},
               {"2001:db8::1", "2001:db8::2", true, 40000, 80},
               {"2001:db8:ffff::1", "2001:db8::1:0:0:2", true, 40000, 80},
               {"2001:db8::2", "2001:db8::2", true, 40001, 40000}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.a) + " " + c.b);
    auto frame = [&](bool from_a, const std::string& payload) {
      PacketBuilder b;
      b.Eth();
      if (c.v6) {
        b.Ipv6(from_a ? c.a : c.b, from_a ? c.b : c.a);
      } else {
        b.Ipv4(from_a ? c.a : c.b, from_a ? c.b : c.a);
      }
      b.Tcp(from_a ? c.pa : c.pb, from_a ? c.pb : c.pa, 5000, 0x18).Payload(payload);
      return b.Build();
    };
    bool a_is_lo;
    FlowKey key = KeyOf(frame(true, "data"), &a_is_lo);
    xs_bypass v = Entry(a_is_lo);  // b serves
    v.skip_to_client = 1;
    v.skip_to_server_data = 1;
    ASSERT_TRUE(prog_->SetBypass(key, v).ok());
    EXPECT_EQ(Run(frame(false, "reply")), "bypassed");
    EXPECT_EQ(Run(frame(true, "more")), "bypassed");
  }
}

// A reply body left in XDP: the server's segments that end at or before the sequence number
// where the next reply can start are bypassed, the one that crosses it and those after are
// steered; the client's requests always are; sequence numbers wrap.
TEST_F(XdpSteeringTest, ReplyBodyIsBypassedUpToItsEndSequenceNumber) {
  Load(DefaultConfig());
  if (!prog_) return;
  for (uint32_t body_start : {1000u, 0xfffff000u}) {
    SCOPED_TRACE(body_start);
    const uint32_t until = body_start + 8000;  // the body's last byte is until - 1
    auto reply = [&](uint32_t seq, size_t len) {
      return Run(PacketBuilder()
                     .Eth()
                     .Ipv4("192.0.2.80", "10.1.0.1")
                     .Tcp(80, 41000, seq, 0x18)
                     .Payload(std::string(len, 'b'))
                     .Build());
    };
    std::string frame = PacketBuilder()
                            .Eth()
                            .Ipv4("10.1.0.1", "192.0.2.80")
                            .Tcp(41000, 80, 77, 0x18)
                            .Payload("x")
                            .Build();
    bool client_is_lo;
    FlowKey key = KeyOf(frame, &client_is_lo);
    xs_bypass v = Entry(client_is_lo);
    v.to_client_until_set = 1;
    v.to_client_until = until;
    ASSERT_TRUE(prog_->SetBypass(key, v).ok());
    auto body_before = prog_->Counters()[XS_CNT_BYPASSED_BODY];
    EXPECT_EQ(reply(body_start, 1448), "bypassed");
    EXPECT_EQ(reply(until - 1448, 1448), "bypassed") << "ends exactly at the limit";
    EXPECT_EQ(reply(until - 1000, 1448), "steered") << "crosses the limit";
    EXPECT_EQ(reply(until, 1448), "steered") << "the next reply";
    EXPECT_EQ(reply(until + 5000, 1448), "steered");
    EXPECT_EQ(prog_->Counters()[XS_CNT_BYPASSED_BODY] - body_before, 2u);
    EXPECT_EQ(Run(PacketBuilder()
                      .Eth()
                      .Ipv4("10.1.0.1", "192.0.2.80")
                      .Tcp(41000, 80, 77, 0x18)
                      .Payload("GET /next HTTP/1.1\r\n\r\n")
                      .Build()),
              "steered")
        << "requests reach userspace";
    ASSERT_TRUE(prog_->ClearBypass(key).ok());
    EXPECT_EQ(reply(body_start, 1448), "steered") << "cleared";
    EXPECT_FALSE(prog_->ClearBypass(key).ok());
  }
}

// A bypass entry belongs to one connection: a client's SYN on its addresses and ports (a port
// reused) removes it in XDP, so the new connection's first data is steered even before
// userspace has seen the SYN; a SYN-ACK or FIN does not, nor a retransmitted SYN (the number
// the client's stream started with), unless the connection had closed: the worker's rule for
// its flow (TcpReassembler::OtherConnection, Flow::closing); an expired entry is removed when next
// looked up. Both removals are counted.
TEST_F(XdpSteeringTest, NewConnectionOrExpiryRemovesTheBypassEntry) {
  Load(DefaultConfig());
  if (!prog_) return;
  auto segment = [](bool from_client, uint8_t flags, const std::string& payload,
                    uint32_t client_seq = 5000) {
    PacketBuilder b;
    b.Eth();
    if (from_client) {
      b.Ipv4("10.1.0.1", "192.0.2.44").Tcp(41000, 443, client_seq, flags);
    } else {
      b.Ipv4("192.0.2.44", "10.1.0.1").Tcp(443, 41000, 9000, flags);
    }
    if (!payload.empty()) b.Payload(payload);
    return b.Build();
  };
  const std::string hello = std::string("\x16\x03\x01\x00\x05", 5) + "hello";
  bool client_is_lo;
  FlowKey key = KeyOf(segment(true, 0x18, hello), &client_is_lo);
  // The old connection's client stream started at 1001 (its SYN: 1000).
  auto set = [&](int64_t expires_in_us) {
    xs_bypass v = Entry(client_is_lo, expires_in_us);
    v.skip_to_client = 1;
    v.skip_to_server_data = 1;
    v.client_isn_set = 1;
    v.client_isn = 1001;
    ASSERT_TRUE(prog_->SetBypass(key, v).ok());
  };
  auto removed = [&](int id) { return prog_->Counters()[id]; };
  const uint64_t by_syn = removed(XS_CNT_BYPASS_NEW_CONNECTION);
  const uint64_t by_expiry = removed(XS_CNT_BYPASS_EXPIRED);

  set(60'000'000);
  EXPECT_EQ(Run(segment(true, 0x18, hello)), "bypassed") << "the old connection's bulk";
  EXPECT_EQ(Run(segment(false, 0x12, "")), "steered") << "a SYN-ACK goes to userspace";
  EXPECT_EQ(Run(segment(true, 0x11, "")), "steered") << "so does a FIN";
  EXPECT_EQ(Run(segment(false, 0x18, "bulk")), "bypassed") << "neither removed the entry";
  EXPECT_EQ(removed(XS_CNT_BYPASS_NEW_CONNECTION), by_syn);
  // The old connection's SYN again (a retransmission, as userspace takes it): it goes to
  // userspace, and the flow stays bypassed.
  EXPECT_EQ(Run(segment(true, 0x02, "", 1000)), "steered") << "a retransmitted SYN";
  EXPECT_EQ(removed(XS_CNT_BYPASS_NEW_CONNECTION), by_syn);
  EXPECT_EQ(Run(segment(true, 0x18, hello)), "bypassed") << "the entry stayed";
  EXPECT_EQ(Run(segment(true, 0x02, "")), "steered") << "the new connection's SYN";
  EXPECT_EQ(removed(XS_CNT_BYPASS_NEW_CONNECTION), by_syn + 1);
  EXPECT_EQ(Run(segment(true, 0x18, hello)), "steered") << "its ClientHello";
  EXPECT_FALSE(prog_->ClearBypass(key).ok()) << "the entry is gone";

  // A connection that closed (FIN both ways, before userspace cleared its entry) reopened
  // with the same number (a replay, a client that reuses its ISN): a new connection too.
  set(60'000'000);
  EXPECT_EQ(Run(segment(false, 0x11, "")), "steered") << "the server's FIN";
  EXPECT_EQ(Run(segment(true, 0x02, "", 1000)), "steered") << "a SYN, one side closed";
  EXPECT_EQ(removed(XS_CNT_BYPASS_NEW_CONNECTION), by_syn + 1) << "a retransmission still";
  EXPECT_EQ(Run(segment(true, 0x11, "")), "steered") << "the client's FIN";
  EXPECT_EQ(Run(segment(true, 0x02, "", 1000)), "steered") << "the SYN after the close";
  EXPECT_EQ(removed(XS_CNT_BYPASS_NEW_CONNECTION), by_syn + 2);
  EXPECT_FALSE(prog_->ClearBypass(key).ok()) << "the entry is gone";

  set(-1'000'000);
  EXPECT_EQ(Run(segment(false, 0x18, "bulk")), "steered") << "expired";
  EXPECT_EQ(removed(XS_CNT_BYPASS_EXPIRED), by_expiry + 1);
  EXPECT_FALSE(prog_->ClearBypass(key).ok()) << "the expired entry is gone";
  EXPECT_EQ(removed(XS_CNT_BYPASS_NEW_CONNECTION), by_syn + 2);
}

}  // namespace
}  // namespace xsensor
