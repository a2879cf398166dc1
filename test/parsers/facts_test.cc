// Parsers on their own: bytes in, facts out, with no packet, flow or record in sight (the
// assembly into records is records/assembler_test.cc; the golden tests run both on captures).
#include "parsers/facts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parsers/mail/pop3_imap_parser.h"
#include "parsers/mail/smtp_parser.h"
#include "parsers/parser.h"
#include "parsers/sip/sip_parser.h"
#include "parsers/xmpp/xmpp_parser.h"

namespace xsensor {
namespace {

// Keeps what it is told, as owned strings ("field=value" lines per fact).
class FactLog : public FactSink {
 public:
  void HttpRequest(const HttpRequestFact& f) override {
    Add("http_request", {{"host", f.host}, {"target", f.target}});
  }
  void HttpReply(const HttpReplyFact& f) override {
    Add("http_reply", {{"status", std::to_string(f.status)}});
  }
  void ClientHello(const ClientHelloFact& f) override {
    Add("client_hello", {{"name", f.server_name}});
  }
  void ServerHello(const ServerHelloFact& f) override { Add("server_hello", {{"cname", f.cname}}); }
  void DnsAnswer(const DnsAnswerFact& f) override {
    Add("dns", {{"name", f.name}, {"rdata", f.rdata}});
  }
  void SipMessage(Dir side, const SipMessageFact& f) override {
    Add(side == Dir::kToServer ? "sip_to_server" : "sip_to_client",
        {{"code", f.msg_code},
         {"status", std::to_string(f.status)},
         {"call_id", f.call_id},
         {"from", f.from},
         {"to", f.to},
         {"ua", f.user_agent}});
  }
  void FtpLogin(const FtpLoginFact& f) override { Add("ftp", {{"user", f.user}}); }
  void Mail(Dir side, const MailFact& f) override {
    Add(side == Dir::kToServer ? "mail_sent" : "mail_read",
        {{"sender", f.sender},
         {"receivers", f.receivers},
         {"cc", f.cc},
         {"subject", f.subject},
         {"servers", f.servers},
         {"event", std::to_string(f.event)},
         {"protocol", std::to_string(f.protocol)},
         {"result", std::to_string(f.result)}});
  }
  void ImSession(const ImSessionFact& f) override {
    Add("im", {{"login", f.login},
               {"password", f.password},
               {"screen_name", f.screen_name},
               {"receivers", f.receivers},
               {"protocol", std::to_string(f.protocol)}});
  }

  struct Fact {
    std::string kind;
    std::vector<std::pair<std::string, std::string>> fields;
    std::string operator[](const std::string& k) const {
      for (const auto& [name, value] : fields) {
        if (name == k) return value;
      }
      return "<none>";
    }
  };
  std::vector<Fact> facts;

 private:
  void Add(std::string kind, std::vector<std::pair<std::string, absl::string_view>> fields) {
    Fact f{std::move(kind), {}};
    for (auto& [k, v] : fields) f.fields.emplace_back(k, std::string(v));
    facts.push_back(std::move(f));
  }
};

class FactsTest : public ::testing::Test {
 protected:
  // The server is 192.0.2.25 (what the worker gives from the flow key).
  void Feed(AppParser& p, Dir dir, absl::string_view bytes, uint8_t l4 = 6) {
    ParseContext ctx{dir, 1700000000'000000, l4, kServer, &log_, &counters_, &options_};
    p.OnData(ctx, bytes, 0);
  }
  void End(AppParser& p) {
    ParseContext ctx{Dir::kToServer, 1700000000'000000, 6, kServer, &log_, &counters_, &options_};
    p.OnEnd(ctx);
  }
  static constexpr absl::string_view kServer{"\xc0\x00\x02\x19", 4};
  ParserOptions options_;
  ParserCounters counters_;
  FactLog log_;
};

TEST_F(FactsTest, SipOverUdpOneFactPerMessageInItsDirection) {
  auto p = MakeSipParser(options_);
  Feed(*p, Dir::kToServer,
       "INVITE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5060\r\n"
       "From: <sip:alice@example.org>;tag=1\r\nTo: <sip:bob@example.net>\r\n"
       "Call-ID: abc@198.51.100.7\r\nCSeq: 1 INVITE\r\nUser-Agent: softphone/1.0\r\n"
       "Content-Length: 0\r\n\r\n",
       17);
  Feed(*p, Dir::kToClient,
       "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 198.51.100.7:5060\r\n"
       "From: <sip:alice@example.org>;tag=1\r\nTo: <sip:bob@example.net>;tag=2\r\n"
       "Call-ID: abc@198.51.100.7\r\nCSeq: 1 INVITE\r\nServer: pbx\r\nContent-Length: 0\r\n\r\n",
       17);
  ASSERT_EQ(log_.facts.size(), 2u);
  EXPECT_EQ(log_.facts[0].kind, "sip_to_server");
  EXPECT_EQ(log_.facts[0]["code"], "INVITE");
  EXPECT_EQ(log_.facts[0]["status"], "0");
  EXPECT_EQ(log_.facts[0]["call_id"], "abc@198.51.100.7");
  EXPECT_EQ(log_.facts[0]["ua"], "softphone/1.0");
  EXPECT_EQ(log_.facts[1].kind, "sip_to_client");
  EXPECT_EQ(log_.facts[1]["code"], "INVITE");  // the CSeq method of a response
  EXPECT_EQ(log_.facts[1]["status"], "180");
  EXPECT_EQ(log_.facts[1]["ua"], "");  // a Server header is not a user agent
}

TEST_F(FactsTest, SmtpMessageIsToldWhenTheServerAcceptsIt) {
  auto p = MakeSmtpParser(options_);
  Feed(*p, Dir::kToClient, "220 mx.example.net ESMTP\r\n");
  Feed(*p, Dir::kToServer, "EHLO client.example.org\r\n");
  Feed(*p, Dir::kToClient, "250 mx.example.net\r\n");
  Feed(*p, Dir::kToServer, "MAIL FROM:<alice@example.org>\r\n");
  Feed(*p, Dir::kToClient, "250 ok\r\n");
  Feed(*p, Dir::kToServer, "RCPT TO:<bob@example.net>\r\n");
  Feed(*p, Dir::kToClient, "250 ok\r\n");
  Feed(*p, Dir::kToServer, "RCPT TO:<dave@example.net>\r\n");
  Feed(*p, Dir::kToClient, "250 ok\r\n");
  Feed(*p, Dir::kToServer, "DATA\r\n");
  Feed(*p, Dir::kToClient, "354 go on\r\n");
  Feed(
      *p, Dir::kToServer,
      "From: alice@example.org\r\nCc: carol@example.net\r\nSubject: lunch\r\n\r\nat noon\r\n.\r\n");
  EXPECT_TRUE(log_.facts.empty());  // not before the server's answer
  Feed(*p, Dir::kToClient, "250 2.0.0 queued as 42\r\n");
  ASSERT_EQ(log_.facts.size(), 1u);
  const auto& f = log_.facts[0];
  EXPECT_EQ(f.kind, "mail_sent");
  EXPECT_EQ(f["sender"], "alice@example.org");
  EXPECT_EQ(f["receivers"], "bob@example.net,dave@example.net");
  EXPECT_EQ(f["cc"], "carol@example.net");
  EXPECT_EQ(f["subject"], "lunch");
  EXPECT_EQ(f["event"], "1");
  EXPECT_EQ(f["protocol"], "0");
  EXPECT_EQ(f["result"], "250");
}

TEST_F(FactsTest, Pop3LoginNamesTheServerByTheAddressItIsGiven) {
  auto p = MakePop3Parser(options_);
  Feed(*p, Dir::kToClient, "+OK POP3 ready\r\n");
  Feed(*p, Dir::kToServer, "USER bob\r\n");
  Feed(*p, Dir::kToClient, "+OK\r\n");
  Feed(*p, Dir::kToServer, "PASS wrong\r\n");
  Feed(*p, Dir::kToClient, "-ERR authentication failed\r\n");
  ASSERT_EQ(log_.facts.size(), 1u);  // a failed login is told at once
  const auto& f = log_.facts[0];
  EXPECT_EQ(f.kind, "mail_read");
  EXPECT_EQ(f["receivers"], "bob");
  EXPECT_EQ(f["servers"], "192.0.2.25");
  EXPECT_EQ(f["event"], "2");
  EXPECT_EQ(f["protocol"], "1");
  EXPECT_EQ(f["result"], "1");
}

TEST_F(FactsTest, XmppSessionIsToldAtItsEnd) {
  auto p = MakeXmppParser(options_);
  Feed(*p, Dir::kToServer,
       "<?xml version='1.0'?><stream:stream to='example.org' xmlns='jabber:client' "
       "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
  Feed(*p, Dir::kToClient,
       "<?xml version='1.0'?><stream:stream from='example.org' id='s1' xmlns='jabber:client' "
       "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
  Feed(*p, Dir::kToServer, "<message to='bob@example.org' type='chat'><body>hi</body></message>");
  EXPECT_TRUE(log_.facts.empty());
  End(*p);
  ASSERT_EQ(log_.facts.size(), 1u);
  const auto& f = log_.facts[0];
  EXPECT_EQ(f.kind, "im");
  EXPECT_EQ(f["screen_name"], "example.org");  // no JID bound: the server's name
  EXPECT_EQ(f["receivers"], "bob@example.org");
  EXPECT_EQ(f["protocol"], "7");
}

}  // namespace
}  // namespace xsensor
