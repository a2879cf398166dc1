// The record ring between a worker and the exporter's thread: records come out in order, and
// slots do not keep the buffers of the largest records they carried.
#include "sensor/record_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace xsensor {
namespace {

TEST(RecordQueueTest, DrainGivesRecordsInOrderAndSlotsKeepNoLargeBuffers) {
  SpscRing<EncodedRecord> ring(64);
  // Every slot carries a 16 KiB record (a clickstream record with long headers), then small
  // ones: 64 x 16 KiB would stay allocated if slots kept their high-water buffers.
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < ring.capacity(); ++i) {
      EncodedRecord* slot = ring.Claim();
      ASSERT_NE(slot, nullptr);
      slot->session_id = i;
      slot->bytes.assign(round == 0 ? 16384 : 100, static_cast<char>('a' + i % 26));
      ring.Publish();
    }
    std::vector<uint64_t> order;
    size_t moved = DrainRecordRing(&ring, [&](const EncodedRecord& r) {
      order.push_back(r.session_id);
      EXPECT_EQ(r.bytes.size(), round == 0 ? 16384u : 100u);
    });
    EXPECT_EQ(moved, ring.capacity());
    for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i);
  }
  size_t kept = 0;
  for (size_t i = 0; i < ring.capacity(); ++i) {
    EncodedRecord* slot = ring.Claim();
    ASSERT_NE(slot, nullptr);
    EXPECT_LE(slot->bytes.capacity(), kRecordSlotKeptBytes);
    kept += slot->bytes.capacity();
    ring.Publish();  // the next Claim gives the next slot
  }
  EXPECT_LE(kept, ring.capacity() * kRecordSlotKeptBytes);
  EXPECT_EQ(ring.Claim(), nullptr) << "the ring is full again";
}

}  // namespace
}  // namespace xsensor
