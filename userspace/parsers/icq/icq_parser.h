// ICQ / AIM over OSCAR: FLAP frames ('*', channel, sequence, length) on TCP, 5190 by default.
// The parser follows both directions' frames and tells one `im` fact per connection
// (IM_PROTOCOL 0): the screen name (a UIN when numeric) from the sign-on (FLAP channel 1
// TLV 1, or the MD5 login SNACs 0x17/0x06 and 0x17/0x02), the password of the old sign-on
// (TLV 2, "roasted": XORed with a published table), the user's own name from the BOS server's
// self info (SNAC 0x01/0x0F), the receivers of the messages sent (SNAC 0x04/0x06), and the
// outcome (an error TLV 8 in the server's close frame or login reply: RESULT_CODE 1).
// Its packets are raw records with META_PROTO 9.
#pragma once

#include <memory>

#include "absl/strings/string_view.h"
#include "parsers/parser.h"
#include "parsers/secrets.h"

namespace xsensor {

std::unique_ptr<AppParser> MakeIcqParser(const ParserOptions& options);
// Raw records' secrets: the sign-on's roasted password (FLAP channel 1, TLV 2: its XOR table is
// public) and the MD5 login's password hash (SNAC 0x17/0x02, TLV 0x25).
std::unique_ptr<SecretScanner> MakeIcqSecrets(Dir dir);
// A client's first FLAP frame: channel 1 (sign-on), FLAP version 1.
bool LooksLikeFlapSignOn(absl::string_view payload);

}  // namespace xsensor
