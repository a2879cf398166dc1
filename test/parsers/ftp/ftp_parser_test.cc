#include "parsers/ftp/ftp_parser.h"

#include <gtest/gtest.h>

#include "testing/packet_builder.h"
#include "testing/parse_harness.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

class Sink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override {
    schema::Ftp f;
    f.CopyFrom(m);
    records.push_back(f);
  }
  std::vector<schema::Ftp> records;
};

class FtpParserTest : public ::testing::Test {
 protected:
  FtpParserTest() : parser_(options_) {
    c2s_frame_ =
        testing::PacketBuilder().Eth().Ipv4("10.0.0.2", "10.0.0.21").Tcp(40000, 21, 1).Build();
    s2c_frame_ =
        testing::PacketBuilder().Eth().Ipv4("10.0.0.21", "10.0.0.2").Tcp(21, 40000, 1).Build();
    for (auto [f, v] : {std::pair{&c2s_frame_, &c2s_}, std::pair{&s2c_frame_, &s2c_}}) {
      DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f->data()), f->size(),
                   f->size(), v);
    }
    harness_ = std::make_unique<testing::ParseHarness>(&sink_, &options_, &counters_, c2s_);
    harness_->SetToClient(s2c_);
  }
  void Client(absl::string_view text) { Feed(text, Dir::kToServer); }
  void Server(absl::string_view text) { Feed(text, Dir::kToClient); }
  void Feed(absl::string_view text, Dir dir) {
    ParseContext ctx = harness_->Context(dir, 1700000000'000000);
    parser_.OnData(ctx, text, 0);
  }
  void End() {
    ParseContext ctx = harness_->Context(Dir::kToServer, 0);
    parser_.OnEnd(ctx);
  }
  ParserOptions options_;
  Sink sink_;
  ParserCounters counters_;
  std::unique_ptr<testing::ParseHarness> harness_;
  FtpParser parser_;
  std::string c2s_frame_, s2c_frame_;
  PacketView c2s_, s2c_;
};

TEST_F(FtpParserTest, FailedThenSuccessfulLoginWithMultiLineGreeting) {
  Server("220-ftp.example.net welcome\r\n220-rules apply\r\n220 ready\r\n");
  Client("USER alice\r\n");
  Server("331 Password required\r\n");
  Client("PASS wrong\r\n");
  Server("530 Login incorrect\r\n");
  ASSERT_EQ(sink_.records.size(), 1u);  // a failure is exported at once
  EXPECT_EQ(sink_.records[0].user(), "alice");
  EXPECT_EQ(sink_.records[0].password(), "wrong");
  EXPECT_EQ(sink_.records[0].result_code(), 530u);
  EXPECT_EQ(sink_.records[0].server_name(), "ftp.example.net");
  EXPECT_EQ(sink_.records[0].ip_source(), std::string("\x0a\x00\x00\x02", 4));  // the client
  Client("USER alice\r\nPASS right\r\n");
  Server("331 Password required\r\n230 Logged in\r\n");
  EXPECT_EQ(sink_.records.size(), 1u);  // waiting for the data channel mode
  Client("EPRT |1|10.0.0.2|5000|\r\n");
  ASSERT_EQ(sink_.records.size(), 2u);
  EXPECT_EQ(sink_.records[1].result_code(), 230u);
  EXPECT_EQ(sink_.records[1].password(), "right");
  EXPECT_EQ(sink_.records[1].mode(), 0u);
}

TEST_F(FtpParserTest, LoginWithoutDataChannelIsExportedAtFlowEnd) {
  Server("220 Service ready\r\n");
  Client("USER bob\r\nPASS secret\r\n");
  Server("331 Please specify the password.\r\n230 Login successful.\r\n");
  EXPECT_TRUE(sink_.records.empty());
  End();
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sink_.records[0].user(), "bob");
  EXPECT_EQ(sink_.records[0].result_code(), 230u);
  EXPECT_EQ(sink_.records[0].server_name(), "10.0.0.21");  // the greeting names no host
}

}  // namespace
}  // namespace xsensor
