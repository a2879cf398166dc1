// Counts every heap allocation of the process: linking xs_allocation_counter replaces the
// global operator new/delete (on malloc/free) with counting ones. For allocations per frame
// (offline_bench) and for tests that a warm path allocates nothing (allocation_test).
#pragma once

#include <cstdint>

namespace xsensor::testing {

// operator new calls so far, process-wide.
uint64_t AllocationCount();

}  // namespace xsensor::testing
