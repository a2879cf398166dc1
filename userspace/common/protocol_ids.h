// The protocol numbers records carry (SPEC.md, "Field semantics"; README "Field values"): the
// one place they are written. Parsers, the registry and the records name them from here.
#pragma once

#include <cstdint>

namespace xsensor {

// META_PROTO of raw records: the protocol whose packets they are.
enum MetaProto : uint8_t {
  kMetaProtoNone = 0,
  kMetaProtoSip = 3,
  kMetaProtoFtp = 4,
  kMetaProtoSmtp = 5,
  kMetaProtoPop3 = 6,
  kMetaProtoImap = 7,
  kMetaProtoXmpp = 8,
  kMetaProtoIcq = 9,
  kMetaProtoRss = 10,  // an HTTP exchange whose reply is an RSS or Atom feed
  kMetaProtoNntp = 11,
  kMetaProtoH323 = 12,
  kMetaProtoZello = 13,  // push-to-talk over TLS/WebSocket, found by its server names
};

// VDPI_PROTO: the protocol the sensor's own classification found for a flow. A flow that
// switches to TLS (STARTTLS) is TLS from then on.
enum VdpiProtoId : uint8_t {
  kVdpiUnknown = 0,
  kVdpiHttp = 1,
  kVdpiTls = 2,
  kVdpiQuic = 3,
  kVdpiDns = 4,
  kVdpiSip = 5,
  kVdpiFtp = 6,
  kVdpiSmtp = 7,
  kVdpiPop3 = 8,
  kVdpiImap = 9,
  kVdpiXmpp = 10,
  kVdpiNntp = 11,
  kVdpiH323 = 12,
  kVdpiIcq = 13,
  kVdpiZello = 14,
};

// IM_PROTOCOL of im records.
enum ImProtocolId : uint32_t {
  kImProtocolIcq = 0,
  kImProtocolXmpp = 7,
  kImProtocolZello = 106,
};

// MAIL_PROTOCOL of mail records.
enum MailProtocolId : uint32_t {
  kMailProtocolSmtp = 0,
  kMailProtocolPop3 = 1,
  kMailProtocolImap = 2,
};

}  // namespace xsensor
