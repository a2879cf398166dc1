#include "parsers/dns/dns_parser.h"

#include "parsers/dns/dns_message.h"
#include "parsers/dns/name_cache.h"

namespace xsensor {

bool LooksLikeDnsOverUdp(absl::string_view d) {
  // A standard query: header, QDCOUNT 1, no answers, opcode 0.
  return d.size() >= 17 && (static_cast<uint8_t>(d[2]) & 0xf8) == 0 && d[4] == 0 && d[5] == 1 &&
         d[6] == 0 && d[7] == 0;
}

std::unique_ptr<AppParser> MakeDnsParser(const ParserOptions& options) {
  return std::make_unique<DnsParser>(options);
}

void DnsParser::OnData(ParseContext& ctx, absl::string_view data, uint32_t) {
  bool tcp = ctx.l4_proto == 6;
  if (!tcp) {
    HandleMessage(ctx, data, false);
    return;
  }
  int d = static_cast<int>(ctx.dir);
  if (tcp_lost_[d]) return;
  std::string& buf = tcp_buf_[d];
  // Whole messages straight from the segment when nothing is pending.
  while (buf.empty() && data.size() >= 2) {
    size_t len = (static_cast<uint8_t>(data[0]) << 8) | static_cast<uint8_t>(data[1]);
    if (data.size() < 2 + len) break;
    HandleMessage(ctx, data.substr(2, len), true);
    data.remove_prefix(2 + len);
  }
  buf.append(data.data(), data.size());
  while (buf.size() >= 2) {
    size_t len = (static_cast<uint8_t>(buf[0]) << 8) | static_cast<uint8_t>(buf[1]);
    if (buf.size() < 2 + len) break;
    std::string msg = buf.substr(2, len);
    buf.erase(0, 2 + len);
    HandleMessage(ctx, msg, true);
  }
}

void DnsParser::OnGap(ParseContext& ctx) {
  // The 2-byte framing cannot be found again inside the stream.
  int d = static_cast<int>(ctx.dir);
  tcp_buf_[d].clear();
  tcp_lost_[d] = true;
  ctx.counters->Inc(ParserCounters::kDnsTcpFramingLost);
}

void DnsParser::HandleMessage(ParseContext& ctx, absl::string_view msg, bool tcp) {
  ctx.counters->Inc(ParserCounters::kDnsMessages);
  // One message per thread, reused by every DNS flow: its vectors and strings keep their
  // capacity.
  thread_local DnsMessage m;
  DnsError err = ParseDnsMessage(msg, &m);
  if (err != DnsError::kOk) {
    ctx.counters->Inc(err == DnsError::kTruncatedHeader ? ParserCounters::kDnsTruncated
                      : err == DnsError::kPointerLoop   ? ParserCounters::kDnsPointerLoop
                      : err == DnsError::kBadName       ? ParserCounters::kDnsBadName
                      : err == DnsError::kBadRdata      ? ParserCounters::kDnsBadRdata
                                                        : ParserCounters::kDnsTruncated);
    if (err == DnsError::kTruncatedHeader) return;
  }
  if (!m.response()) return;
  ctx.counters->Inc(ParserCounters::kDnsResponses);
  // The facts describe the question: from the client to the server.
  const absl::string_view question =
      m.questions.empty() ? absl::string_view() : m.questions[0].name;
  auto emit = [&](absl::string_view name, uint16_t type, uint16_t rrclass, uint32_t ttl,
                  absl::string_view rdata) {
    DnsAnswerFact fact;
    fact.tcp = tcp;
    fact.name = name;
    fact.question = question.empty() ? name : question;
    fact.type = type;
    fact.rrclass = rrclass;
    fact.ttl = ttl;
    fact.rdata = rdata;
    ctx.facts->DnsAnswer(fact);
    ctx.counters->Inc(ParserCounters::kDnsRecords);
  };
  if (m.answers.empty()) {
    if (!m.questions.empty()) {
      const DnsQuestion& q = m.questions[0];
      emit(q.name, q.type, q.rrclass, 0, "");
    }
    return;
  }
  const std::string& asked = m.questions.empty() ? m.answers[0].name : m.questions[0].name;
  int64_t now_s = ctx.ts_us / 1000000;
  // A response may carry thousands of answers (a 64 KiB one over TCP: ~4000, 1.3 MB of
  // IPFIX); past dns_max_records they are counted, not exported. Names are still learned.
  size_t emitted = 0;
  for (const DnsRecord& rr : m.answers) {
    if (emitted < options_.dns_max_records) {
      emit(rr.name, rr.type, rr.rrclass, rr.ttl, rr.rdata);
      ++emitted;
    } else {
      ctx.counters->Inc(ParserCounters::kDnsAnswersNotExported);
    }
    if (options_.names && (rr.type == 1 || rr.type == 28) &&
        (rr.rdata.size() == 4 || rr.rdata.size() == 16)) {
      options_.names->Put(rr.rdata, asked, rr.ttl, now_s);
    }
  }
}

}  // namespace xsensor
