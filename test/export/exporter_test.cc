// The exporter against real UDP and TCP sockets on loopback, read by the Receiver.
#include "export/exporter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/time_util.h"
#include "receiver/receiver.h"

namespace xsensor {
namespace {

schema::Clickstream Rec(uint64_t session) {
  schema::Clickstream r;
  r.set_ip_source(std::string("\x0a\x00\x00\x01", 4));
  r.set_ip_destination(std::string("\x0a\x00\x00\x02", 4));
  r.set_hostname("h" + std::to_string(session));
  r.set_session_id(session);
  return r;
}

struct Listener {
  explicit Listener(bool udp) {
    auto any = ParseEndpoint("127.0.0.1:0", true);
    receiver = std::move(*Receiver::Create(udp ? std::vector<Endpoint>{*any}
                                               : std::vector<Endpoint>{},
                                           udp ? std::vector<Endpoint>{}
                                               : std::vector<Endpoint>{*any}));
    ep = udp ? receiver->udp_endpoints()[0] : receiver->tcp_endpoints()[0];
    receiver->set_record_callback([this](ReceivedRecord& r) {
      schema::Clickstream c;
      c.CopyFrom(*r.record.message);
      sessions.push_back(c.session_id());
      v6.push_back(r.record.spec->ipv6);
    });
  }
  void Start(ReceiverLimits limits) {
    thread = std::thread([this, limits] { receiver->Run(limits, nullptr); });
  }
  std::unique_ptr<Receiver> receiver;
  Endpoint ep;
  std::vector<uint64_t> sessions;
  std::vector<bool> v6;
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
      // 201 data records plus the element type records sent with the templates.
      EXPECT_GT(col->stats().records_sent, 201u);
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
    // set (id 3) announcing the RFC 5610 element types, followed by the data templates.
    if (m.size() > 18 && m[16] == 0 && m[17] == 3) ++template_messages;
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
    for (uint64_t s = 1; s <= 100; ++s) (*e)->Emit(Rec(s));
    (*e)->Shutdown(1'000'000);
    dead_errors = (*e)->collectors()[0]->stats().send_errors;
  }
  live.thread.join();
  EXPECT_EQ(live.sessions.size(), 100u);
  EXPECT_GT(dead_errors, 0u);
}

}  // namespace
}  // namespace xsensor
