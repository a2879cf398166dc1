// Building records: a worker owns one RecordBuilder, which keeps one reusable message per
// record type (no per-record allocation once strings reach their size) and fills the fields
// every template shares from the packet and its flow. Finished records go to a RecordSink
// (the exporter), which must not keep references to them.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "flow/flow_table.h"
#include "google/protobuf/message.h"
#include "packet/packet.h"
#include "records/login_map.h"
#include "records/redact.h"
#include "xsensor/records.pb.h"

namespace xsensor {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void Emit(const google::protobuf::Message& record) = 0;
};

// What the shared fields are taken from.
struct RecordOrigin {
  const PacketView* packet = nullptr;
  const Flow* flow = nullptr;
  int64_t ts_us = 0;
  uint16_t channel = 0;   // BRIDGE_CHANNEL_NUM
  bool reversed = false;  // the packet travels against the data's direction (e.g. an RST
                          // that ends the other side's stream): addresses, ports, MACs swap
};

template <typename T>
void FillCommonFields(const RecordOrigin& o, T* r) {
  const PacketView& p = *o.packet;
  const IpAddr& src = o.reversed ? p.dst : p.src;
  const IpAddr& dst = o.reversed ? p.src : p.dst;
  r->set_time_stamp(static_cast<uint32_t>(o.ts_us / 1000000));
  r->set_ip_source(reinterpret_cast<const char*>(src.bytes), src.len);
  r->set_ip_destination(reinterpret_cast<const char*>(dst.bytes), dst.len);
  r->set_session_id(o.flow->session_id);
  r->set_vlan_id(p.outer_vlan());
  r->set_post_vlan_id(p.inner_vlan());
  if (p.has_macs) {
    r->set_source_mac(reinterpret_cast<const char*>(o.reversed ? p.dst_mac : p.src_mac), 6);
    r->set_destination_mac(reinterpret_cast<const char*>(o.reversed ? p.src_mac : p.dst_mac), 6);
  }
  r->set_mpls_labels(p.mpls.data(), p.mpls.size());
  if constexpr (requires { r->set_port_source(0); }) {
    r->set_port_source(o.reversed ? p.dport : p.sport);
    r->set_port_destination(o.reversed ? p.sport : p.dport);
  }
  if constexpr (requires { r->set_bridge_channel_num(0); }) {
    r->set_bridge_channel_num(o.channel);
  }
}

// An owned copy of the fields records take from a packet, for records emitted after that
// packet is gone (e.g. an FTP login exported when its data mode is known, or at flow end).
class PacketSnapshot {
 public:
  PacketSnapshot() = default;
  explicit PacketSnapshot(const PacketView& p) { Take(p); }
  void Take(const PacketView& p) {
    view_ = p;
    mpls_.assign(p.mpls.data(), p.mpls.size());
    view_.mpls = mpls_;
    view_.payload = {};
    valid_ = true;
  }
  bool valid() const { return valid_; }
  const PacketView* view() const { return valid_ ? &view_ : nullptr; }
  // `at` with this packet as the record's packet, taken in its own direction.
  RecordOrigin OriginAt(const RecordOrigin& at) const {
    RecordOrigin o = at;
    o.packet = view();
    o.reversed = false;
    return o;
  }

 private:
  PacketView view_;
  std::string mpls_;
  bool valid_ = false;
};

class RecordBuilder {
 public:
  explicit RecordBuilder(RecordSink* sink) : sink_(sink) {}
  // Also hands every `dns` record to `tap` (the DNS text log), if set.
  void set_dns_tap(RecordSink* tap) { dns_tap_ = tap; }

  // LOGIN is looked up here for every record, if set.
  void set_login_map(const LoginMap* logins) { logins_ = logins; }
  // Credentials are redacted in every record, if set (redact_credentials).
  void set_redactor(const Redactor* redactor) { redactor_ = redactor; }

  // A cleared message of type T with the shared fields filled from `origin`.
  template <typename T>
  T* Begin(const RecordOrigin& origin) {
    T* r = Slot<T>();
    r->Clear();
    FillCommonFields(origin, r);
    if (logins_) r->set_login(logins_->Lookup(r->ip_source(), r->ip_destination()));
    return r;
  }
  void Emit(const google::protobuf::Message& record) {
    if (redactor_) Redact(record);
    ++emitted_;
    sink_->Emit(record);
    if (dns_tap_ && &record == &dns_) dns_tap_->Emit(record);
  }
  uint64_t emitted() const { return emitted_; }

 private:
  // `record` is one of the slots: its credentials are replaced in place.
  void Redact(const google::protobuf::Message& record) {
    if (&record == &clickstream_ && !clickstream_.cookie().empty()) {
      clickstream_.set_cookie(redactor_->Value(clickstream_.cookie()));
    } else if (&record == &ftp_ && !ftp_.password().empty()) {
      ftp_.set_password(redactor_->Value(ftp_.password()));
    } else if (&record == &im_ && !im_.im_passw().empty()) {
      im_.set_im_passw(redactor_->Value(im_.im_passw()));
    } else if (&record == &raw_ && raw_.dir_data() == 0) {
      raw_.set_raw_data(redactor_->RawPayload(raw_.meta_proto(), raw_.raw_data()));
    }
  }
  template <typename T>
  T* Slot() {
    if constexpr (std::is_same_v<T, schema::Clickstream>) return &clickstream_;
    if constexpr (std::is_same_v<T, schema::HttpReply>) return &http_reply_;
    if constexpr (std::is_same_v<T, schema::SslReply>) return &ssl_reply_;
    if constexpr (std::is_same_v<T, schema::Sip>) return &sip_;
    if constexpr (std::is_same_v<T, schema::Ftp>) return &ftp_;
    if constexpr (std::is_same_v<T, schema::Im>) return &im_;
    if constexpr (std::is_same_v<T, schema::Mail>) return &mail_;
    if constexpr (std::is_same_v<T, schema::Raw>) return &raw_;
    if constexpr (std::is_same_v<T, schema::Dns>) return &dns_;
  }

  RecordSink* sink_;
  RecordSink* dns_tap_ = nullptr;
  const LoginMap* logins_ = nullptr;
  const Redactor* redactor_ = nullptr;
  uint64_t emitted_ = 0;
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
