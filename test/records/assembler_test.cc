// Record assembly on its own: facts, as a parser tells them, against a flow's endpoints.
#include "records/assembler.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testing/packet_builder.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

class KeepingSink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override {
    std::unique_ptr<google::protobuf::Message> copy(m.New());
    copy->CopyFrom(m);
    records.push_back(std::move(copy));
  }
  template <typename T>
  const T& At(size_t i) const {
    return dynamic_cast<const T&>(*records.at(i));
  }
  std::vector<std::unique_ptr<google::protobuf::Message>> records;
};

PacketView Decode(const std::string& frame) {
  PacketView p;
  EXPECT_EQ(DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(frame.data()),
                         frame.size(), frame.size(), &p),
            DecodeCounters::kOk);
  return p;
}

class AssemblerTest : public ::testing::Test {
 protected:
  AssemblerTest()
      : to_server_frame_(testing::PacketBuilder()
                             .Eth()
                             .Vlan(100)
                             .Vlan(7)
                             .Mpls(29)
                             .Ipv4("10.0.0.2", "192.0.2.80")
                             .Tcp(40000, 80, 1)
                             .Payload("x")
                             .Build()),
        assembler_(&sink_) {
    endpoints_.side[0].Take(Decode(to_server_frame_));
  }
  std::string to_server_frame_;
  KeepingSink sink_;
  RecordAssembler assembler_;
  FlowEndpoints endpoints_;
};

TEST_F(AssemblerTest, RequestTakesTheClientSideAndTheFlowsSession) {
  assembler_.Bind(&endpoints_, 77, 2, 1700000000'500000);
  HttpRequestFact f;
  f.host = "example.com";
  f.target = "/a";
  f.cookie = "c=1";
  f.method = 1;
  f.tcp_sequence = 1234;
  assembler_.HttpRequest(f);
  ASSERT_EQ(sink_.records.size(), 1u);
  const auto& r = sink_.At<schema::Clickstream>(0);
  EXPECT_EQ(r.hostname(), "example.com");
  EXPECT_EQ(r.path(), "/a");
  EXPECT_EQ(r.cookie(), "c=1");
  EXPECT_EQ(r.host_type(), 1u);
  EXPECT_EQ(r.session_id(), 77u);
  EXPECT_EQ(r.bridge_channel_num(), 2u);
  EXPECT_EQ(r.time_stamp(), 1700000000u);
  EXPECT_EQ(r.ip_source(), std::string("\x0a\x00\x00\x02", 4));
  EXPECT_EQ(r.ip_destination(), std::string("\xc0\x00\x02\x50", 4));
  EXPECT_EQ(r.port_source(), 40000u);
  EXPECT_EQ(r.port_destination(), 80u);
  EXPECT_EQ(r.vlan_id(), 100u);
  EXPECT_EQ(r.post_vlan_id(), 7u);
  EXPECT_EQ(r.mpls_labels().size(), 4u);
  EXPECT_EQ(r.tcp_sequence(), 1234u);
}

TEST_F(AssemblerTest, ServerSideNotSeenIsTheClientSideMirrored) {
  // A reply whose own packets were not kept: addresses, ports and MACs swapped.
  assembler_.Bind(&endpoints_, 1, 0, 0);
  HttpReplyFact f;
  f.status = 404;
  assembler_.HttpReply(f);
  const auto& r = sink_.At<schema::HttpReply>(0);
  EXPECT_EQ(r.result_code(), 404u);
  EXPECT_EQ(r.ip_source(), std::string("\xc0\x00\x02\x50", 4));
  EXPECT_EQ(r.ip_destination(), std::string("\x0a\x00\x00\x02", 4));
  const auto& q = endpoints_.side[0];
  EXPECT_EQ(r.source_mac(), std::string(reinterpret_cast<const char*>(q.l2.dst_mac), 6));
  EXPECT_EQ(r.destination_mac(), std::string(reinterpret_cast<const char*>(q.l2.src_mac), 6));
}

TEST_F(AssemblerTest, ServerSideSeenIsTakenAsItsPacketShowedIt) {
  // The server's packets come through another VLAN (an asymmetric path): its own values.
  endpoints_.side[1].Take(Decode(testing::PacketBuilder()
                                     .Eth()
                                     .Vlan(200)
                                     .Ipv4("192.0.2.80", "10.0.0.2")
                                     .Tcp(80, 40000, 1)
                                     .Payload("y")
                                     .Build()));
  assembler_.Bind(&endpoints_, 1, 0, 0);
  ServerHelloFact f;
  f.version = 0x0303;
  f.cname = "example.com";
  assembler_.ServerHello(f);
  const auto& r = sink_.At<schema::SslReply>(0);
  EXPECT_EQ(r.vlan_id(), 200u);
  EXPECT_EQ(r.mpls_labels(), "");
  EXPECT_EQ(r.cname(), "example.com");
  EXPECT_EQ(r.host_type(), 3u);
}

TEST_F(AssemblerTest, DnsAnswerDescribesTheQuestionAndCipherSuitesAreCut) {
  assembler_.Bind(&endpoints_, 1, 0, 0);
  DnsAnswerFact d;
  d.name = "a.example";
  d.type = 1;
  d.rdata = "192.0.2.1";
  assembler_.DnsAnswer(d);
  EXPECT_EQ(sink_.At<schema::Dns>(0).ip_source(), std::string("\x0a\x00\x00\x02", 4));
  const std::string suites(2 * 40, '\x13');
  ClientHelloFact c;
  c.server_name = "sni.example";
  c.source = NameSource::kQuicSni;
  c.cipher_suites = suites;
  assembler_.ClientHello(c);
  const auto& r = sink_.At<schema::Clickstream>(1);
  EXPECT_EQ(r.cipher_suites().size(), 32u);  // 16 suites exported
  EXPECT_EQ(r.cipher_suites_len(), 80u);     // of all those offered
  EXPECT_EQ(r.host_type(), 4u);
}

TEST_F(AssemblerTest, CredentialsAreRedactedWhenConfigured) {
  Redactor redactor(Redactor::Mode::kEmpty, "");
  assembler_.set_redactor(&redactor);
  assembler_.Bind(&endpoints_, 1, 0, 0);
  FtpLoginFact f;
  f.user = "alice";
  f.password = "secret";
  assembler_.FtpLogin(f);
  EXPECT_EQ(sink_.At<schema::Ftp>(0).user(), "alice");
  EXPECT_EQ(sink_.At<schema::Ftp>(0).password(), "");
  EXPECT_EQ(assembler_.emitted(), 1u);
}

TEST_F(AssemblerTest, RawRecordIsTheDirectionsPacket) {
  assembler_.Bind(&endpoints_, 9, 0, 0);
  RecordAssembler::RawPacket raw;
  raw.dir = Dir::kToClient;
  raw.meta_proto = 4;
  raw.l4_proto = 6;
  raw.tcp_flags = 0x18;
  raw.tcp_seq = 5;
  raw.ts_us = 1700000001'000000;
  raw.payload = "220 ready\r\n";
  assembler_.Raw(raw);
  const auto& r = sink_.At<schema::Raw>(0);
  EXPECT_EQ(r.dir_data(), 1u);
  EXPECT_EQ(r.source_transport_port(), 80u);  // mirrored: the server's packet
  EXPECT_EQ(r.destination_transport_port(), 40000u);
  EXPECT_EQ(r.raw_data(), "220 ready\r\n");
  EXPECT_EQ(r.time_stamp(), 1700000001u);
  EXPECT_EQ(r.session_id(), 9u);
}

}  // namespace
}  // namespace xsensor
