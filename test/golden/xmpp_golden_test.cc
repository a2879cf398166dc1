// XMPP on real captures, checked against the bytes tshark reads from them: nDPI's jabber
// capture (DIGEST-MD5 and legacy authentication, a refused login, a bound JID, chat messages)
// and Zeek's STARTTLS capture (what was seen before TLS).
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "testing/corpus.h"
#include "testing/oracles.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

using testing::CorpusFile;

// Every client -> server payload of the capture as text, in order.
std::string ClientText(const std::string& pcap) {
  std::string out = testing::RunCommand("tshark -r '" + pcap +
                                        "' -Y 'tcp.dstport==5222 && tcp.len>0' -T fields -e "
                                        "tcp.payload 2>/dev/null");
  std::string text;
  for (absl::string_view h : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    text += absl::HexStringToBytes(h);
  }
  return text;
}

TEST(XmppGoldenTest, NdpiJabber) {
  std::string pcap = CorpusFile("ndpi/jabber.pcap");
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string client = ClientText(pcap);
  ASSERT_TRUE(absl::StrContains(client, "mechanism='DIGEST-MD5'"));
  ASSERT_TRUE(absl::StrContains(client, "<password>cloudshark</password>"));
  ASSERT_TRUE(absl::StrContains(client, "to='chatback@cs-xmpp.lan'"));
  auto ims = testing::RecordsOf<schema::Im>(testing::RunPipeline({pcap}), "im");
  bool digest = false, legacy = false, refused = false, message = false;
  for (const auto& im : ims) {
    EXPECT_EQ(im.im_protocol(), 7u);
    EXPECT_FALSE(im.im_screen_name().empty() && im.im_login().empty() &&
                 im.im_receivers().empty());  // empty sessions are not exported
    digest |= im.im_login() == "tom" && im.im_screen_name() == "tom@cs-xmpp.lan/darkstar" &&
              im.result_code() == 0;
    legacy |= im.im_login() == "tom" && im.im_passw() == "cloudshark";
    refused |= im.im_login() == "tom" && im.result_code() == 1;
    message |= absl::StrContains(im.im_receivers(), "chatback@cs-xmpp.lan");
  }
  EXPECT_TRUE(digest) << "DIGEST-MD5 user and bound JID";
  EXPECT_TRUE(legacy) << "jabber:iq:auth user and password";
  EXPECT_TRUE(refused) << "a SASL failure";
  EXPECT_TRUE(message) << "the chat message's recipient";
}

TEST(XmppGoldenTest, ZeekStartTlsExportsWhatCameBefore) {
  std::string pcap = CorpusFile("zeek/tls_xmpp-starttls.pcap");
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string client = ClientText(pcap);
  ASSERT_TRUE(absl::StrContains(client, "<starttls"));
  auto ims = testing::RecordsOf<schema::Im>(testing::RunPipeline({pcap}), "im");
  ASSERT_EQ(ims.size(), 1u);
  // The stream's `to`, as the client sent it before TLS.
  EXPECT_TRUE(absl::StrContains(client, "to='" + ims[0].im_screen_name() + "'") ||
              absl::StrContains(client, "to=\"" + ims[0].im_screen_name() + "\""))
      << ims[0].im_screen_name();
  EXPECT_FALSE(ims[0].im_screen_name().empty());
}

}  // namespace
}  // namespace xsensor
