// The exporter against real UDP and TCP sockets on loopback, read by the Receiver.
#include "export/exporter.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/time_util.h"
#include "common/unique_fd.h"
#include "receiver/receiver.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

schema::Clickstream Rec(uint64_t session) {
  schema::Clickstream r;
  r.set_ip_source(std::string("\x0a\x00\x00\x01", 4));
  r.set_ip_destination(std::string("\x0a\x00\x00\x02", 4));
  r.set_hostname(absl::StrCat("h", session));
  r.set_session_id(session);
  return r;
}

// A collector on loopback (any port, or `at`) collecting the sessions and address families of
// the clickstream records it decodes, and the id of the first set of every message.
struct Listener {
  explicit Listener(bool udp, const Endpoint* at = nullptr) {
    Endpoint where = at ? *at : *ParseEndpoint("127.0.0.1:0", true);
    auto created = udp ? Receiver::Create({where}, {}) : Receiver::Create({}, {where});
    if (!created.ok()) return;
    receiver = std::move(*created);
    ep = udp ? receiver->udp_endpoints()[0] : receiver->tcp_endpoints()[0];
    receiver->set_record_callback([this](ReceivedRecord& r) {
      schema::Clickstream c;
      c.CopyFrom(*r.record.message);
      sessions.push_back(c.session_id());
      v6.push_back(r.record.spec->ipv6);
    });
    receiver->set_message_callback([this](absl::string_view m) {
      if (m.size() >= 18)
        first_set_ids.push_back(static_cast<uint16_t>((static_cast<uint8_t>(m[16]) << 8) |
                                                      static_cast<uint8_t>(m[17])));
    });
  }
  ~Listener() {
    if (thread.joinable()) thread.join();  // Run returns by its limits
  }
  void Start(ReceiverLimits limits) {
    thread = std::thread([this, limits] { receiver->Run(limits, nullptr); });
  }
  std::unique_ptr<Receiver> receiver;
  Endpoint ep;
  std::vector<uint64_t> sessions;
  std::vector<bool> v6;
  std::vector<uint16_t> first_set_ids;
  std::thread thread;
};

TEST(ExporterTest, EveryCollectorOfAListGetsTheWholeStreamInOrder) {
  Listener u1(true), u2(true), t1(false);
  Config c = DefaultConfig();
  c.ipfix_udp_collectors = {u1.ep, u2.ep};
  c.ipfix_tcp_collectors = {t1.ep};
  c.ipfix_mtu_limit = 600;  // several messages
  ReceiverLimits udp_limits;
  udp_limits.idle_exit_ms = 400;
  udp_limits.max_run_ms = 10000;
  ReceiverLimits tcp_limits;
  tcp_limits.tcp_sessions_to_close = 1;
  tcp_limits.max_run_ms = 10000;
  u1.Start(udp_limits);
  u2.Start(udp_limits);
  t1.Start(tcp_limits);
  {
    auto e = Exporter::Create(c);
    ASSERT_TRUE(e.ok());
    (*e)->Tick(MonotonicMicros());
    for (uint64_t s = 1; s <= 200; ++s) (*e)->Emit(Rec(s));
    schema::Clickstream six = Rec(201);
    six.set_ip_source(std::string(16, '\x01'));
    six.set_ip_destination(std::string(16, '\x02'));
    (*e)->Emit(six);
    (*e)->Shutdown(5'000'000);
    EXPECT_GT((*e)->stats().messages, 5u);
    for (const Collector* col : (*e)->collectors()) {
      EXPECT_EQ(col->stats().records_dropped, 0u);
      EXPECT_EQ(col->stats().records_sent, 201u);
      EXPECT_GT(col->stats().options_records_sent, 0u);  // element types, with the templates
    }
  }
  u1.thread.join();
  u2.thread.join();
  t1.thread.join();
  for (Listener* l : {&u1, &u2, &t1}) {
    ASSERT_EQ(l->sessions.size(), 201u);
    for (uint64_t s = 1; s <= 201; ++s) EXPECT_EQ(l->sessions[s - 1], s);
    EXPECT_TRUE(l->v6.back());
    EXPECT_FALSE(l->v6.front());
    DecoderStats st = l->receiver->TotalStats();
    EXPECT_EQ(st.missing_template, 0u);  // templates always came first
    EXPECT_EQ(st.sequence_gaps, 0u);
    EXPECT_EQ(st.malformed, 0u);
  }
}

TEST(ExporterTest, SharedListsSplitTheStreamBySessionAndKeepASessionTogether) {
  Listener u1(true), u2(true), u3(true), t1(false);
  Config c = DefaultConfig();
  c.ipfix_udp_collectors = {u1.ep, u2.ep, u3.ep};
  c.ipfix_tcp_collectors = {t1.ep};  // a list of one: it gets everything
  c.ipfix_collectors_share = true;
  ReceiverLimits udp_limits;
  udp_limits.idle_exit_ms = 400;
  udp_limits.max_run_ms = 10000;
  ReceiverLimits tcp_limits;
  tcp_limits.tcp_sessions_to_close = 1;
  tcp_limits.max_run_ms = 10000;
  for (Listener* l : {&u1, &u2, &u3}) l->Start(udp_limits);
  t1.Start(tcp_limits);
  // Session ids as the sensor makes them (microseconds and a counter); two records each (a
  // request and its reply, say), interleaved with other sessions'.
  constexpr uint64_t kBase = 1795724354652992;
  constexpr uint64_t kSessions = 300;
  {
    auto e = Exporter::Create(c);
    ASSERT_TRUE(e.ok());
    (*e)->Tick(MonotonicMicros());
    for (int round = 0; round < 2; ++round) {
      for (uint64_t s = 0; s < kSessions; ++s) (*e)->Emit(Rec(kBase + s * 7));
    }
    (*e)->Shutdown(5'000'000);
  }
  for (Listener* l : {&u1, &u2, &u3, &t1}) l->thread.join();

  std::map<uint64_t, int> owner;  // session -> UDP collector
  size_t udp_total = 0;
  int index = 0;
  for (Listener* l : {&u1, &u2, &u3}) {
    ++index;
    std::map<uint64_t, int> count;
    for (uint64_t s : l->sessions) ++count[s];
    // Every collector gets a fair part (300 sessions over 3: far from 0 or all).
    EXPECT_GT(count.size(), kSessions / 6) << "collector " << index;
    EXPECT_LT(count.size(), kSessions / 2) << "collector " << index;
    for (const auto& [session, n] : count) {
      EXPECT_EQ(n, 2) << "both records of session " << session << " at one collector";
      EXPECT_TRUE(owner.emplace(session, index).second) << "session " << session << " twice";
    }
    udp_total += l->sessions.size();
    EXPECT_EQ(l->receiver->TotalStats().missing_template, 0u);
    EXPECT_EQ(l->receiver->TotalStats().sequence_gaps, 0u);
  }
  EXPECT_EQ(udp_total, 2 * kSessions);
  EXPECT_EQ(owner.size(), kSessions);
  EXPECT_EQ(t1.sessions.size(), 2 * kSessions);
}

TEST(ExporterTest, UdpMessagesRespectTheMtuLimit) {
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto rx = Receiver::Create({*any}, {});
  ASSERT_TRUE(rx.ok());
  size_t largest = 0;
  int messages = 0;
  (*rx)->set_message_callback([&](absl::string_view m) {
    largest = std::max(largest, m.size());
    ++messages;
  });
  Config c = DefaultConfig();
  c.ipfix_udp_collectors = {(*rx)->udp_endpoints()[0]};
  c.ipfix_mtu_limit = 700;
  std::thread t([&] {
    ReceiverLimits l;
    l.idle_exit_ms = 400;
    l.max_run_ms = 10000;
    (*rx)->Run(l, nullptr);
  });
  {
    auto e = Exporter::Create(c);
    (*e)->Tick(MonotonicMicros());
    for (uint64_t s = 1; s <= 100; ++s) (*e)->Emit(Rec(s));
    (*e)->Shutdown(1'000'000);
  }
  t.join();
  EXPECT_GT(messages, 5);
  EXPECT_LE(largest, 700u);
  EXPECT_EQ((*rx)->records(), 100u);
}

TEST(ExporterTest, UdpTemplatesAtStartAndEveryTimerPeriod) {
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto rx = Receiver::Create({*any}, {});
  ASSERT_TRUE(rx.ok());
  int template_messages = 0;
  (*rx)->set_message_callback([&](absl::string_view m) {
    // Each template round starts with a message whose first set is the options template
    // set (id 3, one 46-byte template) announcing the RFC 5610 element types, and whose first
    // element type record (pen, then id at offset 16 + 46 + 4 + 4) is the first element,
    // TIME_STAMP (1001); the round's other messages start with the next elements.
    if (m.size() > 72 && m[16] == 0 && m[17] == 3 && uint8_t(m[70]) == 1001 >> 8 &&
        uint8_t(m[71]) == (1001 & 0xff)) {
      ++template_messages;
    }
  });
  Config c = DefaultConfig();
  c.ipfix_udp_collectors = {(*rx)->udp_endpoints()[0]};
  c.ipfix_udp_template_timer = 1;
  std::thread t([&] {
    ReceiverLimits l;
    l.idle_exit_ms = 600;
    l.max_run_ms = 10000;
    (*rx)->Run(l, nullptr);
  });
  {
    auto e = Exporter::Create(c);
    int64_t start = MonotonicMicros();
    while (MonotonicMicros() - start < 2'500'000) {  // 2.5 timer periods
      (*e)->Tick(MonotonicMicros());
      (*e)->Emit(Rec(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    (*e)->Shutdown(1'000'000);
  }
  t.join();
  // Rounds at 0 s, 1 s and 2 s.
  EXPECT_EQ(template_messages, 3);
  EXPECT_EQ((*rx)->TotalStats().missing_template, 0u);
}

TEST(ExporterTest, AbsentTcpCollectorNeitherBlocksNorLosesCountOfRecords) {
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto gone = Receiver::Create({}, {*any});
  Endpoint ep = (*gone)->tcp_endpoints()[0];
  gone->reset();  // nothing listens there now: connect is refused
  Config c = DefaultConfig();
  c.ipfix_tcp_collectors = {ep};
  int64_t start = MonotonicMicros();
  auto e = Exporter::Create(c);
  (*e)->Tick(MonotonicMicros());
  for (uint64_t s = 1; s <= 50; ++s) (*e)->Emit(Rec(s));
  (*e)->Shutdown(2'000'000);
  EXPECT_LT(MonotonicMicros() - start, 1'500'000);
  const Collector* col = (*e)->collectors()[0];
  EXPECT_EQ(col->stats().records_dropped, 50u);
  EXPECT_EQ(col->stats().records_sent, 0u);
  EXPECT_GE(col->stats().send_errors, 1u);
}

TEST(ExporterTest, DeadUdpCollectorDoesNotStopTheLiveOne) {
  Listener live(true);
  // A port with nothing listening: ICMP port unreachable -> ECONNREFUSED on later sends.
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto dead = Receiver::Create({*any}, {});
  Endpoint dead_ep = (*dead)->udp_endpoints()[0];
  dead->reset();
  Config c = DefaultConfig();
  c.ipfix_udp_collectors = {dead_ep, live.ep};
  c.ipfix_mtu_limit = 512;
  ReceiverLimits l;
  l.idle_exit_ms = 400;
  l.max_run_ms = 10000;
  live.Start(l);
  uint64_t dead_errors = 0;
  {
    auto e = Exporter::Create(c);
    (*e)->Tick(MonotonicMicros());
    // Ticks between records, as the live export thread runs: each sends what is batched, and
    // the ICMP error of one batch surfaces on the next send.
    for (uint64_t s = 1; s <= 100; ++s) {
      (*e)->Emit(Rec(s));
      if (s % 10 == 0) {
        (*e)->Tick(MonotonicMicros());
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    (*e)->Shutdown(1'000'000);
    dead_errors = (*e)->collectors()[0]->stats().send_errors;
  }
  live.thread.join();
  EXPECT_EQ(live.sessions.size(), 100u);
  EXPECT_GT(dead_errors, 0u);
}

TEST(ExporterTest, UdpErrorsAreLoggedOnceThenSummarisedWhenTheCollectorComesBack) {
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto dead = Receiver::Create({*any}, {});
  ASSERT_TRUE(dead.ok());
  Endpoint ep = (*dead)->udp_endpoints()[0];
  dead->reset();
  Config c = DefaultConfig();
  c.ipfix_udp_collectors = {ep};
  c.ipfix_mtu_limit = 512;
  c.ipfix_udp_template_timer = 1;  // the collector that comes back gets templates again
  testing::internal::CaptureStderr();
  auto e = Exporter::Create(c);
  ASSERT_TRUE(e.ok());
  for (uint64_t s = 1; s <= 300; ++s) {
    (*e)->Emit(Rec(s));
    if (s % 10 == 0) (*e)->Tick(MonotonicMicros());
  }
  (*e)->Flush();
  const Collector& col = *(*e)->collectors()[0];
  uint64_t errors = col.stats().send_errors;
  // The collector comes back on the same port; sending goes on past the quiet period.
  Listener back(true, &ep);
  ASSERT_TRUE(back.receiver);
  ReceiverLimits l;
  l.idle_exit_ms = 400;
  l.max_run_ms = 10000;
  back.Start(l);
  int64_t until = MonotonicMicros() + 1'400'000;
  uint64_t s = 1000;
  while (MonotonicMicros() < until) {
    (*e)->Emit(Rec(++s));
    (*e)->Tick(MonotonicMicros());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (*e)->Shutdown(1'000'000);
  std::string log = testing::internal::GetCapturedStderr();
  back.thread.join();
  ASSERT_GT(errors, 5u);
  // An ICMP error of the last datagram sent to the dead port may surface on the next send.
  uint64_t total = col.stats().send_errors;
  EXPECT_LE(total, errors + 1) << "no errors once the collector is back";
  size_t first = log.find("Connection refused");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("Connection refused", first + 1), std::string::npos)
      << "the error is logged once, then counted:\n"
      << log;
  EXPECT_NE(log.find("( repeat error " + std::to_string(total - 1) + " ), now ok"),
            std::string::npos)
      << log;
  EXPECT_FALSE(back.sessions.empty());
  EXPECT_EQ(back.sessions.back(), s);
}

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t s = from; s <= to; ++s) v.push_back(s);
  return v;
}

// Runs `l` (a TCP collector) until the exporter closes its transport session.
void StartUntilSessionCloses(Listener& l) {
  ReceiverLimits limits;
  limits.tcp_sessions_to_close = 1;
  limits.max_run_ms = 10000;
  l.Start(limits);
}

// Ticks the exporter until `done` or 5 s pass.
template <typename F>
bool TickUntil(Exporter& e, F done) {
  int64_t deadline = MonotonicMicros() + 5'000'000;
  while (!done() && MonotonicMicros() < deadline) {
    e.Tick(MonotonicMicros());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

TEST(ExporterTest, TcpCollectorStartedLateGetsTemplatesFirstThenEveryRecord) {
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto probe = Receiver::Create({}, {*any});
  ASSERT_TRUE(probe.ok());
  Endpoint ep = (*probe)->tcp_endpoints()[0];
  probe->reset();  // nothing listens there yet
  Config c = DefaultConfig();
  c.ipfix_tcp_collectors = {ep};
  auto e = Exporter::Create(c);
  ASSERT_TRUE(e.ok());
  const Collector* col = (*e)->collectors()[0];
  (*e)->Tick(MonotonicMicros());
  for (uint64_t s = 1; s <= 20; ++s) (*e)->Emit(Rec(s));
  (*e)->Flush();
  TickUntil(**e, [&] { return col->stats().send_errors >= 1; });
  ASSERT_GE(col->stats().send_errors, 1u) << "the connection is refused";
  EXPECT_EQ(col->stats().records_dropped, 0u) << "while down, records wait (within the bound)";
  EXPECT_GT(col->queued_messages(), 0u);

  // The collector starts on that port; the sensor connects at its next retry.
  Listener late(/*udp=*/false, &ep);
  ASSERT_NE(late.receiver, nullptr);
  StartUntilSessionCloses(late);
  ASSERT_TRUE(TickUntil(**e, [&] { return col->connected(); }));
  for (uint64_t s = 21; s <= 60; ++s) (*e)->Emit(Rec(s));
  (*e)->Shutdown(2'000'000);
  CollectorStats stats = col->stats();
  e->reset();  // closes the transport session: the receiver returns
  late.thread.join();

  EXPECT_EQ(late.sessions, Range(1, 60)) << "what waited, then what came after";
  ASSERT_FALSE(late.first_set_ids.empty());
  // The options template (set 3) announcing the RFC 5610 element types opens the new session,
  // then the templates, before any data.
  EXPECT_EQ(late.first_set_ids[0], 3);
  DecoderStats rs = late.receiver->TotalStats();
  EXPECT_EQ(rs.missing_template, 0u);
  EXPECT_EQ(rs.sequence_gaps, 0u);
  EXPECT_GT(rs.options_records, 0u);  // RFC 5610 type records went with the templates
  // Data records, and apart the options records (both count in the sequence numbers of RFC
  // 7011): every one sent was received.
  EXPECT_EQ(stats.records_sent, 60u);
  EXPECT_EQ(stats.options_records_sent, rs.options_records);
  EXPECT_EQ(stats.records_dropped, 0u);
  EXPECT_EQ(stats.connects, 1u);
}

TEST(ExporterTest, TcpCollectorRestartedMidStreamGetsTemplatesAgainThenWhatWaited) {
  auto first = std::make_unique<Listener>(/*udp=*/false);
  ASSERT_NE(first->receiver, nullptr);
  Endpoint ep = first->ep;
  ReceiverLimits l1;
  l1.max_records = 40;
  l1.max_run_ms = 10000;
  first->Start(l1);
  Config c = DefaultConfig();
  c.ipfix_tcp_collectors = {ep};
  auto e = Exporter::Create(c);
  ASSERT_TRUE(e.ok());
  const Collector* col = (*e)->collectors()[0];
  ASSERT_TRUE(TickUntil(**e, [&] { return col->connected(); }));
  for (uint64_t s = 1; s <= 40; ++s) (*e)->Emit(Rec(s));
  (*e)->Flush();
  ASSERT_TRUE(TickUntil(**e, [&] { return col->queued_bytes() == 0; }));
  first->thread.join();  // it has the 40 records
  EXPECT_EQ(first->sessions, Range(1, 40));
  first.reset();  // the collector dies

  // The sensor notices the closed connection; records meanwhile wait for the next one.
  ASSERT_TRUE(TickUntil(**e, [&] { return !col->up(); }));
  for (uint64_t s = 41; s <= 60; ++s) (*e)->Emit(Rec(s));
  (*e)->Flush();
  ASSERT_TRUE(TickUntil(**e, [&] { return col->stats().disconnects >= 2; }))
      << "reconnects are tried (and refused) meanwhile";
  EXPECT_EQ(col->stats().records_dropped, 0u);

  // Restarted on the same port: the sensor reconnects, templates first, then the new records.
  Listener second(/*udp=*/false, &ep);
  ASSERT_NE(second.receiver, nullptr);
  StartUntilSessionCloses(second);
  ASSERT_TRUE(TickUntil(**e, [&] { return col->connected(); }));
  for (uint64_t s = 61; s <= 80; ++s) (*e)->Emit(Rec(s));
  (*e)->Shutdown(2'000'000);
  CollectorStats stats = col->stats();
  e->reset();
  second.thread.join();

  EXPECT_EQ(second.sessions, Range(41, 80));
  ASSERT_FALSE(second.first_set_ids.empty());
  EXPECT_EQ(second.first_set_ids[0], 3);
  EXPECT_EQ(second.receiver->TotalStats().missing_template, 0u);
  EXPECT_EQ(second.receiver->TotalStats().sequence_gaps, 0u);
  EXPECT_EQ(stats.connects, 2u);
  EXPECT_EQ(stats.records_dropped, 0u);
}

TEST(ExporterTest, TcpCollectorDownLongQueuesUpToTheBoundThenDropsAndCountsExactly) {
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto probe = Receiver::Create({}, {*any});
  ASSERT_TRUE(probe.ok());
  Endpoint ep = (*probe)->tcp_endpoints()[0];
  probe->reset();
  Config c = DefaultConfig();
  c.ipfix_tcp_collectors = {ep};
  c.ipfix_tcp_queue_bytes = 64 << 10;
  c.ipfix_mtu_limit = 512;
  auto e = Exporter::Create(c);
  ASSERT_TRUE(e.ok());
  const Collector* col = (*e)->collectors()[0];
  (*e)->Tick(MonotonicMicros());
  constexpr uint64_t kRecords = 3000;  // far more than 64 KiB of messages
  for (uint64_t s = 1; s <= kRecords; ++s) {
    (*e)->Emit(Rec(s));
    ASSERT_LE(col->queued_bytes(), size_t{64} << 10);
  }
  (*e)->Flush();
  uint64_t dropped = col->stats().records_dropped;
  EXPECT_GT(dropped, 0u);
  // The collector comes back: it gets the templates, then exactly what the queue held.
  Listener back(/*udp=*/false, &ep);
  ASSERT_NE(back.receiver, nullptr);
  StartUntilSessionCloses(back);
  ASSERT_TRUE(TickUntil(**e, [&] {
    return col->connected() && col->queued_bytes() == 0 && col->unacknowledged_messages() == 0;
  }));
  CollectorStats stats = col->stats();
  e->reset();
  back.thread.join();
  EXPECT_EQ(back.sessions.size() + dropped, kRecords) << "each record delivered or counted";
  EXPECT_EQ(stats.records_sent, back.sessions.size());
  EXPECT_EQ(stats.records_dropped, dropped);
  EXPECT_EQ(back.receiver->TotalStats().sequence_gaps, 0u);
  EXPECT_EQ(back.receiver->TotalStats().missing_template, 0u);
  // The oldest records waited, in order; messages arriving at a full queue were the ones
  // dropped (a last, shorter message may still have fitted).
  ASSERT_FALSE(back.sessions.empty());
  EXPECT_EQ(back.sessions.front(), 1u);
  EXPECT_TRUE(std::is_sorted(back.sessions.begin(), back.sessions.end()));
  size_t prefix = 0;
  while (prefix < back.sessions.size() && back.sessions[prefix] == prefix + 1) ++prefix;
  EXPECT_GE(prefix + 16, back.sessions.size()) << "all but the last message a prefix";
}

// A collector on a loopback port that accepts and never reads (`rcvbuf`: the receive buffer
// its connection gets, 0: the default).
struct SilentCollector {
  UniqueFd listener;
  Endpoint endpoint;
};
SilentCollector ListenSilently(int rcvbuf = 0) {
  SilentCollector c{UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)),
                    *ParseEndpoint("127.0.0.1:0", true)};
  Endpoint& ep = c.endpoint;
  if (rcvbuf) setsockopt(c.listener.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  EXPECT_EQ(bind(c.listener.get(), ep.sa(), ep.len), 0);
  EXPECT_EQ(listen(c.listener.get(), 1), 0);
  socklen_t len = sizeof(ep.addr);
  EXPECT_EQ(getsockname(c.listener.get(), reinterpret_cast<sockaddr*>(&ep.addr), &len), 0);
  ep.len = len;
  return c;
}
// Polls `col` until its connection is up (5 s at most); whether it is.
bool PollUntilConnected(Collector& col) {
  const int64_t deadline = MonotonicMicros() + 5'000'000;
  while (!col.connected() && MonotonicMicros() < deadline) {
    col.Poll(MonotonicMicros());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return col.connected();
}
// 1400 bytes that start like an IPFIX message.
std::string IpfixSizedMessage() {
  std::string message(1400, 'x');
  message[0] = 0;
  message[1] = 10;  // IPFIX version
  return message;
}

TEST(ExporterTest, TcpCollectorThatStopsReadingCostsBoundedMemoryAndCountsDrops) {
  // A collector that accepts the connection and never reads from it.
  SilentCollector silent = ListenSilently();
  ASSERT_TRUE(silent.listener.valid());
  constexpr size_t kBound = 64 << 10;
  Collector col(silent.endpoint, /*tcp=*/true, "", kBound);
  ASSERT_TRUE(PollUntilConnected(col));
  UniqueFd stalled(accept(silent.listener.get(), nullptr, nullptr));
  ASSERT_TRUE(stalled.valid());

  // 40 MB of messages: far more than loopback socket buffers hold. Send never blocks.
  const std::string message = IpfixSizedMessage();
  constexpr uint64_t kMessages = 30000;
  for (uint64_t i = 0; i < kMessages; ++i) {
    col.Send(message, 10);
    if (i % 64 == 0) col.Poll(MonotonicMicros());
    ASSERT_LE(col.queued_bytes(), kBound);
  }
  const CollectorStats& st = col.stats();
  EXPECT_GT(st.messages_dropped, 0u);
  EXPECT_GT(st.messages_sent, 0u);
  EXPECT_TRUE(col.connected()) << "a slow collector is not a dead one";
  // Every message is accounted for: acknowledged by the collector's TCP, dropped, written and
  // waiting for the acknowledgement, or waiting in the bounded queue.
  EXPECT_EQ(st.messages_sent + st.messages_dropped + col.unacknowledged_messages() +
                col.queued_bytes() / message.size(),
            kMessages);
  EXPECT_EQ(st.records_dropped, st.messages_dropped * 10);
}

// A collector that takes the connection, takes little (a small window, never read) and then
// resets it: what it did not acknowledge is not delivered, whatever reached our socket.
TEST(ExporterTest, TcpMessagesCountAsSentWhenAcknowledgedNotWhenWritten) {
  // 4 KB, inherited by the accepted socket: the window it offers stays small.
  SilentCollector silent = ListenSilently(4096);
  ASSERT_TRUE(silent.listener.valid());
  Collector col(silent.endpoint, /*tcp=*/true, "", 16 << 20);
  ASSERT_TRUE(PollUntilConnected(col));
  UniqueFd peer(accept(silent.listener.get(), nullptr, nullptr));
  ASSERT_TRUE(peer.valid());
  const std::string message = IpfixSizedMessage();
  constexpr uint64_t kMessages = 200;  // 280 KB: written at once into our send buffer
  for (uint64_t i = 0; i < kMessages; ++i) col.Send(message, 10);
  for (int i = 0; i < 50; ++i) {
    col.Poll(MonotonicMicros());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_GT(col.unacknowledged_messages(), 100u) << "written, not acknowledged";
  const uint64_t acknowledged = col.stats().messages_sent;
  EXPECT_LT(acknowledged, 40u) << "no more than its small window took";
  // The collector resets the connection (close with unread data, linger 0).
  linger l{1, 0};
  setsockopt(peer.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  peer.Reset();
  silent.listener.Reset();
  const int64_t deadline = MonotonicMicros() + 5'000'000;
  while (col.unacknowledged_messages() > 0 && MonotonicMicros() < deadline) {
    col.Send(message, 10);  // a write meets the reset
    col.Poll(MonotonicMicros());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const CollectorStats& st = col.stats();
  EXPECT_EQ(col.unacknowledged_messages(), 0u);
  EXPECT_EQ(st.messages_sent, acknowledged) << "nothing more counted as delivered";
  EXPECT_GE(st.messages_dropped, kMessages - acknowledged) << "the rest went with the connection";
  EXPECT_EQ(st.records_dropped, st.messages_dropped * 10);
}

}  // namespace
}  // namespace xsensor
