// The IMAP parser's buffers stay within their line limit whatever a FETCH literal holds.
#include <gtest/gtest.h>

#include "parsers/mail/pop3_imap_parser.h"
#include "testing/counting_sink.h"
#include "testing/packet_builder.h"
#include "testing/parse_harness.h"

namespace xsensor {
namespace {

// A server's FETCH literal of 1 MB without a single line end, in 1400-byte segments: the
// unfinished line is kept to its limit (8 KiB), not grown by every segment.
TEST(ImapParserTest, ALiteralWithoutLineEndsKeepsTheLineLimit) {
  const std::string c2s_frame =
      testing::PacketBuilder().Eth().Ipv4("10.0.0.2", "10.0.0.143").Tcp(40000, 143, 1).Build();
  PacketView c2s;
  ASSERT_EQ(DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(c2s_frame.data()),
                         c2s_frame.size(), c2s_frame.size(), &c2s),
            DecodeCounters::kOk);
  ParserOptions options;
  ParserCounters counters;
  testing::CountingSink sink;
  testing::ParseHarness harness(&sink, &options, &counters, c2s);
  std::unique_ptr<AppParser> parser = MakeImapParser(options);
  auto feed = [&](Dir dir, absl::string_view text) {
    ParseContext ctx = harness.Context(dir, 1700000000'000000);
    parser->OnData(ctx, text, 0);
  };
  feed(Dir::kToClient, "* OK IMAP4rev1 ready\r\n");
  feed(Dir::kToServer, "a1 LOGIN alice secret\r\n");
  feed(Dir::kToClient, "a1 OK LOGIN completed\r\n");
  feed(Dir::kToServer, "a2 FETCH 1 BODY[]\r\n");
  feed(Dir::kToClient, "* 1 FETCH (BODY[] {1048576}\r\n");
  const std::string segment(1400, 'x');
  size_t most = 0;
  for (size_t sent = 0; sent + segment.size() <= 1048576; sent += segment.size()) {
    feed(Dir::kToClient, segment);
    most = std::max(most, parser->HeldBytes());
  }
  // The 8 KiB line and the few KiB of the session's other state (1.4 MB before the limit).
  EXPECT_LE(most, size_t{12} << 10) << "held at most";
}

}  // namespace
}  // namespace xsensor
