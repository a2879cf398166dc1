// Data record encoders compiled from the schema at build time (tools/schema_codegen.cc writes
// record_codec.cc): one per record message type, for its IPv4 and IPv6 templates. They read
// the fields through the message's generated accessors, in template order; no reflection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "google/protobuf/message.h"

namespace xsensor {

// Longest value of a variable-length field; longer values are cut (a record must fit a message).
inline constexpr size_t kMaxVarFieldLen = 4096;

// Appends a record's data record; returns the number of variable-length values cut.
using RecordEncoder = int (*)(const google::protobuf::Message& record, std::string* out);

struct CompiledRecordType {
  const google::protobuf::Descriptor* message;
  uint16_t template_v4;
  uint16_t template_v6;
  RecordEncoder encode_v4;
  RecordEncoder encode_v6;
  bool (*is_v6)(const google::protobuf::Message& record);           // IP_SOURCE has 16 bytes
  uint64_t (*session_id)(const google::protobuf::Message& record);  // 0 when it has none
};

// Every record message type of the schema.
const std::vector<CompiledRecordType>& CompiledRecordTypes();

}  // namespace xsensor
