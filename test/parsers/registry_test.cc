// Choosing a parser: by port, by the client's first bytes, and for server-first protocols on
// other ports by the server's greeting with the client's first command.
#include <gtest/gtest.h>

#include "parsers/parser.h"

namespace xsensor {
namespace {

std::string Chosen(uint16_t port, absl::string_view client, absl::string_view greeting = {}) {
  ParserOptions options;
  uint8_t meta = 0;
  auto p = ChooseParser(6, port, client, options, &meta, greeting);
  if (!p) return meta == 0 ? "none" : "bad meta";
  switch (meta) {
    case 4:
      return "ftp";
    case 5:
      return "smtp";
    case 6:
      return "pop3";
    case 7:
      return "imap";
    case 0:
      return "meta0";
    default:
      return "meta" + std::to_string(meta);
  }
}

TEST(ChooseParserTest, ServerFirstProtocolsOnOtherPortsByGreetingAndFirstCommand) {
  EXPECT_EQ(Chosen(2121, "USER anonymous\r\n", "220 (vsFTPd 3.0.3)\r\n"), "ftp");
  EXPECT_EQ(Chosen(2121, "AUTH TLS\r\n", "220-welcome\r\n220 ready\r\n"), "ftp");
  EXPECT_EQ(Chosen(2525, "EHLO client.example\r\n", "220 mx.example ESMTP\r\n"), "smtp");
  EXPECT_EQ(Chosen(2525, "helo client\r\n", "220 mx.example\r\n"), "smtp");
  EXPECT_EQ(Chosen(1110, "USER bob\r\n", "+OK POP3 ready\r\n"), "pop3");
  EXPECT_EQ(Chosen(1110, "CAPA\r\n", "+OK\r\n"), "pop3");
  EXPECT_EQ(Chosen(1143, "a1 LOGIN bob secret\r\n", "* OK IMAP4rev1 ready\r\n"), "imap");
  EXPECT_EQ(Chosen(1143, "A001 capability\r\n", "* PREAUTH ready\r\n"), "imap");
}

TEST(ChooseParserTest, GreetingAloneOrMismatchedCommandChoosesNothing) {
  EXPECT_EQ(Chosen(2121, "", "220 ready\r\n"), "none");  // client not heard yet
  EXPECT_EQ(Chosen(2121, "USER bob\r\n"), "none");       // no greeting seen
  EXPECT_EQ(Chosen(2121, "GARBAGE\r\n", "220 ready\r\n"), "none");
  EXPECT_EQ(Chosen(2121, "EHLO x\r\n", "+OK ready\r\n"), "none");        // SMTP verb, POP3 greeting
  EXPECT_EQ(Chosen(1143, "LOGIN bob x\r\n", "* OK ready\r\n"), "none");  // no IMAP tag
  EXPECT_EQ(Chosen(9000, "USER\x01\r\n", "220 x\r\n"), "none");
}

TEST(ChooseParserTest, PortsStillWinAndClientSniffersComeFirst) {
  EXPECT_EQ(Chosen(21, "", "220 ready\r\n"), "ftp");
  EXPECT_EQ(Chosen(25, ""), "smtp");
  // An HTTP request on an odd port is HTTP even after a 220 line from the server.
  ParserOptions options;
  uint8_t meta = 9;
  bool by_greeting = true;
  EXPECT_NE(ChooseParser(6, 9000, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", options, &meta,
                         "220 hello\r\n", &by_greeting),
            nullptr);
  EXPECT_EQ(meta, 0);  // HTTP has no META_PROTO
  EXPECT_FALSE(by_greeting) << "the HTTP parser must not be fed the server's 220 line";
  EXPECT_NE(ChooseParser(6, 2121, "USER a\r\n", options, &meta, "220 x\r\n", &by_greeting),
            nullptr);
  EXPECT_TRUE(by_greeting);
}

TEST(ServerGreetingTest, WholeGreetingLinesOfServersThatSpeakFirst) {
  EXPECT_TRUE(LooksLikeServerGreeting("220 (vsFTPd 3.0.3)\r\n"));
  EXPECT_TRUE(LooksLikeServerGreeting("220-mx.example ESMTP\r\n220 ready\r\n"));
  EXPECT_TRUE(LooksLikeServerGreeting("+OK POP3 server ready\r\n"));
  EXPECT_TRUE(LooksLikeServerGreeting("* OK [CAPABILITY IMAP4rev1] ready\r\n"));
  EXPECT_TRUE(LooksLikeServerGreeting("* PREAUTH logged in\r\n"));
  EXPECT_TRUE(LooksLikeServerGreeting("200 news.example InterNetNews NNRP server ready\r\n"));
  EXPECT_TRUE(LooksLikeServerGreeting("201 news.example ready (no posting)\r\n"));
  EXPECT_FALSE(LooksLikeServerGreeting("220 no end of line yet"));
  EXPECT_FALSE(LooksLikeServerGreeting("GET / HTTP/1.1\r\n"));
  EXPECT_FALSE(LooksLikeServerGreeting("2200 not a reply\r\n"));
  EXPECT_FALSE(LooksLikeServerGreeting(""));
}

TEST(ChooseParserTest, XmppByAnXmlDeclarationSentAlone) {
  ParserOptions options;
  uint8_t meta = 0;
  EXPECT_NE(ChooseParser(6, 15222, "<?xml version='1.0' ?>", options, &meta), nullptr);
  EXPECT_EQ(meta, 8);
  EXPECT_NE(ChooseParser(6, 15222, "<?xml version='1.0'?><stream:stream to='x'>", options, &meta),
            nullptr);
  // An XML document that is not an XMPP stream is not XMPP.
  EXPECT_EQ(ChooseParser(6, 15222, "<?xml version='1.0'?><soap:Envelope>", options, &meta),
            nullptr);
}

}  // namespace
}  // namespace xsensor
