// The record path allocates nothing once warm: the assembler's reused messages take each value
// into the strings they already have, and a DNS message parsed into a reused DnsMessage keeps
// the strings of the answers a longer message had. Every operator new of this test binary is
// counted (xs_allocation_counter, as offline_bench's allocs_per_frame).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/byte_reader.h"
#include "parsers/dns/dns_message.h"
#include "records/assembler.h"
#include "testing/allocation_counter.h"
#include "testing/counting_sink.h"
#include "testing/packet_builder.h"

namespace xsensor {
namespace {

template <typename Fn>
uint64_t NewsDuring(Fn fn) {
  const uint64_t before = testing::AllocationCount();
  fn();
  return testing::AllocationCount() - before;
}

TEST(AllocationTest, AWarmAssemblerAllocatesNothingPerRecord) {
  testing::CountingSink sink;
  RecordAssembler assembler(&sink);
  assembler.Bind(nullptr, 42, 0, 1700000000'000000);
  // Values longer than std::string's small buffer (15 bytes): each would allocate if copied
  // into a new string.
  const std::string uri = "sip:alice.long.user.name@voip.example.com:5060;transport=udp";
  const std::string from = "\"Alice\" <sip:alice.long.user.name@voip.example.com>;tag=1928301774";
  const std::string agent = "Example SIP phone firmware 4.2.1 build 20261204";
  SipMessageFact sip;
  sip.msg_code = "INVITE";
  sip.uri = uri;
  sip.from = from;
  sip.to = uri;
  sip.call_id = "a84b4c76e66710@pc33.atlanta.example.com";
  sip.user_agent = agent;
  HttpRequestFact http;
  http.host = "www.a-rather-long-host-name.example.org";
  http.target = "/catalog/item/12345?session=abcdef0123456789";
  http.user_agent = agent;
  assembler.SipMessage(Dir::kToServer, sip);  // warms the messages' strings
  assembler.HttpRequest(http);
  EXPECT_EQ(NewsDuring([&] {
              for (int i = 0; i < 100; ++i) {
                assembler.SipMessage(Dir::kToServer, sip);
                assembler.HttpRequest(http);
              }
            }),
            0u);
  EXPECT_EQ(sink.records, 202u);
}

// A response to one A question with `n` CNAME answers whose names are long.
std::string Response(int n) {
  std::string m;
  PutU16(&m, 0x1234);
  PutU16(&m, 0x8180);
  PutU16(&m, 1);
  PutU16(&m, static_cast<uint16_t>(n));
  PutU16(&m, 0);
  PutU16(&m, 0);
  m += testing::DnsWireName({"www", "subdomain-with-a-long-name", "example", "com"});
  PutU16(&m, 1);
  PutU16(&m, 1);
  for (int i = 0; i < n; ++i) {
    m += std::string("\xc0\x0c", 2);  // owner: the question's name
    PutU16(&m, 5);
    PutU16(&m, 1);
    PutU32(&m, 60);
    const std::string target =
        testing::DnsWireName({"edge" + std::to_string(i), "cdn-provider-network", "net"});
    PutU16(&m, static_cast<uint16_t>(target.size()));
    m += target;
  }
  return m;
}

TEST(AllocationTest, AReusedDnsMessageKeepsTheAnswersALongerMessageHad) {
  const std::string five = Response(5), one = Response(1);
  DnsMessage m;
  ASSERT_EQ(ParseDnsMessage(five, &m), DnsError::kOk);
  ASSERT_EQ(m.answers.size(), 5u);
  ASSERT_EQ(ParseDnsMessage(one, &m), DnsError::kOk);
  ASSERT_EQ(m.answers.size(), 1u);
  // Five answers again: the four cut before come back with their strings, and the names are
  // written into them.
  DnsError again = DnsError::kBadName;
  EXPECT_EQ(NewsDuring([&] { again = ParseDnsMessage(five, &m); }), 0u);
  ASSERT_EQ(again, DnsError::kOk);
  ASSERT_EQ(m.answers.size(), 5u);
  EXPECT_EQ(m.answers[4].name, "www.subdomain-with-a-long-name.example.com");
  EXPECT_EQ(m.answers[4].rdata, testing::DnsWireName({"edge4", "cdn-provider-network", "net"}));
}

}  // namespace
}  // namespace xsensor
