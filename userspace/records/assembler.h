// Record assembly: a parser's facts (parsers/facts.h) combined with its flow's endpoints,
// session and channel, into the schema's records. A worker owns one assembler, which keeps one
// reusable message per record type (no allocation per record once strings reach their size),
// looks LOGIN up, redacts credentials when configured, and hands finished records to the sink.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/dir.h"
#include "packet/endpoint.h"
#include "parsers/facts.h"
#include "records/login_map.h"
#include "records/redact.h"
#include "schema/record_sink.h"
#include "xsensor/records.pb.h"

namespace xsensor {

class DnsTextLog;  // records/dns_log.h

class RecordAssembler : public FactSink {
 public:
  explicit RecordAssembler(RecordSink* sink) : sink_(sink) {}
  // Also hands every `dns` record to `tap` (the DNS text log), if set.
  void set_dns_tap(DnsTextLog* tap) { dns_tap_ = tap; }
  // Who the subscriber is, for every record, if set: LOGIN and, in raw records, FLW_DIR.
  void set_subscribers(const Subscribers* subscribers) { subscribers_ = subscribers; }
  // Credentials are redacted in every record, if set (redact_credentials).
  void set_redactor(const Redactor* redactor) { redactor_ = redactor; }

  // The flow the next facts are of, and the time they are told at (TIME_STAMP).
  void Bind(const EndpointSource* endpoints, uint64_t session_id, uint16_t channel, int64_t ts_us) {
    endpoints_ = endpoints ? endpoints : &kNone;
    session_id_ = session_id;
    channel_ = channel;
    ts_us_ = ts_us;
  }

  void HttpRequest(const HttpRequestFact& f) override;
  void HttpReply(const HttpReplyFact& f) override;
  void ClientHello(const ClientHelloFact& f) override;
  void ServerHello(const ServerHelloFact& f) override;
  void DnsAnswer(const DnsAnswerFact& f) override;
  void SipMessage(Dir side, const SipMessageFact& f) override;
  void FtpLogin(const FtpLoginFact& f) override;
  void Mail(Dir side, const MailFact& f) override;
  void ImSession(const ImSessionFact& f) override;

  // One packet of the bound flow exported as captured (a raw record), of direction `dir`:
  // the client is the subscriber side, its packets go "subscriber -> internet".
  struct RawPacket {
    Dir dir = Dir::kToServer;
    uint8_t meta_proto = 0;
    uint16_t vdpi_proto = 0;        // the flow's protocol by the sensor's classification
    int8_t from_first_sender = -1;  // UDP: 1 sent by the flow's first sender, 0 not; TCP: -1
    uint8_t l4_proto = 0;
    uint8_t tcp_flags = 0;
    uint32_t tcp_seq = 0;
    int64_t ts_us = 0;
    absl::string_view payload;  // already cut to raw_max_bytes
  };
  void Raw(const RawPacket& packet);

  uint64_t emitted() const { return emitted_; }

 private:
  static const FlowEndpoints kNone;
  // A cleared message of type T with the shared fields of direction `side` filled.
  template <typename T>
  T* Begin(Dir side, int64_t ts_us);
  template <typename T>
  T* Begin(Dir side) {
    return Begin<T>(side, ts_us_);
  }
  void Emit(const google::protobuf::Message& record);

  RecordSink* sink_;
  DnsTextLog* dns_tap_ = nullptr;
  absl::string_view dns_question_;  // of the dns record being emitted
  const Subscribers* subscribers_ = nullptr;
  int subscriber_side_ = -1;  // of the record being made: 0 its source, 1 its destination
  std::string login_;         // scratch
  const Redactor* redactor_ = nullptr;
  uint64_t emitted_ = 0;
  const EndpointSource* endpoints_ = &kNone;
  uint64_t session_id_ = 0;
  uint16_t channel_ = 0;
  int64_t ts_us_ = 0;
  FlowSide mirrored_;  // a side not seen, from the other
  schema::Clickstream clickstream_;
  schema::HttpReply http_reply_;
  schema::SslReply ssl_reply_;
  schema::Sip sip_;
  schema::Ftp ftp_;
  schema::Im im_;
  schema::Mail mail_;
  schema::Raw raw_;
  schema::Dns dns_;
};

}  // namespace xsensor
