// Which capture mode fits which interface: mirror never on an interface that carries live
// traffic, inline only as a bridge of two ports. Facts are given (the live tests read real ones).
#include "sensor/placement.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace xsensor {
namespace {

InterfaceFacts Port(const std::string& name, std::vector<std::string> addresses = {},
                    const std::string& master = "", const std::string& kind = "bridge") {
  InterfaceFacts f;
  f.name = name;
  f.exists = true;
  f.addresses = std::move(addresses);
  f.master = master;
  if (!master.empty()) f.master_kind = kind;
  return f;
}

TEST(PlacementTest, MirrorByDefaultOnACapturePortOnly) {
  const Config c = DefaultConfig();
  EXPECT_TRUE(CheckPlacement(c, {Port("span0")}, InterfaceFacts{}).ok());
  // An address of this host: its traffic would be taken off it.
  absl::Status s = CheckPlacement(c, {Port("span0"), Port("eth0", {"192.0.2.7"})}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "eth0 has this host's address 192.0.2.7")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "attach-nic.sh eth0 --host")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "capture_mode=inline with inline_peer")) << s;
  // A bridge's or bond's port carries others' traffic.
  s = CheckPlacement(c, {Port("eth1", {}, "br0")}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "eth1 is a port of bridge br0")) << s;
  s = CheckPlacement(c, {Port("eth2", {}, "bond0", "bond")}, {});
  EXPECT_TRUE(absl::StrContains(s.message(), "port of bond bond0")) << s;
  // A test rig's capture port with an address, on purpose.
  Config rig = c;
  rig.mirror_port_check = false;
  EXPECT_TRUE(CheckPlacement(rig, {Port("eth0", {"192.0.2.7"})}, {}).ok());
  // inline_peer means nothing in mirror mode.
  Config peer = c;
  peer.inline_peer = "eth3";
  EXPECT_FALSE(CheckPlacement(peer, {Port("span0")}, Port("eth3")).ok());
}

TEST(PlacementTest, InlineIsABridgeOfTwoPorts) {
  Config c = DefaultConfig();
  c.capture_mode = "inline";
  // One interface: refused, naming mirror mode and the two-port mode.
  absl::Status s = CheckPlacement(c, {Port("eth0", {"192.0.2.7"})}, InterfaceFacts{});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "inline_peer=IF")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "capture_mode=mirror")) << s;
  c.inline_peer = "eth1";
  EXPECT_FALSE(CheckPlacement(c, {Port("eth0"), Port("eth2")}, Port("eth1")).ok());
  // Two ports, but no bridge to forward what is not steered (and all when the sensor stops).
  s = CheckPlacement(c, {Port("eth0")}, Port("eth1"));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "one kernel bridge")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "attach-nic.sh eth0 --inline-peer eth1")) << s;
  EXPECT_FALSE(CheckPlacement(c, {Port("eth0", {}, "br0")}, Port("eth1", {}, "br1")).ok());
  EXPECT_FALSE(
      CheckPlacement(c, {Port("eth0", {}, "bond0", "bond")}, Port("eth1", {}, "bond0", "bond"))
          .ok());
  EXPECT_FALSE(CheckPlacement(c, {Port("eth0", {}, "br0")}, Port("eth0", {}, "br0")).ok());
  InterfaceFacts missing;
  missing.name = "eth9";
  EXPECT_EQ(CheckPlacement(c, {Port("eth0", {}, "br0")}, missing).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(CheckPlacement(c, {Port("eth0", {}, "br0")}, Port("eth1", {}, "br0")).ok());
}

}  // namespace
}  // namespace xsensor
