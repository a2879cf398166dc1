// RFC 7011 message encoding and decoding, driven by schema/TemplateSpec.
//
// Encoding: MessageBuilder accumulates sets into one message no larger than a byte budget;
// data records are encoded by the encoders compiled from the schema (record_codec.h).
// Decoding: IpfixDecoder keeps the templates announced per (transport session, observation
// domain) and turns data records back into record messages of the schema (or, for templates
// the schema does not know, into raw field lists).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "ipfix/record_codec.h"
#include "schema/schema.h"

namespace xsensor {

inline constexpr uint16_t kIpfixVersion = 10;
inline constexpr size_t kMessageHeaderLen = 16;
inline constexpr size_t kSetHeaderLen = 4;
inline constexpr uint16_t kTemplateSetId = 2;
inline constexpr uint16_t kOptionsTemplateSetId = 3;
// The options template carrying RFC 5610 Information Element type records, with which the
// exporter describes its enterprise elements to any collector (ipfixDump --rfc5610 reads them).
inline constexpr uint16_t kElementTypeTemplateId = 300;
// The options template record (RFC 7011 3.4.2.2) for kElementTypeTemplateId.
const std::string& ElementTypeOptionsTemplate();
// Appends one element type data record for `e`.
void EncodeElementTypeRecord(const ElementInfo& e, std::string* out);

// The template of a record message: its type and, from the size of IP_SOURCE (field 3 of
// every template), its address family. Null for a message the schema does not have.
const TemplateSpec* TemplateFor(const google::protobuf::Message& record);

// Appends one data record for `t` built from `record` (whose descriptor is t.message).
// Returns the number of variable-length values that had to be cut.
int EncodeDataRecord(const TemplateSpec& t, const google::protobuf::Message& record,
                     std::string* out);

// The SESSION_ID of `record` (0 when its type has none).
uint64_t SessionIdOf(const google::protobuf::Message& record);

// Builds one IPFIX message. Usage: Reset(), then AddTemplate()/AddRecord() while they return
// true, then Finish(). Sets are opened and closed as the set id changes.
class MessageBuilder {
 public:
  explicit MessageBuilder(size_t max_size) : max_size_(max_size) { Reset(); }

  void Reset();
  // Appends a template record in a template set; false if it does not fit (nothing written).
  bool AddTemplate(const TemplateSpec& t);
  // Appends an options template record in an options template set.
  bool AddOptionsTemplate(absl::string_view record);
  // Appends an encoded data record of template `template_id`; false if it does not fit, unless
  // the message is empty (a lone oversized record is still sent, up to 65535 bytes).
  bool AddRecord(uint16_t template_id, absl::string_view encoded);
  bool empty() const { return buf_.size() == kMessageHeaderLen; }
  uint32_t data_records() const { return data_records_; }
  size_t size() const { return buf_.size(); }
  // Completes the header and returns the message bytes (valid until the next Reset()).
  absl::string_view Finish(uint32_t export_time, uint32_t sequence, uint32_t domain_id);

 private:
  bool OpenSet(uint16_t set_id, size_t need);
  void CloseSet();

  size_t max_size_;
  std::string buf_;
  size_t set_start_ = 0;  // 0 when no set is open
  uint16_t set_id_ = 0;
  uint32_t data_records_ = 0;
};

struct DecodedField {
  uint32_t pen = 0;
  uint16_t id = 0;
  std::string value;  // raw bytes
};

struct DecodedRecord {
  uint32_t domain_id = 0;
  uint32_t export_time = 0;
  uint32_t sequence = 0;
  uint16_t template_id = 0;
  const TemplateSpec* spec = nullptr;                  // null for templates the schema lacks
  std::unique_ptr<google::protobuf::Message> message;  // set when spec is set
  std::vector<DecodedField> raw;                       // set when spec is null
};

struct DecoderStats {
  uint64_t messages = 0;
  uint64_t templates = 0;
  uint64_t records = 0;
  uint64_t malformed = 0;
  uint64_t missing_template = 0;
  uint64_t options_records = 0;    // records of options templates (not passed on)
  uint64_t sequence_gaps = 0;      // data records missed according to sequence numbers
  uint64_t sequence_late = 0;      // messages behind the expected sequence (reordered, resent)
  uint64_t templates_refused = 0;  // over the session's limits (IpfixDecoder::kMax*)
};

// Decodes the messages of one transport session (one TCP connection, or one UDP exporter
// address). Not thread-safe.
class IpfixDecoder {
 public:
  using RecordCallback = std::function<void(DecodedRecord&)>;
  explicit IpfixDecoder(RecordCallback cb) : cb_(std::move(cb)) {}

  // Decodes one whole message. Returns false if it is malformed (stats count it).
  bool DecodeMessage(absl::string_view msg);
  // For stream transports: the length of the message at the start of `buf`, or 0 if fewer
  // than 4 bytes are there (a length under 16 cannot be a message: the stream is broken).
  static size_t PeekMessageLength(absl::string_view buf);
  const DecoderStats& stats() const { return stats_; }
  size_t templates() const { return templates_.size(); }

  // What one session may make the decoder hold: templates (every domain together; a template
  // redefined replaces its old self), fields in all of them, observation domains whose
  // sequence numbers are followed. A template over a limit is refused (counted), the rest of
  // its message decoded: xsensor sends 19 templates of at most 41 fields.
  static constexpr size_t kMaxTemplates = 1024;
  static constexpr size_t kMaxTemplateFields = 64 * 1024;
  static constexpr size_t kMaxDomains = 256;

 private:
  struct Template {
    std::vector<FieldSpec> fields;
    const TemplateSpec* spec = nullptr;
    bool options = false;
  };
  bool DecodeTemplateSet(uint32_t domain, absl::string_view set, bool options);
  bool DecodeDataSet(uint32_t domain, uint16_t set_id, absl::string_view set, uint32_t export_time,
                     uint32_t sequence);

  RecordCallback cb_;
  std::map<std::pair<uint32_t, uint16_t>, Template> templates_;
  std::map<uint32_t, uint32_t> next_sequence_;  // per domain
  size_t template_fields_ = 0;                  // in templates_
  DecoderStats stats_;
};

// Sets `field` of `msg` from its wire bytes per the field spec.
void SetFieldFromWire(const FieldSpec& fs, absl::string_view wire, google::protobuf::Message* msg);

}  // namespace xsensor
