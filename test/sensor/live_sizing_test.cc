// The live sensor's hand-off rings stay within their memory budget however many queues.
#include <gtest/gtest.h>

#include "sensor/live.h"

namespace xsensor {
namespace {

TEST(HandoffRingSlotsTest, FullRingsForFewQueuesBoundedMemoryForMany) {
  EXPECT_EQ(HandoffRingSlots(1), 1024u);
  EXPECT_EQ(HandoffRingSlots(2), 1024u);
  EXPECT_EQ(HandoffRingSlots(8), 1024u);
  EXPECT_EQ(HandoffRingSlots(16), 256u);
  EXPECT_EQ(HandoffRingSlots(64), 64u);  // the floor
  for (size_t n : {2, 4, 8, 12, 16, 24, 32}) {
    size_t bytes = n * (n - 1) * HandoffRingSlots(n) * sizeof(HandoffFrame);
    EXPECT_LE(bytes, size_t{256} << 20) << n << " workers";
  }
}

}  // namespace
}  // namespace xsensor
