#include "records/assembler.h"

#include <type_traits>

#include "records/dns_log.h"

namespace xsensor {
namespace {

// A ClientHello's cipher suites are exported up to this many (CIPHER_SUITES), their count in
// full (CIPHER_SUITES_LEN).
constexpr size_t kMaxExportedSuites = 16;

}  // namespace

namespace {

// A string field takes its value into the string it already has: the assembler's messages are
// reused record after record, so after the first few records no field allocates. (The
// generated set_x(data, size) builds a temporary std::string: one allocation per field whose
// value is longer than the small-string buffer.)
void Put(std::string* field, absl::string_view value) { field->assign(value.data(), value.size()); }
void Put(std::string* field, const uint8_t* bytes, size_t n) {
  field->assign(reinterpret_cast<const char*>(bytes), n);
}

}  // namespace

const FlowEndpoints RecordAssembler::kNone{};

template <typename T>
T* RecordAssembler::Begin(Dir side, int64_t ts_us) {
  T* r;
  if constexpr (std::is_same_v<T, schema::Clickstream>) r = &clickstream_;
  if constexpr (std::is_same_v<T, schema::HttpReply>) r = &http_reply_;
  if constexpr (std::is_same_v<T, schema::SslReply>) r = &ssl_reply_;
  if constexpr (std::is_same_v<T, schema::Sip>) r = &sip_;
  if constexpr (std::is_same_v<T, schema::Ftp>) r = &ftp_;
  if constexpr (std::is_same_v<T, schema::Im>) r = &im_;
  if constexpr (std::is_same_v<T, schema::Mail>) r = &mail_;
  if constexpr (std::is_same_v<T, schema::Raw>) r = &raw_;
  if constexpr (std::is_same_v<T, schema::Dns>) r = &dns_;
  r->Clear();
  const FlowSide& e = endpoints_->Of(side, &mirrored_);
  r->set_time_stamp(static_cast<uint32_t>(ts_us / 1000000));
  Put(r->mutable_ip_source(), e.src.bytes, e.src.len);
  Put(r->mutable_ip_destination(), e.dst.bytes, e.dst.len);
  r->set_session_id(session_id_);
  r->set_vlan_id(e.l2.vlan);
  r->set_post_vlan_id(e.l2.post_vlan);
  if (e.l2.has_macs) {
    Put(r->mutable_source_mac(), e.l2.src_mac, 6);
    Put(r->mutable_destination_mac(), e.l2.dst_mac, 6);
  }
  Put(r->mutable_mpls_labels(), e.mpls_labels());
  if constexpr (requires { r->set_port_source(0); }) {
    r->set_port_source(e.sport);
    r->set_port_destination(e.dport);
  }
  if constexpr (requires { r->set_source_transport_port(0); }) {
    r->set_source_transport_port(e.sport);
    r->set_destination_transport_port(e.dport);
  }
  if constexpr (requires { r->set_bridge_channel_num(0); }) {
    r->set_bridge_channel_num(channel_);
  }
  subscriber_side_ = -1;
  if (subscribers_) {
    subscriber_side_ = subscribers_->Find(r->ip_source(), r->ip_destination(), &login_);
    if (subscriber_side_ >= 0) r->set_login(login_);
  }
  return r;
}

void RecordAssembler::Emit(const google::protobuf::Message& record) {
  if (redactor_) {
    // `record` is one of the slots: its credentials are replaced in place.
    if (&record == &clickstream_) {
      if (!clickstream_.cookie().empty()) {
        clickstream_.set_cookie(redactor_->Value(clickstream_.cookie()));
      }
      // A proxy request's target, a referer: a URL's user:password@.
      redactor_->Url(clickstream_.mutable_path());
      redactor_->Url(clickstream_.mutable_referer());
    } else if (&record == &ftp_ && !ftp_.password().empty()) {
      ftp_.set_password(redactor_->Value(ftp_.password()));
    } else if (&record == &im_ && !im_.im_passw().empty()) {
      im_.set_im_passw(redactor_->Value(im_.im_passw()));
    }
    // Raw records are redacted by their flow, across packets (parsers/secrets.h).
  }
  ++emitted_;
  sink_->Emit(record);
  if (dns_tap_ && &record == &dns_) dns_tap_->Add(dns_, dns_question_);
}

void RecordAssembler::HttpRequest(const HttpRequestFact& f) {
  auto* r = Begin<schema::Clickstream>(Dir::kToServer);
  Put(r->mutable_hostname(), f.host);
  Put(r->mutable_path(), f.target);
  Put(r->mutable_referer(), f.referer);
  Put(r->mutable_user_agent(), f.user_agent);
  Put(r->mutable_cookie(), f.cookie);
  r->set_host_type(static_cast<uint32_t>(f.source));
  r->set_method(f.method);
  r->set_tcp_sequence(f.tcp_sequence);
  Emit(*r);
}

void RecordAssembler::HttpReply(const HttpReplyFact& f) {
  auto* r = Begin<schema::HttpReply>(Dir::kToClient);
  r->set_result_code(f.status);
  r->set_content_length(f.content_length);
  Put(r->mutable_content_type(), f.content_type);
  Put(r->mutable_location(), f.location);
  Emit(*r);
}

void RecordAssembler::ClientHello(const ClientHelloFact& f) {
  auto* r = Begin<schema::Clickstream>(Dir::kToServer);
  Put(r->mutable_hostname(), f.server_name);
  r->set_host_type(static_cast<uint32_t>(f.source));
  absl::string_view suites = f.cipher_suites.substr(0, 2 * kMaxExportedSuites);
  Put(r->mutable_cipher_suites(), suites);
  r->set_cipher_suites_len(static_cast<uint32_t>(f.cipher_suites.size()));
  r->set_tcp_sequence(f.tcp_sequence);
  Emit(*r);
}

void RecordAssembler::ServerHello(const ServerHelloFact& f) {
  auto* r = Begin<schema::SslReply>(Dir::kToClient);
  r->set_ssl_version(f.version);
  r->set_cipher_suite(f.cipher_suite);
  r->set_compression_method(f.compression);
  if (!f.cname.empty()) {
    Put(r->mutable_cname(), f.cname);
    r->set_host_type(static_cast<uint32_t>(NameSource::kTlsSni));
  }
  Emit(*r);
}

void RecordAssembler::DnsAnswer(const DnsAnswerFact& f) {
  // A DNS record describes the question: from the client to the server.
  auto* r = Begin<schema::Dns>(Dir::kToServer);
  r->set_transport(f.tcp ? 1 : 0);
  Put(r->mutable_domain(), f.name);
  r->set_rrtype(f.type);
  r->set_rrclass(f.rrclass);
  r->set_ttl(f.ttl);
  Put(r->mutable_rdata(), f.rdata);
  dns_question_ = f.question;
  Emit(*r);
}

void RecordAssembler::SipMessage(Dir side, const SipMessageFact& f) {
  auto* r = Begin<schema::Sip>(side);
  Put(r->mutable_msg_code(), f.msg_code);
  r->set_status_code(f.status);
  Put(r->mutable_uri(), f.uri);
  Put(r->mutable_from(), f.from);
  Put(r->mutable_to(), f.to);
  Put(r->mutable_callid(), f.call_id);
  Put(r->mutable_uagent(), f.user_agent);
  Put(r->mutable_ctype(), f.content_type);
  Put(r->mutable_gateways(), f.via_hosts);
  Emit(*r);
}

void RecordAssembler::FtpLogin(const FtpLoginFact& f) {
  auto* r = Begin<schema::Ftp>(Dir::kToServer);
  Put(r->mutable_server_name(), f.server_name);
  Put(r->mutable_user(), f.user);
  Put(r->mutable_password(), f.password);
  r->set_mode(f.mode);
  r->set_result_code(f.result);
  Emit(*r);
}

void RecordAssembler::Mail(Dir side, const MailFact& f) {
  auto* r = Begin<schema::Mail>(side);
  Put(r->mutable_mail_sender(), f.sender);
  Put(r->mutable_mail_receiver(), f.receivers);
  Put(r->mutable_mail_cc(), f.cc);
  Put(r->mutable_mail_subject(), f.subject);
  Put(r->mutable_mail_servers(), f.servers);
  Put(r->mutable_mail_reply(), f.reply);
  r->set_event(f.event);
  r->set_attachment(f.attachment ? 1 : 0);
  r->set_mail_protocol(f.protocol);
  r->set_result_code(f.result);
  Emit(*r);
}

void RecordAssembler::ImSession(const ImSessionFact& f) {
  auto* r = Begin<schema::Im>(Dir::kToServer);
  Put(r->mutable_im_login(), f.login);
  Put(r->mutable_im_passw(), f.password);
  Put(r->mutable_im_screen_name(), f.screen_name);
  Put(r->mutable_im_uin(), f.uin);
  r->set_im_protocol(f.protocol);
  Put(r->mutable_im_receivers(), f.receivers);
  r->set_result_code(f.result);
  Emit(*r);
}

void RecordAssembler::Raw(const RawPacket& packet) {
  auto* r = Begin<schema::Raw>(packet.dir, packet.ts_us);
  uint32_t to_client = packet.dir == Dir::kToClient ? 1 : 0;
  // FLW_DIR: 0 from the subscriber; when neither end is a known subscriber, the client is
  // taken for it. DIR_DATA: 0 from the client (UDP: from the flow's first sender).
  r->set_flw_dir(subscriber_side_ >= 0 ? static_cast<uint32_t>(subscriber_side_) : to_client);
  r->set_dir_data(packet.from_first_sender >= 0 ? (packet.from_first_sender ? 0 : 1) : to_client);
  r->set_vdpi_proto(packet.vdpi_proto);
  r->set_meta_proto(packet.meta_proto);
  Put(r->mutable_raw_data(), packet.payload);
  r->set_protocol_identifier(packet.l4_proto);
  r->set_tcp_control_bits(packet.tcp_flags);
  r->set_tcp_sequence(packet.tcp_seq);
  Emit(*r);
}

}  // namespace xsensor
