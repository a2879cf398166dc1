// The receiver faces whatever a network sends it: each test is an input that used to take it
// down (a loop that never ended, a buffer that grew without bound, a spin on accept) and the
// limit that now holds.
#include "receiver/receiver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "common/unique_fd.h"

namespace xsensor {
namespace {

void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v));
}
void Put32(std::string* s, uint32_t v) {
  Put16(s, static_cast<uint16_t>(v >> 16));
  Put16(s, static_cast<uint16_t>(v));
}
// An IPFIX message around `sets` (RFC 7011 3.1).
std::string Message(const std::string& sets, uint32_t domain = 1) {
  std::string m;
  Put16(&m, 10);
  Put16(&m, static_cast<uint16_t>(16 + sets.size()));
  Put32(&m, 1700000000);
  Put32(&m, 0);
  Put32(&m, domain);
  return m + sets;
}
std::string Set(uint16_t id, const std::string& body) {
  std::string s;
  Put16(&s, id);
  Put16(&s, static_cast<uint16_t>(4 + body.size()));
  return s + body;
}
// A template record: id, then (element id, length) pairs.
std::string TemplateRecord(uint16_t id, const std::vector<std::pair<uint16_t, uint16_t>>& f) {
  std::string t;
  Put16(&t, id);
  Put16(&t, static_cast<uint16_t>(f.size()));
  for (auto [e, len] : f) {
    Put16(&t, e);
    Put16(&t, len);
  }
  return t;
}

// Runs `f` on a thread; a test whose input makes it loop fails after 10 s instead of hanging
// the suite (the process ends: the loop cannot be stopped from outside).
template <typename F>
void WithinSeconds(F f) {
  std::atomic<bool> done{false};
  std::thread t([&] {
    f();
    done = true;
  });
  for (int i = 0; i < 1000 && !done; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!done) {
    ADD_FAILURE() << "did not return within 10 s";
    std::_Exit(1);
  }
  t.join();
}

// 33 bytes: a template whose one field has length 0, then a data set of one byte. The
// data-set loop took no room per record and never ended.
TEST(ReceiverTest, AZeroLengthFieldIsMalformedNotALoop) {
  std::string msg = Message(Set(2, TemplateRecord(256, {{1, 0}})) + Set(256, "x"));
  ASSERT_EQ(msg.size(), 33u);
  uint64_t records = 0;
  IpfixDecoder d([&](DecodedRecord&) { ++records; });
  WithinSeconds([&] { EXPECT_FALSE(d.DecodeMessage(msg)); });
  EXPECT_EQ(records, 0u);
  EXPECT_EQ(d.stats().malformed, 1u);
  EXPECT_EQ(d.templates(), 0u);
  // A variable-length field takes its length byte: records of empty values still move on.
  IpfixDecoder v([&](DecodedRecord&) { ++records; });
  std::string ok =
      Message(Set(2, TemplateRecord(257, {{1, 65535}})) + Set(257, std::string(5, '\0')));
  WithinSeconds([&] { EXPECT_TRUE(v.DecodeMessage(ok)); });
  EXPECT_EQ(records, 5u);
}

// Template floods: every template of a session counts against its limits, refused past them.
TEST(ReceiverTest, TemplatesAreBoundedPerSession) {
  IpfixDecoder d([](DecodedRecord&) {});
  uint64_t sent = 0;
  for (uint32_t domain = 0; domain < 4; ++domain) {
    for (int m = 0; m < 40; ++m) {
      std::string body;
      for (int i = 0; i < 20; ++i) {
        body += TemplateRecord(static_cast<uint16_t>(256 + m * 20 + i), {{1, 8}, {2, 8}, {8, 4}});
        ++sent;
      }
      d.DecodeMessage(Message(Set(2, body), domain));
    }
  }
  EXPECT_EQ(sent, 3200u);
  EXPECT_EQ(d.templates(), IpfixDecoder::kMaxTemplates);
  EXPECT_EQ(d.stats().templates_refused, sent - IpfixDecoder::kMaxTemplates);
  EXPECT_EQ(d.stats().malformed, 0u);
  // Fields: a few templates of 16k fields each reach the field limit first.
  IpfixDecoder f([](DecodedRecord&) {});
  for (uint16_t id = 256; id < 266; ++id) {
    std::vector<std::pair<uint16_t, uint16_t>> many(16000, {1, 1});
    std::string rec = TemplateRecord(id, many);
    f.DecodeMessage(Message(Set(2, rec.substr(0, 65000 - 20))));  // cut: malformed
    std::vector<std::pair<uint16_t, uint16_t>> fits(16000 - 10, {1, 1});
    f.DecodeMessage(Message(Set(2, TemplateRecord(id, fits))));
  }
  EXPECT_LE(f.templates(), IpfixDecoder::kMaxTemplateFields / (16000 - 10));
  EXPECT_GT(f.stats().templates_refused, 0u);
}

struct Running {
  std::unique_ptr<Receiver> rx;
  std::thread thread;
  std::atomic<bool> stop{false};
  ~Running() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
};

std::unique_ptr<Running> Start(const ReceiverLimits& limits, bool udp = false) {
  auto r = std::make_unique<Running>();
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto rx = Receiver::Create(udp ? std::vector<Endpoint>{*any} : std::vector<Endpoint>{},
                             udp ? std::vector<Endpoint>{} : std::vector<Endpoint>{*any});
  EXPECT_TRUE(rx.ok());
  r->rx = std::move(*rx);
  r->thread = std::thread([p = r.get(), limits] { p->rx->Run(limits, &p->stop); });
  return r;
}

UniqueFd Connect(const Endpoint& ep, const char* from = nullptr) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (from) {  // another loopback address: another host, as the receiver sees it
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, from, &src.sin_addr);
    EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&src), sizeof(src)), 0);
  }
  EXPECT_EQ(connect(fd.get(), ep.sa(), ep.len), 0);
  return fd;
}

// A message length of 0 on TCP was read as "need more": the buffer grew with all that came.
TEST(ReceiverTest, AnImpossibleLengthOnTcpClosesTheConnection) {
  ReceiverLimits limits;
  limits.tcp_sessions_to_close = 1;
  limits.max_run_ms = 10000;
  auto r = Start(limits);
  UniqueFd c = Connect(r->rx->tcp_endpoints()[0]);
  std::string head = Message("");
  head[2] = head[3] = 0;  // length 0
  std::string junk(1 << 16, 'x');
  ASSERT_EQ(send(c.get(), head.data(), head.size(), MSG_NOSIGNAL), 16);
  for (int i = 0; i < 64; ++i) {  // up to 4 MiB, which the old receiver kept buffering
    if (send(c.get(), junk.data(), junk.size(), MSG_NOSIGNAL) <= 0) break;  // closed
  }
  r->thread.join();  // returns once the session is closed
  EXPECT_EQ(r->rx->stats().tcp_broken, 1u);
  EXPECT_EQ(r->rx->tcp_sessions(), 0u);
}

// One host does not lock the others out (#32): past max_tcp_sessions_per_peer its connections
// are closed while another address still gets in; and a peer trickling a byte at a time
// without ever completing a message is closed as idle.
TEST(ReceiverTest, OneAddressCannotTakeEveryConnectionNorTrickle) {
  ReceiverLimits limits;
  limits.max_tcp_sessions = 100;
  limits.max_tcp_sessions_per_peer = 2;
  limits.tcp_idle_ms = 800;
  auto r = Start(limits);
  const Endpoint& ep = r->rx->tcp_endpoints()[0];
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(Connect(ep, "127.0.0.1"));
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  UniqueFd other = Connect(ep, "127.0.0.2");
  std::string hello = Message("");
  // The other exporter speaks; the first connection of 127.0.0.1 trickles its message a byte
  // every 100 ms (never whole within 800 ms).
  for (int i = 0; i < 16; ++i) {
    if (i % 4 == 0) send(other.get(), hello.data(), hello.size(), MSG_NOSIGNAL);
    send(clients[0].get(), hello.data() + i, 1, MSG_NOSIGNAL);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  r->stop = true;
  r->thread.join();
  EXPECT_EQ(r->rx->stats().tcp_refused_peer, 3u);
  EXPECT_EQ(r->rx->stats().tcp_refused, 0u);
  EXPECT_EQ(r->rx->stats().tcp_idle_closed, 2u);  // the trickler and the silent one
  EXPECT_EQ(r->rx->tcp_sessions(), 1u);           // the other exporter
  EXPECT_EQ(r->rx->TotalStats().messages, 4u);
}

TEST(ReceiverTest, ConnectionsAreCappedAndIdleOnesClosed) {
  ReceiverLimits limits;
  limits.max_tcp_sessions = 2;
  limits.tcp_idle_ms = 800;
  auto r = Start(limits);  // runs until r->stop
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(Connect(r->rx->tcp_endpoints()[0]));
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
  }
  // The two kept stay while they speak: one sends a message every 200 ms, the other nothing
  // (closed once 800 ms silent, well within the 1.6 s of messages).
  std::string hello = Message("");
  for (int i = 0; i < 8; ++i) {
    send(clients[0].get(), hello.data(), hello.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the last one read
  r->stop = true;
  r->thread.join();
  EXPECT_EQ(r->rx->stats().tcp_refused, 3u);
  EXPECT_EQ(r->rx->stats().tcp_idle_closed, 1u);
  EXPECT_EQ(r->rx->tcp_sessions(), 1u);
  EXPECT_EQ(r->rx->TotalStats().messages, 8u);
}

// A burst of new source addresses (one datagram each, no record) does not push out a quiet
// exporter that has delivered records: the burst's sessions go first (#32).
TEST(ReceiverTest, AUdpBurstDoesNotEvictAnExporterThatDelivered) {
  ReceiverLimits limits;
  limits.max_udp_sessions = 8;
  auto r = Start(limits, /*udp=*/true);
  const Endpoint& ep = r->rx->udp_endpoints()[0];
  UniqueFd exporter(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  // Template 256 (one 4-byte field, sourceIPv4Address) and a record of it.
  std::string with_record =
      Message(Set(2, TemplateRecord(256, {{8, 4}})) + Set(256, std::string("\x0a\0\0\x01", 4)));
  sendto(exporter.get(), with_record.data(), with_record.size(), 0, ep.sa(), ep.len);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string hello = Message("");
  std::vector<UniqueFd> burst;
  for (int i = 0; i < 40; ++i) {
    burst.emplace_back(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sendto(burst.back().get(), hello.data(), hello.size(), 0, ep.sa(), ep.len);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The exporter again, a record only: its template must still be known.
  std::string record_only = Message(Set(256, std::string("\x0a\0\0\x02", 4)));
  sendto(exporter.get(), record_only.data(), record_only.size(), 0, ep.sa(), ep.len);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  r->stop = true;
  r->thread.join();
  EXPECT_LE(r->rx->udp_sessions(), 8u);
  EXPECT_EQ(r->rx->TotalStats().records, 2u);
  EXPECT_EQ(r->rx->TotalStats().missing_template, 0u);
}

TEST(ReceiverTest, UdpExportersAreForgottenPastTheCap) {
  ReceiverLimits limits;
  limits.max_udp_sessions = 8;
  auto r = Start(limits, /*udp=*/true);  // runs until r->stop
  std::string hello = Message("");
  const Endpoint& ep = r->rx->udp_endpoints()[0];
  // A new source port each: the sockets stay open, or a closed one's port could come back
  // (39 exporters, 31 pruned, in one CI run).
  std::vector<UniqueFd> sockets;
  for (int i = 0; i < 40; ++i) {
    sockets.emplace_back(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sendto(sockets.back().get(), hello.data(), hello.size(), 0, ep.sa(), ep.len);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The last ones read (1 s: under a loaded parallel test run 200 ms once was not enough).
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  r->stop = true;
  r->thread.join();
  EXPECT_LE(r->rx->udp_sessions(), 8u);
  EXPECT_GE(r->rx->stats().udp_sessions_pruned, 32u);
  EXPECT_EQ(r->rx->TotalStats().messages, 40u);  // pruned sessions' counts are kept
}

// Out of descriptors, accept() fails and the connection stays queued: poll() reported it
// again at once and the receiver spun. It now pauses listening: a second of it costs little
// CPU. (In a child process: it lowers its own descriptor limit.)
TEST(ReceiverTest, OutOfDescriptorsDoesNotSpin) {
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto rx = Receiver::Create({}, {*any});
  ASSERT_TRUE(rx.ok());
  Endpoint ep = (*rx)->tcp_endpoints()[0];
  UniqueFd client = Connect(ep);  // queued before the child starts
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int top = dup(0);  // the lowest free descriptor: the limit below leaves none
    rlimit rl{static_cast<rlim_t>(top), static_cast<rlim_t>(top)};
    close(top);
    setrlimit(RLIMIT_NOFILE, &rl);
    ReceiverLimits limits;
    limits.max_run_ms = 1000;
    (*rx)->Run(limits, nullptr);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    bool errors = (*rx)->stats().accept_errors > 0;
    std::_Exit(!errors ? 2 : cpu > 0.3 ? 3 : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: accept never failed; 3: more than 0.3 s of CPU";
}

}  // namespace
}  // namespace xsensor
