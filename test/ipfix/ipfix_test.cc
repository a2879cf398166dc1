#include "ipfix/ipfix.h"

#include <gtest/gtest.h>

#include "common/byte_reader.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

schema::Clickstream SampleRecord(size_t cookie_len, bool v6) {
  schema::Clickstream r;
  r.set_time_stamp(1700000000);
  r.set_ip_source(v6 ? std::string(15, '\0') + "\x01" : std::string("\x0a\x00\x00\x01", 4));
  r.set_ip_destination(v6 ? std::string(15, '\0') + "\x02" : std::string("\x0a\x00\x00\x02", 4));
  r.set_hostname("example.com");
  r.set_path("/");
  r.set_cookie(std::string(cookie_len, 'c'));
  r.set_session_id(0x0102030405060708ull);
  r.set_host_type(1);
  r.set_method(2);
  r.set_port_source(40000);
  r.set_port_destination(80);
  r.set_vlan_id(4093);
  r.set_source_mac(std::string("\x00\x11\x22\x33\x44\x55", 6));
  r.set_destination_mac(std::string("\x00\x11\x22\x33\x44\x66", 6));
  r.set_mpls_labels(std::string("\x00\x01\xd1\x40", 4));
  r.set_tcp_sequence(0xdeadbeef);
  return r;
}

TEST(IpfixTest, VariableLengthShortAndLongForm) {
  const TemplateSpec* t = Schema::Get().Find(schema::Clickstream::descriptor(), false);
  ASSERT_NE(t, nullptr);
  std::string shortrec, longrec;
  EncodeDataRecord(*t, SampleRecord(254, false), &shortrec);
  EncodeDataRecord(*t, SampleRecord(255, false), &longrec);
  // 254 fits the one-byte form; 255 needs 255 + two length bytes.
  EXPECT_EQ(longrec.size(), shortrec.size() + 1 + 2);
  // The cookie's length prefix follows time (4), login (1), addresses (4+4), hostname (1+11),
  // path (1+1), referer (1) and user agent (1).
  size_t cookie_at = 4 + 1 + 4 + 4 + 12 + 2 + 1 + 1;
  EXPECT_EQ(static_cast<uint8_t>(shortrec[cookie_at]), 254);
  EXPECT_EQ(static_cast<uint8_t>(longrec[cookie_at]), 255);
  EXPECT_EQ(static_cast<uint8_t>(longrec[cookie_at + 1]), 0);
  EXPECT_EQ(static_cast<uint8_t>(longrec[cookie_at + 2]), 255);
}

TEST(IpfixTest, RoundTripThroughDecoderBothFamilies) {
  for (bool v6 : {false, true}) {
    const TemplateSpec* t = Schema::Get().Find(schema::Clickstream::descriptor(), v6);
    MessageBuilder b(1400);
    ASSERT_TRUE(b.AddTemplate(*t));
    std::string rec;
    schema::Clickstream in = SampleRecord(300, v6);
    EncodeDataRecord(*t, in, &rec);
    ASSERT_TRUE(b.AddRecord(t->template_id, rec));
    std::string msg(b.Finish(1234, 77, 9));
    ByteReader r(msg);
    uint16_t version = 0, len = 0;
    r.ReadU16(&version);
    r.ReadU16(&len);
    EXPECT_EQ(version, 10);
    EXPECT_EQ(len, msg.size());

    std::vector<DecodedRecord> out;
    IpfixDecoder d([&](DecodedRecord& rec2) { out.push_back(std::move(rec2)); });
    ASSERT_TRUE(d.DecodeMessage(msg));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].spec, t);
    EXPECT_EQ(out[0].domain_id, 9u);
    EXPECT_EQ(out[0].sequence, 77u);
    EXPECT_EQ(out[0].template_id, v6 ? 257 : 256);
    schema::Clickstream got;
    got.CopyFrom(*out[0].message);
    EXPECT_EQ(got.SerializeAsString(), in.SerializeAsString());
  }
}

TEST(IpfixTest, MessagesStayWithinTheBudget) {
  const TemplateSpec* t = Schema::Get().Find(schema::Clickstream::descriptor(), false);
  MessageBuilder b(512);
  std::string rec;
  EncodeDataRecord(*t, SampleRecord(50, false), &rec);
  int added = 0;
  while (b.AddRecord(t->template_id, rec)) ++added;
  EXPECT_GT(added, 1);
  EXPECT_LE(b.size(), 512u);
  EXPECT_EQ(b.data_records(), static_cast<uint32_t>(added));
  // A lone record larger than the budget still goes out alone.
  MessageBuilder small(512);
  std::string big;
  EncodeDataRecord(*t, SampleRecord(2000, false), &big);
  EXPECT_TRUE(small.AddRecord(t->template_id, big));
  EXPECT_FALSE(small.AddRecord(t->template_id, rec));
}

TEST(IpfixTest, OverlongValuesAreCut) {
  const TemplateSpec* t = Schema::Get().Find(schema::Clickstream::descriptor(), false);
  std::string rec;
  EXPECT_EQ(EncodeDataRecord(*t, SampleRecord(kMaxVarFieldLen + 10, false), &rec), 1);
}

TEST(IpfixTest, DecoderCountsSequenceGapsAndMissingTemplates) {
  const TemplateSpec* t = Schema::Get().Find(schema::Clickstream::descriptor(), false);
  std::string rec;
  EncodeDataRecord(*t, SampleRecord(10, false), &rec);
  int n = 0;
  IpfixDecoder d([&](DecodedRecord&) { ++n; });
  MessageBuilder b(1400);
  b.AddRecord(t->template_id, rec);
  ASSERT_TRUE(d.DecodeMessage(std::string(b.Finish(0, 0, 1))));  // no template yet
  EXPECT_EQ(d.stats().missing_template, 1u);
  b.Reset();
  b.AddTemplate(*t);
  b.AddRecord(t->template_id, rec);
  b.AddRecord(t->template_id, rec);
  ASSERT_TRUE(d.DecodeMessage(std::string(b.Finish(0, 1, 1))));
  b.Reset();
  b.AddRecord(t->template_id, rec);
  ASSERT_TRUE(d.DecodeMessage(std::string(b.Finish(0, 8, 1))));  // 3 expected: 5 lost
  EXPECT_EQ(n, 3);
  EXPECT_EQ(d.stats().sequence_gaps, 5u);
  // One of the missing messages comes late (UDP reordered it): its record is no longer missing,
  // and nothing near 2^32 is added (#32).
  b.Reset();
  b.AddRecord(t->template_id, rec);
  ASSERT_TRUE(d.DecodeMessage(std::string(b.Finish(0, 5, 1))));
  EXPECT_EQ(d.stats().sequence_gaps, 4u);
  EXPECT_EQ(d.stats().sequence_late, 1u);
  b.Reset();
  b.AddRecord(t->template_id, rec);
  ASSERT_TRUE(d.DecodeMessage(std::string(b.Finish(0, 9, 1))));  // in order again
  EXPECT_EQ(d.stats().sequence_gaps, 4u);
}

TEST(IpfixTest, DecoderRejectsMalformedMessages) {
  IpfixDecoder d([](DecodedRecord&) {});
  EXPECT_FALSE(d.DecodeMessage("short"));
  std::string m(16, '\0');
  SetU16At(&m, 0, 10);
  SetU16At(&m, 2, 20);  // says 20, is 16
  EXPECT_FALSE(d.DecodeMessage(m));
  SetU16At(&m, 2, 20);
  m += std::string("\x01\x00\x00\x02", 4);  // set length 2 < 4
  EXPECT_FALSE(d.DecodeMessage(m));
  EXPECT_EQ(d.stats().malformed, 3u);
}

TEST(IpfixTest, ElementTypeRecordsDescribeEnterpriseElements) {
  auto elems = Schema::Get().EnterpriseElements(schema::CLICKSTREAM);
  bool hostname = false, v6 = false;
  for (const auto& e : elems) {
    EXPECT_EQ(e.pen, kXsensorPen);
    if (e.id == 1005) hostname = e.name == "HOSTNAME" && Rfc5610DataType(e.type) == 13;
    if (e.id == 1103) v6 = e.name == "IP_SOURCE_V6" && Rfc5610DataType(e.type) == 19;
  }
  EXPECT_TRUE(hostname);
  EXPECT_TRUE(v6);
  // The options template and its records decode as options data, not as traffic records.
  MessageBuilder b(1400);
  ASSERT_TRUE(b.AddOptionsTemplate(ElementTypeOptionsTemplate()));
  std::string rec;
  EncodeElementTypeRecord(elems[0], &rec);
  ASSERT_TRUE(b.AddRecord(kElementTypeTemplateId, rec));
  int n = 0;
  IpfixDecoder d([&](DecodedRecord&) { ++n; });
  ASSERT_TRUE(d.DecodeMessage(std::string(b.Finish(0, 0, 1))));
  EXPECT_EQ(n, 0);
  EXPECT_EQ(d.stats().options_records, 1u);
  EXPECT_EQ(d.stats().missing_template, 0u);
}

// RFC 5610 3.9: the element type record carries the element's semantics, units, name and
// description (from proto/xsensor/elements.textproto), not zeros and empty strings.
TEST(IpfixTest, ElementTypeRecordsDescribeTheElement) {
  const ElementInfo* length = nullptr;
  for (const auto& e : Schema::Get().Elements()) {
    if (e.id == 1021) length = &e;
  }
  ASSERT_NE(length, nullptr);
  std::string rec;
  EncodeElementTypeRecord(*length, &rec);
  ByteReader r(rec);
  uint32_t pen = 0;
  uint16_t id = 0, units = 0;
  uint8_t type = 0, semantics = 0, name_len = 0, desc_len = 0;
  uint64_t lo = 0, hi = 0;
  std::string name, desc;
  ASSERT_TRUE(r.ReadU32(&pen) && r.ReadU16(&id) && r.ReadU8(&type) && r.ReadU8(&semantics) &&
              r.ReadU16(&units) && r.ReadU64(&lo) && r.ReadU64(&hi) && r.ReadU8(&name_len));
  name.resize(name_len);
  ASSERT_TRUE(r.ReadBytes(name.data(), name_len) && r.ReadU8(&desc_len));
  desc.resize(desc_len);
  ASSERT_TRUE(r.ReadBytes(desc.data(), desc_len));
  EXPECT_EQ(pen, kXsensorPen);
  EXPECT_EQ(id, 1021);
  EXPECT_EQ(type, 4);       // unsigned64
  EXPECT_EQ(semantics, 1);  // quantity
  EXPECT_EQ(units, 2);      // octets
  EXPECT_EQ(name, "CONTENT_LENGTH");
  EXPECT_EQ(desc, "HTTP Content-Length of the reply.");
  EXPECT_TRUE(r.empty());
  // Every element has a description.
  for (const auto& e : Schema::Get().Elements()) EXPECT_FALSE(e.description.empty()) << e.name;
}

}  // namespace
}  // namespace xsensor
