// ICQ over OSCAR. No ICQ client or server is packaged in Debian, so the traffic is built here
// byte by byte from the published FLAP/SNAC layout (FLAP: '*', channel, sequence, length;
// sign-on TLVs 1 screen name and 2 roasted password; the server's close frame with TLV 5/6 on
// success or TLV 8 on error; SNAC 0x01/0x0F self info, SNAC 0x04/0x06 messages), written as a
// capture, run through the sensor, and read back by tshark's own OSCAR ("aim") dissector.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "testing/oracles.h"
#include "testing/packet_builder.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

std::string U16(uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v)}; }
std::string Tlv(uint16_t type, const std::string& v) {
  return U16(type) + U16(static_cast<uint16_t>(v.size())) + v;
}
std::string Flap(uint8_t channel, uint16_t seq, const std::string& data) {
  return std::string("*") + static_cast<char>(channel) + U16(seq) +
         U16(static_cast<uint16_t>(data.size())) + data;
}
std::string Snac(uint16_t family, uint16_t subtype, const std::string& body) {
  return U16(family) + U16(subtype) + U16(0) + std::string("\0\0\0\1", 4) + body;
}
std::string Roast(const std::string& password) {
  static const uint8_t kRoast[] = {0xF3, 0x26, 0x81, 0xC4, 0x39, 0x86, 0xDB, 0x92,
                                   0x71, 0xA3, 0xB9, 0xE6, 0x53, 0x7A, 0x95, 0x7C};
  std::string out;
  for (size_t i = 0; i < password.size(); ++i) out += static_cast<char>(password[i] ^ kRoast[i]);
  return out;
}
const std::string kVersion("\0\0\0\1", 4);

// One TCP connection from 10.0.0.5:cport to server:5190 carrying `payloads` in order.
void Connection(std::vector<std::string>* frames, uint16_t cport, const std::string& server,
                const std::vector<testing::TcpSegment>& payloads) {
  testing::AppendTcpConnection(frames, "10.0.0.5", cport, server, 5190, payloads);
}

TEST(IcqGoldenTest, SignOnMessagesAndRawRecords) {
  std::vector<std::string> frames;
  // Sign-on to the authorizer, accepted: the BOS address and a cookie in the close frame.
  std::string cookie("\x11\x22\x33\x44\x55\x66\x77\x88", 8);
  Connection(
      &frames, 40000, "64.12.1.1",
      {{false, Flap(1, 1, kVersion)},
       {true, Flap(1, 7,
                   kVersion + Tlv(1, "123456789") + Tlv(2, Roast("secret")) +
                       Tlv(3, "ICQ Inc. - Product of ICQ (TM).2003b.5.56.1"))},
       {false, Flap(4, 2, Tlv(1, "123456789") + Tlv(5, "64.12.2.2:5190") + Tlv(6, cookie))}});
  // The BOS connection: the cookie, the server's self info, two messages sent.
  auto message = [](const std::string& to) {
    return Snac(4, 6,
                std::string("\1\2\3\4\5\6\7\x08", 8) + U16(1) + static_cast<char>(to.size()) + to +
                    Tlv(2, "hello"));
  };
  Connection(&frames, 40001, "64.12.2.2",
             {{false, Flap(1, 1, kVersion)},
              {true, Flap(1, 8, kVersion + Tlv(6, cookie))},
              {false, Flap(2, 2, Snac(1, 15, std::string("\x09") + "123456789" + U16(0) + U16(0)))},
              {true, Flap(2, 9, message("987654321"))},
              {true, Flap(2, 10, message("555111"))},
              {true, Flap(2, 11, message("987654321"))}});
  // A refused sign-on: TLV 8, the error code.
  Connection(&frames, 40002, "64.12.1.1",
             {{false, Flap(1, 1, kVersion)},
              {true, Flap(1, 7, kVersion + Tlv(1, "111222") + Tlv(2, Roast("bad")))},
              {false, Flap(4, 2, Tlv(1, "111222") + Tlv(8, U16(5)))}});
  std::string pcap = ::testing::TempDir() + "/icq_built.pcap";
  testing::WritePcap(pcap, frames);

  Config c = DefaultConfig();
  c.raw_export = true;
  auto result = testing::RunPipeline({pcap}, c);
  auto ims = testing::RecordsOf<schema::Im>(result, "im");
  ASSERT_EQ(ims.size(), 3u);
  std::map<std::string, const schema::Im*> by_screen;
  for (const auto& im : ims) {
    EXPECT_EQ(im.im_protocol(), 0u);  // ICQ
    by_screen[im.im_screen_name() + "/" + im.im_passw()] = &im;
  }
  ASSERT_TRUE(by_screen.count("123456789/secret"));
  const schema::Im& login = *by_screen["123456789/secret"];
  EXPECT_EQ(login.im_login(), "123456789");
  EXPECT_EQ(login.im_uin(), "123456789");
  EXPECT_EQ(login.result_code(), 0u);
  ASSERT_TRUE(by_screen.count("123456789/"));
  const schema::Im& bos = *by_screen["123456789/"];
  EXPECT_EQ(bos.im_receivers(), "987654321,555111");
  ASSERT_TRUE(by_screen.count("111222/bad"));
  EXPECT_EQ(by_screen["111222/bad"]->result_code(), 1u);

  auto raws = testing::RecordsOf<schema::Raw>(result, "raw");
  size_t payload_frames = 3 + 6 + 3;
  ASSERT_EQ(raws.size(), payload_frames);
  for (const auto& r : raws) {
    EXPECT_EQ(r.meta_proto(), 9u);
    EXPECT_EQ(r.vdpi_proto(), 13u);
    EXPECT_EQ(r.raw_data()[0], '*');
  }

  // tshark's OSCAR dissector on the same capture: the FLAP frames, and the buddy names of the
  // messages, are what the records say.
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string out = testing::RunCommand(
      "tshark -r '" + pcap +
      "' -d tcp.port==5190,aim -Y aim -T fields -E separator=/t -e aim.channel -e aim.buddyname "
      "-e aim.fnac.family -e aim.fnac.subtype 2>/dev/null");
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), payload_frames);
  std::vector<std::string> unique;  // the receivers of SNAC 0x04/0x06, once each
  for (size_t i = 0; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], '\t');
    ASSERT_EQ(f.size(), 4u);
    // The raw records in capture order: each is the FLAP frame tshark read, same channel.
    EXPECT_EQ(f[0], "0x0" + std::to_string(raws[i].raw_data()[1])) << i;
    if (f[2] == "0x0004" && f[3] == "0x0006" &&
        std::find(unique.begin(), unique.end(), f[1]) == unique.end()) {
      unique.push_back(f[1]);
    }
  }
  EXPECT_EQ(absl::StrJoin(unique, ","), bos.im_receivers());
  if (!getenv("XS_KEEP_PCAP")) std::remove(pcap.c_str());
}

// FLAP frames are read across TCP segments: the client's frames of a BOS connection, joined and
// cut into 7-byte segments (a frame split, and frames sharing a segment), give the same record.
TEST(IcqGoldenTest, FramesAcrossSegments) {
  auto message = [](const std::string& to) {
    return Snac(4, 6,
                std::string("\1\2\3\4\5\6\7\x08", 8) + U16(1) + static_cast<char>(to.size()) + to +
                    Tlv(2, "hello"));
  };
  const std::string client = Flap(1, 8, kVersion + Tlv(6, "cookie")) +
                             Flap(2, 9, message("987654321")) + Flap(2, 10, message("555111"));
  std::vector<testing::TcpSegment> segments = {{false, Flap(1, 1, kVersion)}};
  for (size_t i = 0; i < client.size(); i += 7) segments.push_back({true, client.substr(i, 7)});
  segments.push_back(
      {false, Flap(2, 2, Snac(1, 15, std::string("\x09") + "123456789" + U16(0) + U16(0)))});
  std::vector<std::string> frames;
  Connection(&frames, 40010, "64.12.2.2", segments);
  std::string pcap = ::testing::TempDir() + "/icq_segments.pcap";
  testing::WritePcap(pcap, frames);
  auto ims = testing::RecordsOf<schema::Im>(testing::RunPipeline({pcap}), "im");
  ASSERT_EQ(ims.size(), 1u);
  EXPECT_EQ(ims[0].im_screen_name(), "123456789");
  EXPECT_EQ(ims[0].im_receivers(), "987654321,555111");
  std::remove(pcap.c_str());
}

}  // namespace
}  // namespace xsensor
