// The worker's choice of a parser for flows picked up without their handshake (live, XDP steers
// a server-first protocol from its greeting on): the greeting may reach the flow's worker after
// the client's first command (another queue, a hand-off), and the flow is still parsed.
#include "sensor/worker.h"

#include <gtest/gtest.h>

#include "testing/packet_builder.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

class FtpSink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override {
    if (m.GetDescriptor() != schema::Ftp::descriptor()) return;
    schema::Ftp f;
    f.CopyFrom(m);
    records.push_back(f);
  }
  std::vector<schema::Ftp> records;
};

struct Segment {
  bool from_client;
  std::string text;
};

// Sequence numbers follow each direction's bytes; `segments` are in arrival order.
// `no_parser_flows`, if given, gets the worker's count of flows decided to have no parser.
std::vector<schema::Ftp> RunWorker(const std::vector<Segment>& segments,
                                   std::vector<int> send_order = {},
                                   uint64_t* no_parser_flows = nullptr) {
  FtpSink sink;
  Config config = DefaultConfig();
  Worker worker(config, 0, &sink);
  int64_t t = 1700000000'000000;
  uint32_t next_seq[2] = {1000, 5000};
  std::vector<uint32_t> seqs;
  for (const Segment& s : segments) {
    seqs.push_back(next_seq[s.from_client]);
    next_seq[s.from_client] += static_cast<uint32_t>(s.text.size());
  }
  if (send_order.empty()) {
    for (size_t i = 0; i < segments.size(); ++i) send_order.push_back(static_cast<int>(i));
  }
  for (int i : send_order) {
    const Segment& s = segments[i];
    // FTP on a port no parser names (as the greeting steers it), IPv6, no handshake.
    std::string f = s.from_client ? testing::PacketBuilder()
                                        .Eth()
                                        .Ipv6("2001:db8::c", "2001:db8::21")
                                        .Tcp(49185, 2121, seqs[i], kAck | kPsh)
                                        .Payload(s.text)
                                        .Build()
                                  : testing::PacketBuilder()
                                        .Eth()
                                        .Ipv6("2001:db8::21", "2001:db8::c")
                                        .Tcp(2121, 49185, seqs[i], kAck | kPsh)
                                        .Payload(s.text)
                                        .Build();
    worker.HandleFrame(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(),
                       f.size(), t += 1000);
  }
  if (no_parser_flows) *no_parser_flows = worker.counters().Get(WorkerCounters::kNoParserFlows);
  worker.Finish();
  return sink.records;
}

const std::string kGreeting = "220 ftp.example.org FTP server ready.\r\n";
const std::string kUser = "USER anonymous\r\n";
const std::string k331 = "331 Guest login ok, send your e-mail address.\r\n";
const std::string kPass = "PASS guest@\r\n";
const std::string k230 = "230 Guest login ok.\r\n";

const std::vector<Segment> kSession = {
    {false, kGreeting}, {true, kUser}, {false, k331}, {true, kPass}, {false, k230}};

TEST(WorkerTest, GreetingFirstThenCommandsGiveTheLogin) {
  auto r = RunWorker(kSession);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].user(), "anonymous");
  EXPECT_EQ(r[0].result_code(), 230u);
  EXPECT_EQ(r[0].server_name(), "ftp.example.org");
}

TEST(WorkerTest, GreetingThatComesAfterTheClientsFirstCommandStillChoosesTheParser) {
  auto r = RunWorker(kSession, {1, 0, 2, 3, 4});  // USER arrives before the greeting
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].user(), "anonymous");
  EXPECT_EQ(r[0].password(), "guest@");
  EXPECT_EQ(r[0].result_code(), 230u);
  EXPECT_EQ(r[0].server_name(), "ftp.example.org");
}

TEST(WorkerTest, ClientWithoutAnyGreetingIsGivenUpAfterAFewPackets) {
  // Four packets wait for a greeting; the fifth decides the flow has no parser (before the
  // flow ends, which would decide nothing).
  uint64_t decided = 0;
  EXPECT_TRUE(RunWorker(std::vector<Segment>(4, Segment{true, "HELLO\r\n"}), {}, &decided).empty());
  EXPECT_EQ(decided, 0u) << "still waiting after four client packets";
  EXPECT_TRUE(RunWorker(std::vector<Segment>(8, Segment{true, "HELLO\r\n"}), {}, &decided).empty());
  EXPECT_EQ(decided, 1u);
}

}  // namespace
}  // namespace xsensor
