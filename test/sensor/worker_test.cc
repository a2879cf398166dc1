// The worker's choice of a parser for flows picked up without their handshake (live, XDP steers
// a server-first protocol from its greeting on): the greeting may reach the flow's worker after
// the client's first command (another queue, a hand-off), and the flow is still parsed. Raw
// records of the packets that chose the parser, replies that overtook their request, and a
// bypass that waits for raw export.
#include "sensor/worker.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "testing/packet_builder.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

class Sink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override {
    records.emplace_back(m.New());
    records.back()->CopyFrom(m);
  }
  template <typename T>
  std::vector<T> Of() const {
    std::vector<T> out;
    for (const auto& m : records) {
      if (m->GetDescriptor() == T::descriptor()) out.emplace_back().CopyFrom(*m);
    }
    return out;
  }
  std::vector<std::unique_ptr<google::protobuf::Message>> records;
};

struct Segment {
  bool from_client;
  std::string text;
};

struct FlowRun {
  Config config = DefaultConfig();
  uint16_t server_port = 2121;  // FTP on a port no parser names, as the greeting steers it
  std::vector<int> send_order;  // indexes into the segments; empty: in order
  // Filled by RunWorker.
  Sink sink;
  uint64_t no_parser_flows = 0;
  uint64_t one_way_flows = 0;  // after the flows ended
  size_t bypass_calls = 0;
  size_t raw_records_at_bypass = 0;
};

// One IPv6 TCP flow without handshake. Sequence numbers follow each direction's bytes;
// `segments` are in the order the endpoints sent them, run->send_order the order they arrive.
void RunWorker(const std::vector<Segment>& segments, FlowRun* run) {
  Worker worker(run->config, 0, &run->sink);
  worker.set_bypass_callback([run](const Flow&, const Worker::BypassRequest&) {
    ++run->bypass_calls;
    run->raw_records_at_bypass = run->sink.Of<schema::Raw>().size();
  });
  int64_t t = 1700000000'000000;
  uint32_t next_seq[2] = {1000, 5000};
  std::vector<uint32_t> seqs;
  for (const Segment& s : segments) {
    seqs.push_back(next_seq[s.from_client]);
    next_seq[s.from_client] += static_cast<uint32_t>(s.text.size());
  }
  std::vector<int> order = run->send_order;
  if (order.empty()) {
    for (size_t i = 0; i < segments.size(); ++i) order.push_back(static_cast<int>(i));
  }
  const uint16_t port = run->server_port;
  for (int i : order) {
    const Segment& s = segments[i];
    std::string f = s.from_client ? testing::PacketBuilder()
                                        .Eth()
                                        .Ipv6("2001:db8::c", "2001:db8::21")
                                        .Tcp(49185, port, seqs[i], kAck | kPsh)
                                        .Payload(s.text)
                                        .Build()
                                  : testing::PacketBuilder()
                                        .Eth()
                                        .Ipv6("2001:db8::21", "2001:db8::c")
                                        .Tcp(port, 49185, seqs[i], kAck | kPsh)
                                        .Payload(s.text)
                                        .Build();
    worker.HandleFrame(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(),
                       f.size(), t += 1000);
  }
  run->no_parser_flows = worker.counters().Get(WorkerCounters::kNoParserFlows);
  worker.Finish();
  run->one_way_flows = worker.counters().Get(WorkerCounters::kOneWayFlows);
}

std::vector<schema::Ftp> RunWorker(const std::vector<Segment>& segments,
                                   std::vector<int> send_order = {},
                                   uint64_t* no_parser_flows = nullptr) {
  FlowRun run;
  run.send_order = std::move(send_order);
  RunWorker(segments, &run);
  if (no_parser_flows) *no_parser_flows = run.no_parser_flows;
  return run.sink.Of<schema::Ftp>();
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

TEST(WorkerTest, RawRecordsOfAGreetingSteeredFlowIncludeThePacketsThatChoseTheParser) {
  // The greeting alone does not choose the parser (the client's first command confirms it):
  // it is held and exported once the parser is chosen, whichever of the two came first.
  for (const std::vector<int>& order : {std::vector<int>{}, std::vector<int>{1, 0, 2, 3, 4}}) {
    FlowRun run;
    run.config.raw_export = true;
    run.send_order = order;
    RunWorker(kSession, &run);
    auto raw = run.sink.Of<schema::Raw>();
    ASSERT_EQ(raw.size(), kSession.size()) << "arrival order " << order.size();
    std::multiset<std::string> got, want;
    for (const auto& r : raw) {
      EXPECT_EQ(r.meta_proto(), 4u);  // FTP
      bool from_server = r.source_transport_port() == 2121;
      EXPECT_EQ(r.dir_data(), from_server ? 1u : 0u) << r.raw_data();
      EXPECT_EQ(r.destination_transport_port(), from_server ? 49185 : 2121) << r.raw_data();
      EXPECT_EQ(r.ip_source().size(), 16u);
      got.insert(r.raw_data());
    }
    for (const Segment& s : kSession) want.insert(s.text);
    EXPECT_EQ(got, want);
  }
}

TEST(WorkerTest, AReplyThatOvertookItsRequestIsStillParsed) {
  // HTTP on a port no parser names, chosen by the request's first bytes; live, the reply came
  // in on the other queue and reached the flow's worker first.
  const std::vector<Segment> exchange = {
      {true, "GET /index.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n"},
      {false, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"}};
  FlowRun run;
  run.config.http_parse_reply = true;
  run.server_port = 9999;
  run.send_order = {1, 0};
  RunWorker(exchange, &run);
  auto clicks = run.sink.Of<schema::Clickstream>();
  ASSERT_EQ(clicks.size(), 1u);
  EXPECT_EQ(clicks[0].hostname(), "www.example.org");
  auto replies = run.sink.Of<schema::HttpReply>();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].result_code(), 404u);
}

TEST(WorkerTest, AServerAckBeforeTheRequestDoesNotMakeTheServerTheClient) {
  // Live, the server's bare ACK came in on the other queue and reached the flow's worker before
  // the request: the roles it suggests (first sender) give way to the request's.
  const std::vector<Segment> exchange = {{false, ""},
                                         {true, "GET /a HTTP/1.1\r\nHost: www.example.org\r\n\r\n"},
                                         {false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}};
  FlowRun run;
  run.config.http_parse_reply = true;
  run.server_port = 9999;
  RunWorker(exchange, &run);
  auto clicks = run.sink.Of<schema::Clickstream>();
  ASSERT_EQ(clicks.size(), 1u);
  EXPECT_EQ(clicks[0].hostname(), "www.example.org");
  EXPECT_EQ(clicks[0].port_destination(), 9999u);
  auto replies = run.sink.Of<schema::HttpReply>();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].result_code(), 200u);
}

std::string ClientHello(const std::string& sni) { return testing::TlsClientHello(sni); }

TEST(WorkerTest, BypassWaitsUntilRawExportHasItsPackets) {
  // SMTP, STARTTLS, then TLS: the TLS parser is done after the ClientHello, but raw export
  // wants the flow's first raw_max_packets packets: the bypass comes after the last of them.
  std::vector<Segment> session = {{false, "220 mx.example.org ESMTP\r\n"},
                                  {true, "EHLO client\r\n"},
                                  {false, "250-mx.example.org\r\n250 STARTTLS\r\n"},
                                  {true, "STARTTLS\r\n"},
                                  {false, "220 Ready to start TLS\r\n"},
                                  {true, ClientHello("mx.example.org")}};
  for (int i = 0; i < 6; ++i) {
    session.push_back({i % 2 == 0, std::string("\x17\x03\x03\x00\x04"
                                               "abcd",
                                               9)});
  }
  FlowRun run;
  run.config.raw_export = true;
  run.config.raw_max_packets = 9;
  run.server_port = 25;
  RunWorker(session, &run);
  auto clicks = run.sink.Of<schema::Clickstream>();
  ASSERT_EQ(clicks.size(), 1u);
  EXPECT_EQ(clicks[0].hostname(), "mx.example.org");
  EXPECT_EQ(run.sink.Of<schema::Raw>().size(), 9u);
  EXPECT_EQ(run.bypass_calls, 1u);
  EXPECT_EQ(run.raw_records_at_bypass, 9u);

  FlowRun without_raw;
  without_raw.server_port = 25;
  RunWorker(session, &without_raw);
  EXPECT_EQ(without_raw.bypass_calls, 1u);
  EXPECT_EQ(without_raw.raw_records_at_bypass, 0u);
}

// `flows` TLS flows whose clients each send the first 8000 bytes of a 16000-byte handshake
// record (a flood of partial records), then one flow with a whole ClientHello.
struct PartialRecordFlood {
  Sink sink;
  uint64_t given_up = 0;
  uint64_t held_after_flood = 0;
  uint64_t held_at_end = 0;
};
PartialRecordFlood FloodPartialTlsRecords(uint64_t parser_total_bytes, int flows) {
  PartialRecordFlood out;
  Config config = DefaultConfig();
  config.parser_total_bytes = parser_total_bytes;
  Worker worker(config, 0, &out.sink);
  int64_t t = 1700000000'000000;
  const std::string partial = std::string("\x16\x03\x01\x3e\x80", 5) + std::string(7995, 'x');
  auto send = [&](uint16_t client_port, const std::string& payload) {
    std::string f = testing::PacketBuilder()
                        .Eth()
                        .Ipv6("2001:db8::c", "2001:db8::443")
                        .Tcp(client_port, 443, 1000, kAck | kPsh)
                        .Payload(payload)
                        .Build();
    worker.HandleFrame(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(),
                       f.size(), t += 10);
  };
  for (int i = 0; i < flows; ++i) send(static_cast<uint16_t>(20000 + i), partial);
  worker.PublishGauges();
  out.held_after_flood = worker.parser_buffered();
  send(19999, ClientHello("after.flood.example.org"));
  out.given_up = worker.counters().Get(WorkerCounters::kParsersOverBudget);
  worker.Finish();
  out.held_at_end = worker.parser_buffered();
  return out;
}

TEST(WorkerTest, PartialRecordsFromManyFlowsStayWithinTheParserBudget) {
  // 400 flows x 8 KB held: 3.2 MB unbounded. A 1 MiB budget holds it to the budget plus the
  // one flow that crossed it; the flows that grew past it are given up, counted.
  PartialRecordFlood capped = FloodPartialTlsRecords(1 << 20, 400);
  EXPECT_LE(capped.held_after_flood, (1u << 20) + 16384) << capped.held_after_flood;
  EXPECT_GE(capped.held_after_flood, (1u << 20) - 16384) << capped.held_after_flood;
  EXPECT_GE(capped.given_up, 250u);
  // A flow whose record is whole in its segment holds nothing and parses on.
  auto clicks = capped.sink.Of<schema::Clickstream>();
  ASSERT_EQ(clicks.size(), 1u);
  EXPECT_EQ(clicks[0].hostname(), "after.flood.example.org");
  EXPECT_EQ(capped.held_at_end, 0u) << "every flow's share is given back when it ends";

  // Under the default budget nothing is given up and the accounting sees all of it.
  PartialRecordFlood uncapped = FloodPartialTlsRecords(256u << 20, 400);
  EXPECT_EQ(uncapped.given_up, 0u);
  EXPECT_GE(uncapped.held_after_flood, 400u * 8000);
  EXPECT_EQ(uncapped.held_at_end, 0u);
}

// A flood of flows each parking a partial HTTP head under 4 KiB (never given up one by one)
// fills the parser budget; a new flow whose request head needs more than 4 KiB, in two
// segments, still gets its record: the oldest holders give their share up first (#32 item 7;
// before, the new flow was the one given up and its record lost).
TEST(WorkerTest, AFloodOfParkedFlowsDoesNotStarveANewFlow) {
  Config config = DefaultConfig();
  config.parser_total_bytes = 128 << 10;
  Sink sink;
  Worker worker(config, 0, &sink);
  int64_t t = 1700000000'000000;
  auto send = [&](uint16_t client_port, uint32_t seq, const std::string& payload) {
    std::string f = testing::PacketBuilder()
                        .Eth()
                        .Ipv4("192.0.2.7", "198.51.100.80")
                        .Tcp(client_port, 80, seq, kAck | kPsh)
                        .Payload(payload)
                        .Build();
    worker.HandleFrame(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(),
                       f.size(), t += 10);
  };
  const std::string parked = "GET /parked HTTP/1.1\r\nHost: flood.example\r\nX-Pad: " +
                             std::string(3000, 'p');  // no end of head: held
  for (int i = 0; i < 100; ++i) send(static_cast<uint16_t>(30000 + i), 1000, parked);
  const std::string head =
      "GET /wanted HTTP/1.1\r\nHost: new.example\r\nX-Pad: " + std::string(6000, 'q') + "\r\n\r\n";
  send(29999, 5000, head.substr(0, 5000));
  send(29999, 5000 + 5000, head.substr(5000));
  worker.Finish();
  bool found = false;
  for (const auto& c : sink.Of<schema::Clickstream>()) found |= c.hostname() == "new.example";
  EXPECT_TRUE(found) << "the new flow's request was given up";
  EXPECT_GT(worker.counters().Get(WorkerCounters::kParsersOverBudget), 0u);
}

TEST(WorkerTest, FlowsSeenInOneDirectionOnlyAreCounted) {
  // flow_affinity=queue on a NIC whose RSS is not symmetric gives each worker one direction
  // of a flow: counted when the flow ends, so the operator learns it.
  FlowRun both;
  RunWorker(kSession, &both);
  EXPECT_EQ(both.one_way_flows, 0u);
  FlowRun server_only;
  RunWorker({{false, kGreeting}, {false, k331}, {false, k230}, {false, k331}}, &server_only);
  EXPECT_EQ(server_only.one_way_flows, 1u);
  FlowRun short_one;  // too few packets to say
  RunWorker({{true, kUser}, {true, kPass}}, &short_one);
  EXPECT_EQ(short_one.one_way_flows, 0u);
}

// Frames of one IPv4 TCP flow between client 192.0.2.7:client_port and server
// 198.51.100.80:80, handed to a worker 100 us apart.
struct HttpFlowFeeder {
  Worker* worker;
  uint16_t client_port;
  int64_t t = 1700000000'000000;
  void Send(bool from_client, uint32_t seq, uint8_t flags, const std::string& payload,
            uint32_t ack = 0) {
    testing::PacketBuilder b;
    b.Eth();
    if (from_client) {
      b.Ipv4("192.0.2.7", "198.51.100.80").Tcp(client_port, 80, seq, flags, ack);
    } else {
      b.Ipv4("198.51.100.80", "192.0.2.7").Tcp(80, client_port, seq, flags, ack);
    }
    std::string f = b.Payload(payload).Build();
    worker->HandleFrame(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(),
                        f.size(), t += 100);
  }
};

// A client's SYN with another sequence number on the addresses and ports of a flow whose end
// was not seen (a port reused, a NAT) starts a new flow: its request is parsed and its bulk
// bypassed again, as XDP has removed the old connection's entry. A retransmitted SYN (the same
// number) is the same connection.
TEST(WorkerTest, ANewConnectionOnTheSamePortsIsANewFlow) {
  Sink sink;
  Worker worker(DefaultConfig(), 0, &sink);
  std::vector<Worker::BypassRequest> asked;
  worker.set_bypass_callback(
      [&](const Flow&, const Worker::BypassRequest& r) { asked.push_back(r); });
  HttpFlowFeeder flow{&worker, 40002};
  auto connection = [&](uint32_t cseq, uint32_t sseq, const std::string& path) {
    flow.Send(true, cseq - 1, kSyn, "");
    flow.Send(true, cseq - 1, kSyn, "");  // retransmitted
    flow.Send(false, sseq - 1, kSyn | kAck, "", cseq);
    flow.Send(true, cseq, kAck | kPsh,
              "GET " + path + " HTTP/1.1\r\nHost: reuse.example.org\r\n\r\n", sseq);
    flow.Send(false, sseq, kAck, "HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n");
  };
  connection(1000, 900000, "/first");
  EXPECT_EQ(worker.flows().counters().Get(FlowCounters::kCreated), 1u);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_TRUE(asked[0].skip_to_client);
  // No FIN or RST seen: the client reuses its port for a new connection.
  connection(3000000000u, 77, "/second");
  EXPECT_EQ(worker.flows().counters().Get(FlowCounters::kCreated), 2u);
  ASSERT_EQ(asked.size(), 3u) << "the old entry cleared, the new connection bypassed";
  EXPECT_EQ(asked[1].kind, Worker::BypassRequest::Kind::kClear);
  EXPECT_TRUE(asked[2].skip_to_client);
  worker.Finish();
  auto clicks = sink.Of<schema::Clickstream>();
  ASSERT_EQ(clicks.size(), 2u);
  EXPECT_EQ(clicks[0].path(), "/first");
  EXPECT_EQ(clicks[1].path(), "/second");
  EXPECT_NE(clicks[0].session_id(), clicks[1].session_id());
}

// Live, with replies parsed: a reply body of known length is left in XDP from the first
// segments on (the worker asks for it with the sequence number where the next reply starts),
// the bytes that never come are skipped, and the next reply on the connection is parsed as if
// the body had been read. Bodies: Content-Length, then a chunk, then one shorter than
// kMinSkipBytes (read, not skipped).
TEST(WorkerTest, ReplyBodiesAreLeftInXdpAndTheNextReplyIsStillParsed) {
  Config config = DefaultConfig();
  config.http_parse_reply = true;
  Sink sink;
  Worker worker(config, 0, &sink);
  std::vector<Worker::BypassRequest> asked;
  worker.set_bypass_callback(
      [&](const Flow&, const Worker::BypassRequest& r) { asked.push_back(r); });
  uint32_t cseq = 1000, sseq = 900000;
  HttpFlowFeeder flow{&worker, 40001};
  auto send = [&](bool from_client, uint32_t seq, uint8_t flags, const std::string& payload) {
    flow.Send(from_client, seq, flags, payload);
  };
  send(true, cseq - 1, kSyn, "");
  send(false, sseq - 1, kSyn | kAck, "");
  auto request = [&](const std::string& path) {
    std::string r = "GET " + path + " HTTP/1.1\r\nHost: files.example.org\r\n\r\n";
    send(true, cseq, kAck | kPsh, r);
    cseq += static_cast<uint32_t>(r.size());
  };
  // 1: 100000 bytes by Content-Length; the head and 1000 bytes come, the rest stays in XDP.
  request("/a.bin");
  std::string head1 =
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n";
  send(false, sseq, kAck, head1 + std::string(1000, 'a'));
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].kind, Worker::BypassRequest::Kind::kReplyBody);
  EXPECT_TRUE(asked[0].to_client_until_set);
  EXPECT_FALSE(asked[0].skip_to_client);
  EXPECT_EQ(asked[0].to_client_until, sseq + head1.size() + 100000);
  sseq += static_cast<uint32_t>(head1.size()) + 100000;
  // 2: chunked; the first chunk's size line comes, its 50000 bytes stay in XDP.
  request("/b.txt");
  std::string head2 =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nc350\r\n";
  send(false, sseq, kAck, head2);
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[1].to_client_until, sseq + head2.size() + 50000);
  sseq += static_cast<uint32_t>(head2.size()) + 50000;
  send(false, sseq, kAck, "\r\n0\r\n\r\n");
  sseq += 7;
  // 3: a small body is read.
  request("/c.css");
  std::string reply3 =
      "HTTP/1.1 404 Not Found\r\nContent-Length: 300\r\n\r\n" + std::string(300, 'c');
  send(false, sseq, kAck, reply3);
  EXPECT_EQ(asked.size(), 2u) << "a short body is not worth a map update";
  worker.Finish();

  auto replies = sink.Of<schema::HttpReply>();
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].result_code(), 200u);
  EXPECT_EQ(replies[0].content_length(), 100000u);
  EXPECT_EQ(replies[1].content_type(), "text/plain");
  EXPECT_EQ(replies[2].result_code(), 404u);
  EXPECT_EQ(sink.Of<schema::Clickstream>().size(), 3u);
  EXPECT_EQ(worker.counters().Get(WorkerCounters::kBypassReplyBody), 2u);
  EXPECT_EQ(worker.parser_counters().Get(ParserCounters::kHttpResyncs), 0u)
      << "skipped bytes are not a gap";
}

// Offline (or a live capture that lost a segment): bytes lost inside a body of known length
// are a hole of known size in the sequence space, so the next reply on the connection is still
// found where it starts, without resynchronising.
TEST(WorkerTest, ASegmentLostInsideABodyKeepsTheFraming) {
  Config config = DefaultConfig();
  config.http_parse_reply = true;
  Sink sink;
  Worker worker(config, 0, &sink);
  uint32_t cseq = 1000, sseq = 900000;
  HttpFlowFeeder flow{&worker, 40002};
  auto send = [&](bool from_client, uint32_t seq, uint32_t ack, const std::string& payload) {
    flow.Send(from_client, seq, kAck | kPsh, payload, ack);
  };
  send(true, cseq - 1, 0, "");
  const std::string get1 = "GET /one HTTP/1.1\r\nHost: h.example\r\n\r\n";
  send(true, cseq, sseq, get1);
  cseq += static_cast<uint32_t>(get1.size());
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n";
  send(false, sseq, cseq, head + std::string(1000, 'a'));
  // 5000 bytes of the body are lost; the last 4000 come, and the client acknowledges all.
  const uint32_t body_end = sseq + static_cast<uint32_t>(head.size()) + 10000;
  send(false, body_end - 4000, cseq, std::string(4000, 'c'));
  send(true, cseq, body_end, "");
  const std::string get2 = "GET /two HTTP/1.1\r\nHost: h.example\r\n\r\n";
  send(true, cseq, body_end, get2);
  send(false, body_end, cseq + static_cast<uint32_t>(get2.size()),
       "HTTP/1.1 302 Found\r\nLocation: /three\r\nContent-Length: 0\r\n\r\n");
  worker.Finish();
  auto replies = sink.Of<schema::HttpReply>();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].result_code(), 302u);
  EXPECT_EQ(replies[1].location(), "/three");
  EXPECT_EQ(worker.parser_counters().Get(ParserCounters::kHttpResyncs), 0u);
}

}  // namespace
}  // namespace xsensor
