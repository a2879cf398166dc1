// Reads an Internet message (RFC 5322 headers, RFC 2045 MIME parts) line by line as it goes
// by in SMTP DATA, a POP3 RETR/TOP reply or an IMAP FETCH literal, keeping only what the mail
// records need: From, To, Cc addresses, the Subject (RFC 2047 decoded) and whether a part is
// an attachment. Header values are bounded; the body is scanned only for MIME boundaries and
// part headers, up to a byte limit, and never kept.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "parsers/parser.h"

namespace xsensor {

// RFC 2047 encoded words decoded, converted to UTF-8 where iconv knows the charset.
std::string DecodeRfc2047(absl::string_view value);
// The addresses of an address-list header value ("A <a@x>, b@y" -> {"a@x", "b@y"}).
std::vector<std::string> HeaderAddresses(absl::string_view value);
// The same, appended to *out.
void AppendHeaderAddresses(absl::string_view value, std::vector<std::string>* out);

class MessageScanner {
 public:
  // One line without its line end (dot-unstuffed by the caller where the protocol stuffs).
  void Line(absl::string_view line);
  // The message ended (flushes a header being collected).
  void End();
  void Reset() { *this = MessageScanner(); }

  bool saw_headers() const { return saw_headers_; }
  const std::vector<std::string>& from() const { return from_; }
  const std::vector<std::string>& to() const { return to_; }
  const std::vector<std::string>& cc() const { return cc_; }
  const std::string& subject() const { return subject_; }
  bool attachment() const { return attachment_; }

  // Heap bytes its buffers take.
  size_t HeldBytes() const { return HeldBytesOf(header_, boundary_, from_, to_, cc_, subject_); }

 private:
  void AddHeaderLine(absl::string_view line);
  void OnHeader(absl::string_view header);

  bool in_body_ = false;
  bool saw_headers_ = false;
  bool in_part_headers_ = false;
  size_t body_scanned_ = 0;
  std::string header_;
  std::string boundary_;
  std::vector<std::string> from_, to_, cc_;
  std::string subject_;
  bool subject_set_ = false;
  bool attachment_ = false;
};

}  // namespace xsensor
