// redact_credentials: what each login line and record field becomes, in both modes; the keyed
// hash checked against RFC 4231's HMAC-SHA256 test vector.
#include "records/redact.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "parsers/parser.h"
#include "parsers/secrets.h"
#include "sensor/worker.h"
#include "testing/packet_builder.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

const Redactor kEmpty(Redactor::Mode::kEmpty, "");

// The raw records of one direction of a flow of META_PROTO `meta`, one packet per chunk (TCP,
// consecutive sequence numbers unless `seqs` says otherwise), redacted: the outputs joined by '|'.
std::string Raw(uint8_t meta, std::vector<std::string> chunks, const Redactor& r = kEmpty,
                Dir dir = Dir::kToServer, std::vector<uint32_t> seqs = {}) {
  auto scanner = MakeSecretScanner(meta, dir);
  if (!scanner) return "(no scanner)";
  StreamRedaction redaction(std::move(scanner));
  std::string out;
  uint32_t seq = 1000;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (i) out += '|';
    if (i < seqs.size()) seq = seqs[i];
    redaction.Apply(
        chunks[i], true, seq, [&](absl::string_view s) { return r.Value(s); }, &out);
    seq += static_cast<uint32_t>(chunks[i].size());
  }
  return out;
}

TEST(RedactTest, KeyedHashIsHmacSha256) {
  // RFC 4231, test case 1: key 0x0b x 20, data "Hi There".
  Redactor h(Redactor::Mode::kHash, std::string(20, '\x0b'));
  EXPECT_EQ(h.Value("Hi There"), "hmac:b0344c61d8db38535ca8afceaf0bf12b");
  EXPECT_EQ(h.Value(""), "");
  EXPECT_EQ(kEmpty.Value("secret"), "");
  // The same secret, the same value; another key, another value.
  Redactor other(Redactor::Mode::kHash, "other key");
  EXPECT_NE(other.Value("Hi There"), h.Value("Hi There"));
  EXPECT_EQ(Raw(kMetaProtoFtp, {"PASS Hi There\r\n"}, h),
            "PASS hmac:b0344c61d8db38535ca8afceaf0bf12b\r\n");
  // Cut by the packets, the whole secret's value where it ends, nothing before.
  EXPECT_EQ(Raw(kMetaProtoFtp, {"PASS Hi", " Th", "ere\r\n"}, h),
            "PASS ||hmac:b0344c61d8db38535ca8afceaf0bf12b\r\n");
}

TEST(RedactTest, LoginLinesLoseTheirSecretsAndNothingElse) {
  EXPECT_EQ(Raw(kMetaProtoFtp, {"USER anonymous\r\nPASS guest@x\r\nACCT billing\r\n"}),
            "USER anonymous\r\nPASS \r\nACCT \r\n");
  EXPECT_EQ(Raw(kMetaProtoFtp, {"RETR pass.txt\r\n"}), "RETR pass.txt\r\n");
  EXPECT_EQ(Raw(kMetaProtoPop3, {"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"}),
            "APOP mrose \r\n");
  EXPECT_EQ(Raw(kMetaProtoPop3, {"pass tanstaaf\r\n"}), "pass \r\n");
  EXPECT_EQ(Raw(kMetaProtoImap, {"a001 LOGIN alice \"s3cret word\"\r\na002 SELECT INBOX\r\n"}),
            "a001 LOGIN alice \r\na002 SELECT INBOX\r\n");
  EXPECT_EQ(Raw(kMetaProtoImap, {"a1 AUTHENTICATE PLAIN AGFsaWNlAHMzY3JldA==\r\n"}),
            "a1 AUTHENTICATE PLAIN \r\n");
  // SMTP AUTH: the initial response, then SASL responses on lines of their own; commands stay.
  EXPECT_EQ(Raw(kMetaProtoSmtp, {"AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"}), "AUTH PLAIN \r\n");
  EXPECT_EQ(Raw(kMetaProtoSmtp, {"AUTH LOGIN\r\n", "YWxpY2U=\r\n", "czNjcmV0\r\n", "QUIT\r\n"}),
            "AUTH LOGIN\r\n|\r\n|\r\n|QUIT\r\n");
  EXPECT_EQ(Raw(kMetaProtoSmtp, {"YWxpY2U=\r\n"}), "\r\n");  // seen from after its AUTH line
  for (const char* command : {"QUIT\r\n", "STARTTLS\r\n", "DATA\r\n", "quit\r\n",
                              "MAIL FROM:<alice@example.org>\r\n", "Subject: Hello\r\n"}) {
    EXPECT_EQ(Raw(kMetaProtoSmtp, {command}), command);
  }
  // XMPP: the content of <auth>, <response> and legacy <password>, in one packet or cut by it.
  EXPECT_EQ(Raw(kMetaProtoXmpp, {"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                                 "mechanism='PLAIN'>AGFsaWNlAHMzY3JldA==</auth>"}),
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'></auth>");
  EXPECT_EQ(Raw(kMetaProtoXmpp, {"<iq type='set'><query><username>a</username><password>pw"
                                 "</password></query></iq>"}),
            "<iq type='set'><query><username>a</username><password></password></query></iq>");
  EXPECT_EQ(Raw(kMetaProtoXmpp, {"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>Yz1i"}),
            "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>");
  EXPECT_EQ(Raw(kMetaProtoXmpp, {"<auth mechanism='EXTERNAL'/><message>hi</message>"}),
            "<auth mechanism='EXTERNAL'/><message>hi</message>");
  // H.323 carries no password: unchanged.
  EXPECT_EQ(Raw(kMetaProtoH323, {"PASS x\r\n"}), "PASS x\r\n");
}

// Secrets do not respect packet boundaries (#32 item 4): each of these went out in clear when
// redaction read one packet at a time.
TEST(RedactTest, SecretsSplitAcrossPacketsStayHidden) {
  EXPECT_EQ(Raw(kMetaProtoFtp, {"PASS s3", "cret\r\n"}), "PASS |\r\n");
  std::vector<std::string> typed;  // a password typed one character per packet
  for (char c : std::string("PASS hunter2\r\n")) typed.emplace_back(1, c);
  EXPECT_EQ(Raw(kMetaProtoFtp, typed), "P|A|S|S| ||||||||\r|\n");
  // IMAP LOGIN with its password sent as a literal (RFC 9051 4.3), and with both as literals.
  EXPECT_EQ(Raw(kMetaProtoImap, {"a LOGIN alice {6}\r\n", "s3cret\r\n", "b SELECT x\r\n"}),
            "a LOGIN alice |\r\n|b SELECT x\r\n");
  EXPECT_EQ(Raw(kMetaProtoImap, {"a LOGIN {5}\r\n", "alice {6+}\r\n", "s3cret\r\n"}),
            "a LOGIN {5}\r\n|alice |\r\n");
  EXPECT_EQ(Raw(kMetaProtoImap, {"a AUTHENTICATE PLAIN\r\n", "AGFsaWNlAHMzY3JldA==\r\n"}),
            "a AUTHENTICATE PLAIN\r\n|\r\n");
  // XMPP <auth> cut inside its content and inside its tag.
  EXPECT_EQ(Raw(kMetaProtoXmpp, {"<auth mechanism='PLAIN'>AGFs", "aWNl</auth>"}),
            "<auth mechanism='PLAIN'>|</auth>");
  EXPECT_EQ(Raw(kMetaProtoXmpp, {"<au", "th mechanism='PLAIN'>AGFsaWNl<", "/auth>"}),
            "<au|th mechanism='PLAIN'><|/auth>");
  // A segment sent again is not read again: what was secret in it stays hidden.
  EXPECT_EQ(Raw(kMetaProtoFtp, {"PASS s3cret\r\n", "PASS s3cret\r\n", "cret\r\n"}, kEmpty,
                Dir::kToServer, {100, 100, 107}),
            "PASS \r\n|PASS \r\n|\r\n");
}

TEST(RedactTest, EveryProtocolThatCarriesASecretHidesIt) {
  // NNTP AUTHINFO (RFC 4643).
  EXPECT_EQ(Raw(kMetaProtoNntp, {"AUTHINFO USER bob\r\nAUTHINFO PASS s3cret\r\nGROUP a.b\r\n"}),
            "AUTHINFO USER bob\r\nAUTHINFO PASS \r\nGROUP a.b\r\n");
  EXPECT_EQ(Raw(kMetaProtoNntp, {"AUTHINFO SASL PLAIN\r\n", "AGJvYgBzM2NyZXQ=\r\n"}),
            "AUTHINFO SASL PLAIN\r\n|\r\n");
  // ICQ's sign-on: FLAP channel 1, version 1, TLV 1 the UIN, TLV 2 the roasted password.
  auto tlv = [](uint16_t type, const std::string& v) {
    return std::string{static_cast<char>(type >> 8), static_cast<char>(type),
                       static_cast<char>(v.size() >> 8), static_cast<char>(v.size())} +
           v;
  };
  const std::string roasted = "\xf3\x26\x81\xc4";
  std::string body =
      std::string("\0\0\0\1", 4) + tlv(1, "123456") + tlv(2, roasted) + tlv(3, "ICQ client");
  std::string flap =
      std::string{
          '*', 1, 0, 7, static_cast<char>(body.size() >> 8), static_cast<char>(body.size())} +
      body;
  std::string want = flap;
  want.erase(want.find(roasted), roasted.size());
  EXPECT_EQ(Raw(kMetaProtoIcq, {flap}), want);
  EXPECT_EQ(Raw(kMetaProtoIcq, {flap.substr(0, 26), flap.substr(26)}),  // cut in the password
            want.substr(0, 24) + "|" + want.substr(24));
  // HTTP inside raw records (a feed's exchange, Zello): Cookie, Authorization, a proxy
  // request's password; the server's Set-Cookie.
  const std::string request =
      "GET http://bob:pw@example.com/feed HTTP/1.1\r\nHost: example.com\r\nCookie: sid=abc\r\n"
      "Authorization: Basic Ym9iOnB3\r\nProxy-Authorization:Bearer t0k\r\n\r\n";
  const std::string hidden =
      "GET http://bob:@example.com/feed HTTP/1.1\r\nHost: example.com\r\nCookie: \r\n"
      "Authorization: Basic \r\nProxy-Authorization:Bearer \r\n\r\n";
  EXPECT_EQ(Raw(kMetaProtoRss, {request}), hidden);
  EXPECT_EQ(Raw(kMetaProtoZello, {request}), hidden);
  EXPECT_EQ(Raw(kMetaProtoRss, {"HTTP/1.1 200 OK\r\nSet-Cookie: sid=abc; Path=/\r\n\r\n"}, kEmpty,
                Dir::kToClient),
            "HTTP/1.1 200 OK\r\nSet-Cookie: \r\n\r\n");
  EXPECT_EQ(Raw(kMetaProtoRss, {"GET /feed HTTP/1.1\r\nCoo", "kie: sid=abc\r\n"}),
            "GET /feed HTTP/1.1\r\nCoo|kie: \r\n");
  // SIP digest credentials (the response can be attacked offline) and a URI's password.
  EXPECT_EQ(Raw(kMetaProtoSip, {"REGISTER sip:example.com SIP/2.0\r\nAuthorization: Digest "
                                "username=\"bob\", response=\"6629fae49393a053\"\r\n"
                                "To: <sip:bob:pw@example.com>\r\n\r\n"}),
            "REGISTER sip:example.com SIP/2.0\r\nAuthorization: Digest \r\n"
            "To: <sip:bob:@example.com>\r\n\r\n");
  // The clickstream record's path and referer.
  std::string url = "http://bob:pw@example.com/x";
  kEmpty.Url(&url);
  EXPECT_EQ(url, "http://bob:@example.com/x");
  url = "/index.html?a=b@c:d";
  kEmpty.Url(&url);
  EXPECT_EQ(url, "/index.html?a=b@c:d");
}

// Every protocol whose packets go out as raw records says where its secrets are: one without
// a scanner cannot be added.
TEST(RedactTest, EveryRawProtocolHasASecretScanner) {
  for (const ParserInfo& p : Parsers()) {
    if (p.meta_proto == kMetaProtoNone) continue;
    EXPECT_NE(p.secrets, nullptr) << p.name;
    EXPECT_NE(MakeSecretScanner(p.meta_proto, Dir::kToServer), nullptr) << p.name;
  }
  EXPECT_NE(MakeSecretScanner(kMetaProtoRss, Dir::kToServer), nullptr);
  EXPECT_NE(MakeSecretScanner(kMetaProtoZello, Dir::kToServer), nullptr);
}

class Sink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override {
    if (m.GetDescriptor() == schema::Ftp::descriptor()) ftp.CopyFrom(m);
    if (m.GetDescriptor() == schema::Raw::descriptor()) raw.emplace_back().CopyFrom(m);
  }
  schema::Ftp ftp;
  std::vector<schema::Raw> raw;
};

// An FTP login through the worker: the record's password and the raw PASS line.
Sink FtpLogin(const std::string& redact) {
  Config config = DefaultConfig();
  EXPECT_TRUE(ApplyConfigKey(&config, "redact_credentials", redact).ok());
  config.redact_key.assign(1, 'k');  // not = "k": GCC 12 -O3 -Wrestrict false positive
  config.raw_export = true;
  Sink sink;
  Worker worker(config, 0, &sink);
  const std::vector<std::pair<bool, std::string>> session = {{false, "220 ready\r\n"},
                                                             {true, "USER alice\r\n"},
                                                             {false, "331 password\r\n"},
                                                             {true, "PASS s3cret\r\n"},
                                                             {false, "230 ok\r\n"}};
  uint32_t seq[2] = {1000, 5000};
  int64_t t = 1700000000'000000;
  for (const auto& [client, text] : session) {
    std::string f = client ? testing::PacketBuilder()
                                 .Eth()
                                 .Ipv4("192.0.2.1", "192.0.2.2")
                                 .Tcp(40000, 21, seq[1], kAck | kPsh)
                                 .Payload(text)
                                 .Build()
                           : testing::PacketBuilder()
                                 .Eth()
                                 .Ipv4("192.0.2.2", "192.0.2.1")
                                 .Tcp(21, 40000, seq[0], kAck | kPsh)
                                 .Payload(text)
                                 .Build();
    seq[client] += static_cast<uint32_t>(text.size());
    worker.HandleFrame(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(),
                       f.size(), t += 1000);
  }
  worker.Finish();
  return sink;
}

std::string RawPass(const Sink& s) {
  for (const auto& r : s.raw) {
    if (r.raw_data().rfind("PASS", 0) == 0) return r.raw_data();
  }
  return "(none)";
}

TEST(RedactTest, WorkerRecordsFollowTheKey) {
  Sink clear = FtpLogin("0");
  EXPECT_EQ(clear.ftp.user(), "alice");
  EXPECT_EQ(clear.ftp.password(), "s3cret");
  EXPECT_EQ(RawPass(clear), "PASS s3cret\r\n");
  Sink empty = FtpLogin("empty");
  EXPECT_EQ(empty.ftp.user(), "alice");
  EXPECT_EQ(empty.ftp.password(), "");
  EXPECT_EQ(RawPass(empty), "PASS \r\n");
  Sink hashed = FtpLogin("hash");
  Redactor h(Redactor::Mode::kHash, "k");
  EXPECT_EQ(hashed.ftp.password(), h.Value("s3cret"));
  EXPECT_EQ(RawPass(hashed), "PASS " + h.Value("s3cret") + "\r\n");
  EXPECT_EQ(hashed.ftp.result_code(), 230u);
}

}  // namespace
}  // namespace xsensor
