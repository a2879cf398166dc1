#include "flow/flow_table.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "packet/packet.h"
#include "parsers/parser.h"  // Flow owns one
#include "testing/packet_builder.h"

namespace xsensor {
namespace {

PacketView View(const std::string& frame) {
  PacketView p;
  DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(frame.data()), frame.size(),
               frame.size(), &p);
  return p;
}

TEST(FlowTableTest, BothDirectionsAreOneFlow) {
  std::string a =
      testing::PacketBuilder().Eth().Ipv4("10.0.0.9", "10.0.0.1").Tcp(5555, 80, 1).Build();
  std::string b =
      testing::PacketBuilder().Eth().Ipv4("10.0.0.1", "10.0.0.9").Tcp(80, 5555, 1).Build();
  bool fa, fb;
  FlowKey ka = MakeFlowKey(View(a), &fa);
  FlowKey kb = MakeFlowKey(View(b), &fb);
  EXPECT_EQ(ka, kb);
  EXPECT_NE(fa, fb);
  EXPECT_EQ(FlowHash(ka), FlowHash(kb));
  std::string other_vlan =
      testing::PacketBuilder().Eth().Vlan(7).Ipv4("10.0.0.9", "10.0.0.1").Tcp(5555, 80, 1).Build();
  bool fo;
  EXPECT_FALSE(MakeFlowKey(View(other_vlan), &fo) == ka);
}

TEST(FlowTableTest, IdleAndClosedTimeouts) {
  std::vector<FlowCounters::Id> ended;
  FlowTable t({100, 10'000'000, 1'000'000}, 0,
              [&](Flow&, FlowCounters::Id why) { ended.push_back(why); });
  FlowKey k1, k2;
  k1.port_lo = 1;
  k2.port_lo = 2;
  bool created;
  Flow* f1 = t.Lookup(k1, 0, &created);
  EXPECT_TRUE(created);
  Flow* f2 = t.Lookup(k2, 500'000, &created);
  t.MarkClosing(f2);
  EXPECT_EQ(t.Lookup(k1, 600'000, &created), f1);
  EXPECT_FALSE(created);
  t.Expire(1'200'000);  // f2 closed 0.7 s ago: kept
  EXPECT_EQ(t.size(), 2u);
  t.Expire(1'600'000);  // f2 closed 1.1 s ago: ends
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0], FlowCounters::kExpiredClosed);
  t.Expire(10'700'000);  // f1 idle 10.1 s
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[1], FlowCounters::kExpiredIdle);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.counters().Get(FlowCounters::kCreated), 2u);
}

TEST(FlowTableTest, FullTableEvictsLeastRecentlySeen) {
  std::vector<uint16_t> evicted;
  FlowTable t({16, 1'000'000'000, 1'000'000}, 0, [&](Flow& f, FlowCounters::Id why) {
    if (why == FlowCounters::kEvicted) evicted.push_back(f.key.port_lo);
  });
  bool created;
  for (uint16_t i = 0; i < 16; ++i) {
    FlowKey k;
    k.port_lo = i;
    t.Lookup(k, i, &created);
  }
  FlowKey k0;
  k0.port_lo = 0;
  t.Lookup(k0, 100, &created);  // flow 0 is now the most recent
  FlowKey k99;
  k99.port_lo = 99;
  t.Lookup(k99, 101, &created);
  EXPECT_EQ(t.size(), 16u);
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0], 1);
  EXPECT_EQ(t.counters().Get(FlowCounters::kEvicted), 1u);
}

TEST(FlowTableTest, SessionIdsAreUniqueAndCarryTheWorker) {
  SessionIdGenerator a(1), b(2);
  std::set<uint64_t> ids;
  for (int i = 0; i < 10000; ++i) {
    ids.insert(a.Next());
    ids.insert(b.Next());
  }
  EXPECT_EQ(ids.size(), 20000u);
  EXPECT_EQ(a.Next() >> 56, 1u);
  EXPECT_EQ(b.Next() >> 56, 2u);
  // A generator created later (a restart) starts above the earlier one's ids, once the wall
  // clock has passed the burst the earlier one ran ahead by (20001 ids: at most 20 ms).
  uint64_t before = a.Next() & ((1ull << 56) - 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  SessionIdGenerator restarted(1);
  EXPECT_GT(restarted.Next() & ((1ull << 56) - 1), before);
}

TEST(FlowEndsTest, AddressesFromTheKeyL2AndMplsFromTheSidesPackets) {
  // The client is the key's hi side here (10.0.0.9 > 10.0.0.1): roles do not follow the key.
  const std::string to_server_frame = testing::PacketBuilder()
                                          .Eth()
                                          .Vlan(100)
                                          .Vlan(7)
                                          .Mpls(29)
                                          .Ipv4("10.0.0.9", "10.0.0.1")
                                          .Tcp(5555, 80, 1)
                                          .Payload("x")
                                          .Build();
  const PacketView to_server = View(to_server_frame);  // views into the frame
  Flow f;
  bool from_lo;
  f.key = MakeFlowKey(to_server, &from_lo);
  ASSERT_FALSE(from_lo);
  f.client_is_lo = from_lo;
  f.TakeEnds(Dir::kToServer, to_server);
  FlowEnds ends;
  ends.Point(&f);
  FlowSide scratch;
  const FlowSide& c = ends.Of(Dir::kToServer, &scratch);
  EXPECT_EQ(c.src, to_server.src);
  EXPECT_EQ(c.dst, to_server.dst);
  EXPECT_EQ(c.sport, 5555);
  EXPECT_EQ(c.dport, 80);
  EXPECT_EQ(c.l2.vlan, 100);
  EXPECT_EQ(c.l2.post_vlan, 7);
  EXPECT_EQ(c.mpls_labels(), to_server.mpls);
  ASSERT_TRUE(c.l2.has_macs);
  EXPECT_EQ(0, std::memcmp(c.l2.src_mac, to_server.src_mac, 6));

  // The server's side, not seen yet: the client's mirrored.
  FlowSide scratch2;
  const FlowSide& s = ends.Of(Dir::kToClient, &scratch2);
  EXPECT_EQ(s.src, to_server.dst);
  EXPECT_EQ(s.dst, to_server.src);
  EXPECT_EQ(s.sport, 80);
  EXPECT_EQ(s.dport, 5555);
  EXPECT_EQ(s.l2.vlan, 100);
  EXPECT_EQ(0, std::memcmp(s.l2.src_mac, to_server.dst_mac, 6));
  EXPECT_EQ(0, std::memcmp(s.l2.dst_mac, to_server.src_mac, 6));

  // Once seen, its own packet's L2 and no MPLS.
  const std::string to_client_frame = testing::PacketBuilder()
                                          .Eth()
                                          .Vlan(200)
                                          .Ipv4("10.0.0.1", "10.0.0.9")
                                          .Tcp(80, 5555, 1)
                                          .Payload("y")
                                          .Build();
  const PacketView to_client = View(to_client_frame);
  f.TakeEnds(Dir::kToClient, to_client);
  const FlowSide& s2 = ends.Of(Dir::kToClient, &scratch2);
  EXPECT_EQ(s2.src, to_client.src);
  EXPECT_EQ(s2.l2.vlan, 200);
  EXPECT_EQ(s2.l2.post_vlan, 0);
  EXPECT_TRUE(s2.mpls_labels().empty());
  EXPECT_EQ(ends.Of(Dir::kToServer, &scratch).l2.vlan, 100);
}

}  // namespace
}  // namespace xsensor
