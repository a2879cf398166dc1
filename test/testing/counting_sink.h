// A record sink that only counts what it is given (for tests that look at parsers or workers,
// not at the records themselves).
#pragma once

#include <cstdint>

#include "schema/record_sink.h"

namespace xsensor::testing {

class CountingSink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message&) override { ++records; }
  uint64_t records = 0;
};

}  // namespace xsensor::testing
