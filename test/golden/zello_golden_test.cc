// Zello (push-to-talk over TLS/WebSocket): recognised by its server names. A TLS session to
// ptt.zello.com and a plain WebSocket request with Host zellowork.com, each beside an
// ordinary HTTPS session, are built as a capture; tshark reads the names the records must
// carry. No Zello client runs here, and a ClientHello is all the sensor sees of it.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "absl/strings/str_split.h"
#include "parsers/parser.h"
#include "testing/oracles.h"
#include "testing/packet_builder.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

// One TCP connection from 10.0.0.7:cport to server:sport carrying `request`, then a reply.
void Connection(std::vector<std::string>* frames, uint16_t cport, const std::string& server,
                uint16_t sport, const std::string& request) {
  testing::AppendTcpConnection(frames, "10.0.0.7", cport, server, sport,
                               {{true, request}, {false, std::string(200, 'z')}},  // opaque answer
                               100, 9000);
}

TEST(ZelloGoldenTest, SessionsByServerNameGiveImAndRawRecords) {
  std::vector<std::string> frames;
  Connection(&frames, 41000, "203.0.113.10", 443, testing::TlsClientHello("ptt.zello.com"));
  Connection(&frames, 41001, "203.0.113.11", 443, testing::TlsClientHello("www.example.com"));
  Connection(&frames, 41002, "203.0.113.12", 80,
             "GET /ws HTTP/1.1\r\nHost: zellowork.com\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\n\r\n");
  Connection(&frames, 41003, "203.0.113.13", 443, testing::TlsClientHello("notzello.com"));
  std::string pcap = ::testing::TempDir() + "/zello_built.pcap";
  testing::WritePcap(pcap, frames);

  Config c = DefaultConfig();
  c.raw_export = true;
  auto result = testing::RunPipeline({pcap}, c);
  auto ims = testing::RecordsOf<schema::Im>(result, "im");
  std::set<std::string> names;
  for (const auto& im : ims) {
    EXPECT_EQ(im.im_protocol(), 106u);  // Zello
    EXPECT_EQ(im.ip_source(), std::string("\x0a\x00\x00\x07", 4));
    names.insert(im.im_screen_name());
  }
  EXPECT_EQ(names, (std::set<std::string>{"ptt.zello.com", "zellowork.com"}));
  EXPECT_EQ(ims.size(), 2u);
  // The two Zello sessions' payload packets (request and answer each) are raw records; the
  // other sessions' are not.
  auto raws = testing::RecordsOf<schema::Raw>(result, "raw");
  ASSERT_EQ(raws.size(), 4u);
  for (const auto& r : raws) {
    EXPECT_EQ(r.meta_proto(), 13u);
    EXPECT_EQ(r.vdpi_proto(), 14u);
    EXPECT_TRUE(r.source_transport_port() == 41000 || r.destination_transport_port() == 41000 ||
                r.source_transport_port() == 41002 || r.destination_transport_port() == 41002);
  }
  // The clickstream is as for any session.
  EXPECT_EQ(testing::RecordsOf<schema::Clickstream>(result, "clickstream").size(), 4u);

  // What tshark reads as the server names of the capture: the Zello ones are the records'.
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string out =
      testing::RunCommand("tshark -r '" + pcap +
                          "' -Y 'tls.handshake.extensions_server_name || http.host' -T fields "
                          "-e tls.handshake.extensions_server_name -e http.host 2>/dev/null");
  std::set<std::string> zello;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    for (absl::string_view name : absl::StrSplit(line, '\t', absl::SkipEmpty())) {
      if (IsZelloServerName(name)) zello.insert(std::string(name));
    }
  }
  EXPECT_EQ(zello, names);
  if (!getenv("XS_KEEP_PCAP")) std::remove(pcap.c_str());
}

TEST(ZelloGoldenTest, NamesAreMatchedByDomain) {
  EXPECT_TRUE(IsZelloServerName("zello.com"));
  EXPECT_TRUE(IsZelloServerName("PTT.Zello.COM"));
  EXPECT_TRUE(IsZelloServerName("eu.zellowork.com"));
  EXPECT_FALSE(IsZelloServerName("notzello.com"));
  EXPECT_FALSE(IsZelloServerName("zello.com.example"));
  EXPECT_FALSE(IsZelloServerName(".zello.com.evil"));
  EXPECT_FALSE(IsZelloServerName(""));
}

}  // namespace
}  // namespace xsensor
