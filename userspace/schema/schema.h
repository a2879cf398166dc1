// The IPFIX view of the record schema in proto/xsensor/records.proto. Built once at start-up
// from the protobuf descriptors: one TemplateSpec per record type and address family (the IPv6
// twin substitutes IP_SOURCE/IP_DESTINATION). The exporter encodes with it and the receiver
// decodes with it, so the schema exists once. Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "xsensor/ipfix_options.pb.h"

namespace xsensor {

inline constexpr uint16_t kVariableLength = 65535;
inline constexpr uint32_t kXsensorPen = 43823;

struct FieldSpec {
  const google::protobuf::FieldDescriptor* field = nullptr;
  uint16_t id = 0;
  uint32_t pen = 0;
  uint16_t length = 0;  // kVariableLength for variable-length fields
  schema::IpfixType type = schema::IPFIX_TYPE_UNSPECIFIED;
};

struct TemplateSpec {
  const google::protobuf::Descriptor* message = nullptr;
  std::string name;  // "clickstream", ...
  uint16_t template_id = 0;
  bool ipv6 = false;
  schema::Stream stream = schema::STREAM_UNSPECIFIED;
  std::vector<FieldSpec> fields;
  // SESSION_ID (uint64), when the record has one: what shares a stream among collectors.
  const google::protobuf::FieldDescriptor* session_id = nullptr;
  // The template record (RFC 7011 3.4.1) ready to be put in a template set.
  std::string template_record;
};

// One enterprise Information Element as announced to collectors (RFC 5610) and written to
// their element files: the type from records.proto, the rest from xsensor/elements.textproto.
struct ElementInfo {
  uint32_t pen = 0;
  uint16_t id = 0;
  schema::IpfixType type = schema::IPFIX_TYPE_UNSPECIFIED;
  std::string name;  // the spec's name, e.g. "HOSTNAME"; IPv6 twins get a "_V6" suffix
  schema::Semantics semantics = schema::SEMANTICS_DEFAULT;
  schema::Units units = schema::UNITS_NONE;
  std::string description;
};

// The text of proto/xsensor/elements.textproto, compiled in.
extern const char kElementDocsText[];

// RFC 5610 informationElementDataType values.
uint8_t Rfc5610DataType(schema::IpfixType type);

class Schema {
 public:
  // The schema of all record types in records.proto.
  static const Schema& Get();

  const std::vector<TemplateSpec>& templates() const { return templates_; }
  const TemplateSpec* Find(const google::protobuf::Descriptor* message, bool ipv6) const;
  const TemplateSpec* FindById(uint16_t template_id) const;
  // The record type whose IPv4 or IPv6 field list equals the given (pen, id, length) list.
  const TemplateSpec* MatchFields(const std::vector<FieldSpec>& fields) const;
  // The enterprise-specific elements used by the templates of `stream`, each once.
  std::vector<ElementInfo> EnterpriseElements(schema::Stream stream) const;
  // Every enterprise-specific element of every template, each once, by id.
  const std::vector<ElementInfo>& Elements() const { return elements_; }
  // The record messages, in template id order.
  std::vector<const google::protobuf::Descriptor*> Messages() const;

 private:
  Schema();
  std::vector<TemplateSpec> templates_;
  std::vector<ElementInfo> elements_;
};

// Template-name/field-name helpers for documentation and tests.
const char* IpfixTypeName(schema::IpfixType type);
// IANA names of RFC 5610 semantics and units ("identifier", "octets"...).
const char* SemanticsName(schema::Semantics semantics);
const char* UnitsName(schema::Units units);

}  // namespace xsensor
