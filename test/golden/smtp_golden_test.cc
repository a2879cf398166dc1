// SMTP on real captures against Zeek's smtp.log (sender, recipients, Cc, subject, last reply)
// and files.log (an attached file), and Suricata's EVE checks (attachment J.txt).
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "parsers/mail/smtp_parser.h"
#include "testing/corpus.h"
#include "testing/oracles.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

using testing::CorpusFile;

std::vector<schema::Mail> RunMail(const std::string& pcap) {
  return testing::RecordsOf<schema::Mail>(testing::RunPipeline({pcap}), "mail");
}

std::set<std::string> Set(const std::string& csv) {
  std::set<std::string> out;
  for (absl::string_view s : absl::StrSplit(csv, ',', absl::SkipEmpty())) out.emplace(s);
  return out;
}

TEST(SmtpGoldenTest, ZeekTwoMessagesWithCcAndAttachment) {
  std::string pcap = CorpusFile("zeek/smtp.pcap");
  std::string log =
      CorpusFile("zeek/oracles/testing/btest/Baseline/scripts.base.protocols.smtp.basic/smtp.log");
  std::string files = CorpusFile(
      "zeek/oracles/testing/btest/Baseline/scripts.base.protocols.smtp.attachment/files.log");
  if (pcap.empty() || log.empty() || files.empty()) GTEST_SKIP() << "corpus not found";
  auto rows = testing::ReadZeekLog(log);
  auto mails = RunMail(pcap);
  ASSERT_EQ(mails.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto opt = [](const std::string& v) { return v == "-" ? std::string() : v; };
    EXPECT_EQ(mails[i].mail_sender(), rows[i].at("mailfrom"));
    EXPECT_EQ(Set(mails[i].mail_receiver()), Set(rows[i].at("rcptto")));
    EXPECT_EQ(Set(mails[i].mail_cc()), Set(opt(rows[i].at("cc"))));
    EXPECT_EQ(mails[i].mail_subject(), rows[i].at("subject"));
    EXPECT_EQ(mails[i].mail_reply(), rows[i].at("last_reply"));
    EXPECT_EQ(std::to_string(mails[i].result_code()), rows[i].at("last_reply").substr(0, 3));
    EXPECT_EQ(mails[i].event(), 1u);
    EXPECT_EQ(mails[i].mail_protocol(), 0u);
    EXPECT_FALSE(mails[i].mail_servers().empty());
  }
  // files.log: the first message carries a named file (NEWS.txt); the second none.
  bool named = false;
  for (const auto& f : testing::ReadZeekLog(files)) named |= f.at("filename") != "-";
  EXPECT_TRUE(named);
  EXPECT_EQ(mails[0].attachment(), 1u);
  EXPECT_EQ(mails[1].attachment(), 0u);
}

TEST(SmtpGoldenTest, IpfixprobeFirstSenderAndRecipient) {
  std::string pcap = CorpusFile("ipfixprobe/smtp.pcap");
  std::string csv = CorpusFile("ipfixprobe/oracles/tests/functional/outputs/smtp");
  if (pcap.empty() || csv.empty()) GTEST_SKIP() << "corpus not found";
  auto mails = RunMail(pcap);
  ASSERT_EQ(mails.size(), 1u);
  for (const auto& row : testing::ReadCsv(csv)) {
    if (row.at("SMTP_FIRST_SENDER").empty()) continue;
    // ipfixprobe keeps the raw argument: " <a@b>".
    EXPECT_EQ(" <" + mails[0].mail_sender() + ">", row.at("SMTP_FIRST_SENDER"));
    EXPECT_EQ(" <" + mails[0].mail_receiver() + ">", row.at("SMTP_FIRST_RECIPIENT"));
  }
}

TEST(SmtpGoldenTest, SuricataAttachment) {
  std::string pcap = CorpusFile("suricata-verify/smtp-file-data-01.pcap");
  XS_REQUIRE_FILE(pcap);
  auto mails = RunMail(pcap);
  ASSERT_EQ(mails.size(), 1u);
  // test.yaml: mail_from <sender@example.com>, rcpt_to[0] <recipient@example.com>,
  // email.attachment[0] J.txt
  EXPECT_EQ(mails[0].mail_sender(), "sender@example.com");
  EXPECT_EQ(mails[0].mail_receiver(), "recipient@example.com");
  EXPECT_EQ(mails[0].attachment(), 1u);
}

TEST(SmtpHeadersTest, Rfc2047AndAddressLists) {
  EXPECT_EQ(DecodeRfc2047("=?UTF-8?B?0J/RgNC40LLQtdGC?= world"), "Привет world");
  EXPECT_EQ(DecodeRfc2047("=?iso-8859-1?Q?Caf=E9_menu?="), "Café menu");
  EXPECT_EQ(DecodeRfc2047("=?koi8-r?B?8NLJ18XU?="), "Привет");
  EXPECT_EQ(DecodeRfc2047("=?utf-8?Q?a?= =?utf-8?Q?b?="), "ab");  // space between words drops
  EXPECT_EQ(DecodeRfc2047("plain =?bogus"), "plain =?bogus");
  EXPECT_EQ(HeaderAddresses("\"Doe, John\" <jd@x.org>, b@y.net,Undisclosed"),
            (std::vector<std::string>{"jd@x.org", "b@y.net"}));
}

}  // namespace
}  // namespace xsensor

namespace xsensor {
namespace {

// POP3: Zeek's pop3 events (AUTH PLAIN refused in one session, accepted in two; three RETR in
// one of them) and tshark's reading of the retrieved messages' headers.
TEST(MailboxGoldenTest, ZeekPop3) {
  std::string pcap = CorpusFile("zeek/pop3_pop3.pcap");
  std::string out =
      CorpusFile("zeek/oracles/testing/btest/Baseline/scripts.base.protocols.pop3.basic/out");
  if (pcap.empty() || out.empty()) GTEST_SKIP() << "corpus not found";
  std::string events = testing::ReadFile(out);
  int retr = 0, refused = 0;
  for (absl::string_view l : absl::StrSplit(events, '\n')) {
    retr += absl::StrContains(l, "pop3_request, T, RETR");
    refused += absl::StrContains(l, "ERR, authentication failed");
  }
  auto mails = RunMail(pcap);
  int read = 0, failed = 0, idle = 0;
  for (const auto& m : mails) {
    EXPECT_EQ(m.event(), 2u);
    EXPECT_EQ(m.mail_protocol(), 1u);
    if (m.result_code() == 1) {
      ++failed;
    } else if (m.mail_subject().empty() && m.mail_sender().empty()) {
      ++idle;  // logged in, read nothing
      EXPECT_EQ(m.mail_receiver(), "digitalinvestigator@networksims.com");  // AUTH PLAIN user
    } else {
      ++read;
    }
  }
  EXPECT_EQ(read, retr);
  EXPECT_EQ(failed, refused);
  EXPECT_EQ(idle, 1);
  if (!testing::HaveCommand("tshark")) return;
  std::string imf =
      testing::RunCommand("tshark -r '" + pcap + "' -Y imf -T fields -e imf.subject 2>/dev/null");
  for (absl::string_view subject : absl::StrSplit(imf, '\n', absl::SkipWhitespace())) {
    bool found = false;
    for (const auto& m : mails) found |= m.mail_subject() == subject;
    EXPECT_TRUE(found) << subject;
  }
}

// IMAP: nDPI's user (samir) and tshark's reading of the fetched message's headers.
TEST(MailboxGoldenTest, NdpiImapFetch) {
  std::string pcap = CorpusFile("ndpi/imap.pcap");
  XS_REQUIRE_FILE(pcap);
  auto mails = RunMail(pcap);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].mail_protocol(), 2u);
  EXPECT_EQ(mails[0].result_code(), 0u);
  EXPECT_TRUE(absl::StrContains(mails[0].mail_reply(), "LOGIN completed"));
  if (!testing::HaveCommand("tshark")) return;
  std::string imf =
      testing::RunCommand("tshark -r '" + pcap +
                          "' -Y imf -T fields -E separator=/t -e imf.from -e imf.to -e imf.cc "
                          "-e imf.subject 2>/dev/null");
  std::vector<std::string> f = absl::StrSplit(absl::StripAsciiWhitespace(imf), '\t');
  ASSERT_EQ(f.size(), 4u) << imf;
  EXPECT_EQ(mails[0].mail_sender(), f[0]);
  EXPECT_EQ(mails[0].mail_receiver(), f[1]);
  EXPECT_EQ(mails[0].mail_cc(), f[2]);
  EXPECT_EQ(mails[0].mail_subject(), f[3]);
}

}  // namespace
}  // namespace xsensor
