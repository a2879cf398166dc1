// The secrets of mail clients' lines (redact_credentials, raw records): SMTP AUTH (RFC 4954),
// POP3 PASS, APOP and AUTH (RFC 1939, 5034), IMAP LOGIN and AUTHENTICATE (RFC 9051) with the
// SASL responses that follow them, and IMAP literals ({N}: a password sent as one).
#pragma once

#include <memory>

#include "parsers/secrets.h"

namespace xsensor {

std::unique_ptr<SecretScanner> MakeMailSecrets(Dir dir);  // SMTP, POP3
std::unique_ptr<SecretScanner> MakeImapSecrets(Dir dir);

// The lines that follow "AUTH MECH [initial-response]" (or IMAP's AUTHENTICATE, NNTP's
// AUTHINFO SASL) and are SASL responses: LOGIN sends the user name and the password in two,
// the others one unless the initial response was given.
int SaslResponseLines(absl::string_view mechanism, bool initial_response);

}  // namespace xsensor
