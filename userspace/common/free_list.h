// Per-thread free lists of small objects by size class (64-byte steps up to 4 KiB): objects
// that come and go with flows on one worker thread (parsers) are recycled here
// instead of going through the heap each time. Memory given back on another thread joins that
// thread's lists; each class keeps at most what a burst of flows leaves.
#pragma once

#include <cstddef>

namespace xsensor {

void* FreeListTake(size_t size);
void FreeListGive(void* p, size_t size);

}  // namespace xsensor
