// The encoders compiled from the schema at build time must write exactly what a reading of the
// schema by protobuf reflection writes (the reference below, the exporter's encoder before it
// was compiled), for every template, with every field set to random values.
#include <gtest/gtest.h>

#include <random>

#include "common/byte_reader.h"
#include "google/protobuf/reflection.h"
#include "ipfix/ipfix.h"

namespace xsensor {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

int ReflectionEncode(const TemplateSpec& t, const Message& record, std::string* out) {
  const auto* r = record.GetReflection();
  int cut = 0;
  for (const FieldSpec& fs : t.fields) {
    const FieldDescriptor* f = fs.field;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
      uint32_t v = r->GetUInt32(record, f);
      if (fs.length == 1) {
        PutU8(out, static_cast<uint8_t>(v));
      } else if (fs.length == 2) {
        PutU16(out, static_cast<uint16_t>(v));
      } else {
        PutU32(out, v);
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64) {
      PutU64(out, r->GetUInt64(record, f));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      std::string v = r->GetString(record, f);
      if (fs.length == kVariableLength) {
        size_t n = std::min(v.size(), kMaxVarFieldLen);
        cut += n < v.size();
        if (n < 255) {
          PutU8(out, static_cast<uint8_t>(n));
        } else {
          PutU8(out, 255);
          PutU16(out, static_cast<uint16_t>(n));
        }
        out->append(v.data(), n);
      } else {
        size_t n = std::min<size_t>(v.size(), fs.length);
        out->append(v.data(), n);
        out->append(fs.length - n, '\0');
      }
    } else {
      out->append(fs.length == kVariableLength ? 1 : fs.length, '\0');
    }
  }
  return cut;
}

TEST(RecordCodecTest, CompiledEncodersWriteWhatReflectionWrites) {
  std::mt19937_64 rng(42);
  const auto& schema = Schema::Get();
  ASSERT_EQ(CompiledRecordTypes().size(), schema.Messages().size());
  size_t templates = 0;
  for (const TemplateSpec& t : schema.templates()) {
    SCOPED_TRACE(t.name + (t.ipv6 ? " v6" : " v4"));
    for (int round = 0; round < 50; ++round) {
      std::unique_ptr<Message> m(
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(t.message)->New());
      const auto* r = m->GetReflection();
      for (int i = 0; i < t.message->field_count(); ++i) {
        const FieldDescriptor* f = t.message->field(i);
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
          r->SetUInt32(m.get(), f, static_cast<uint32_t>(rng()));
        } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64) {
          r->SetUInt64(m.get(), f, rng());
        } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          // Lengths around the 1- and 3-byte length forms and the cut, and the address sizes.
          static const size_t kLens[] = {0, 1, 4, 6, 16, 254, 255, 256, 4096, 4097, 5000};
          std::string v(kLens[rng() % std::size(kLens)], '\0');
          for (char& c : v) c = static_cast<char>(rng());
          if (f->number() == 3 || f->number() == 4) v.resize(t.ipv6 ? 16 : 4);
          r->SetString(m.get(), f, v);
        }
      }
      ASSERT_EQ(TemplateFor(*m), &t);
      std::string expected, got;
      int expected_cut = ReflectionEncode(t, *m, &expected);
      EXPECT_EQ(EncodeDataRecord(t, *m, &got), expected_cut);
      ASSERT_EQ(got, expected);
      if (t.session_id) {
        EXPECT_EQ(SessionIdOf(*m), r->GetUInt64(*m, t.session_id));
      } else {
        EXPECT_EQ(SessionIdOf(*m), 0u);
      }
    }
    ++templates;
  }
  EXPECT_GE(templates, 18u);
}

}  // namespace
}  // namespace xsensor
