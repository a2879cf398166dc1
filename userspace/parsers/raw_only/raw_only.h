// Protocols the specification exports as raw records only (no record type of their own):
// NNTP (META_PROTO 11) and H.323 (12). Each is recognised by its structure; the flow then gets
// a parser that reads nothing, so that its packets go out as raw records (raw_export=1).
#pragma once

#include <memory>

#include "absl/strings/string_view.h"
#include "parsers/parser.h"
#include "parsers/secrets.h"

namespace xsensor {

std::unique_ptr<AppParser> MakeRawOnlyParser(const ParserOptions& options);
// NNTP raw records' secrets (RFC 4643): AUTHINFO PASS, AUTHINFO SASL and its responses.
std::unique_ptr<SecretScanner> MakeNntpSecrets(Dir dir);

// RFC 3977: the server greets with 200 (posting allowed) or 201 (not allowed), and the client's
// first command is an NNTP command.
bool NntpServerFirst(absl::string_view greeting, absl::string_view first_command);

// H.225.0 call signalling: a TPKT (RFC 1006: version 3, reserved 0, a length of at least 7
// that the payload does not contradict) carrying a Q.931 message (protocol discriminator 8,
// a call reference of at most 2 bytes, a message type Q.931 defines).
bool LooksLikeH225CallSignalling(absl::string_view payload);
// H.245 over TCP: a TPKT carrying a PER-encoded MultimediaSystemControlMessage (its first
// byte: no extension bit, a choice among request, response, command, indication), and not
// an X.224 TPDU (RDP, ISO-TSAP, which use TPKT too).
bool LooksLikeH245(absl::string_view payload);
// H.225.0 RAS over UDP: a PER-encoded RasMessage (no extension bit, a root choice 0..24) of a
// plausible length.
bool LooksLikeH225Ras(absl::string_view payload);

}  // namespace xsensor
