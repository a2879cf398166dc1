// Where finished records go (the exporter, the DNS text log, a test). A record is one of the
// schema's messages (xsensor/records.proto); a sink must not keep references to it.
#pragma once

#include "google/protobuf/message.h"

namespace xsensor {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void Emit(const google::protobuf::Message& record) = 0;
};

}  // namespace xsensor
