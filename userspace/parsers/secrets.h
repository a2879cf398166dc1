// Secrets in raw records (redact_credentials): each protocol that carries one says where it is,
// by its own grammar, as the bytes of one direction of a flow come in; secrets do not respect
// packet boundaries (a password typed one character per packet, an IMAP literal, an XMPP <auth>
// split across segments), so the scanners keep their place across packets. A protocol's scanner
// is part of its registry row (ParserInfo::secrets); StreamRedaction applies one to a flow's
// packets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "common/dir.h"

namespace xsensor {

// Bytes [begin, end) of the data given to one Scan call are secret. `complete`: the secret ends
// there (it may have begun in earlier calls): its value goes where this span begins.
struct SecretSpan {
  size_t begin = 0, end = 0;
  bool complete = false;
};

class SecretScanner {
 public:
  virtual ~SecretScanner() = default;
  // The next bytes of the direction this scanner reads; appends its secret spans in order.
  virtual void Scan(absl::string_view data, std::vector<SecretSpan>* out) = 0;
};

// Makes the scanner of one direction of a flow (Dir::kToServer: the client's bytes).
using SecretScannerFactory = std::unique_ptr<SecretScanner> (*)(Dir dir);

// A protocol that carries no secret in its packets (said, not forgotten).
std::unique_ptr<SecretScanner> MakeNoSecrets(Dir dir);

// Collects secret runs byte by byte within one Scan call.
class SecretRun {
 public:
  explicit SecretRun(std::vector<SecretSpan>* out) : out_(out) {}
  void Secret(size_t i) {
    if (open_ == kNone) open_ = i;
  }
  // The secret ends before byte i. `ongoing`: it began in an earlier call (a completion with
  // no bytes here still places its value).
  void End(size_t i, bool ongoing) {
    if (open_ != kNone) {
      out_->push_back({open_, i, true});
    } else if (ongoing) {
      out_->push_back({i, i, true});
    }
    open_ = kNone;
  }
  // The data ends inside a secret.
  void Finish(size_t size) {
    if (open_ != kNone) out_->push_back({open_, size, false});
    open_ = kNone;
  }
  bool open() const { return open_ != kNone; }

 private:
  static constexpr size_t kNone = ~size_t{0};
  std::vector<SecretSpan>* out_;
  size_t open_ = kNone;
};

// Line protocols (FTP, SMTP, POP3, IMAP, NNTP, HTTP and SIP headers): a line is secret from one
// of its words to its end, decided by the words before it. Words are separated by spaces; the
// line ends at LF (a CR before it is not secret).
class LineSecretScanner : public SecretScanner {
 public:
  void Scan(absl::string_view data, std::vector<SecretSpan>* out) final;

 protected:
  static constexpr int kUndecided = -2, kNoSecret = -1;
  // The word (0-based) from which the line is secret, kNoSecret, or kUndecided while it needs
  // more words. `words`: the line's complete words so far (the first four, 64 bytes each);
  // `line_end`: the line has ended (a last chance, for a line that is one word).
  virtual int SecretFrom(const std::vector<std::string>& words, bool line_end) = 0;
  // After each line, with its first words: for state across lines (a SASL exchange).
  virtual void LineDone(const std::vector<std::string>& words) { (void)words; }
  // A word ends inside this call's data at [begin, end): may add a span inside it (a URL's
  // user:password@). Only for words wholly inside one call's data.
  virtual void WordDone(size_t index, absl::string_view data, size_t begin, size_t end,
                        std::vector<SecretSpan>* out) {
    (void)index, (void)data, (void)begin, (void)end, (void)out;
  }

  // IMAP (RFC 9051): a line that ends in {N} or {N+} goes on after N bytes of literal, which
  // are one word.
  bool literals_ = false;
  // Header lines: the first ':' of the first word ends it ("Cookie:a=b" is two words).
  bool colon_splits_ = false;
  // Lines still to come that are SASL responses, secret whole (set by LineDone).
  int sasl_lines_ = 0;

 private:
  void EndWord(size_t i, absl::string_view data, std::vector<SecretSpan>* out);
  void StartLine();

  std::vector<std::string> words_;
  std::string word_, last_word_;
  bool at_line_start_ = true;
  bool in_word_ = false;
  size_t word_count_ = 0;
  size_t word_begin_ = 0;  // in this call's data, when word_here_
  bool word_here_ = false;
  int from_ = kUndecided;
  bool secret_ = false;  // the line is secret from here to its end
  bool cr_ = false;      // the byte before was a CR inside the secret
  size_t cr_at_ = 0;
  uint64_t literal_left_ = 0;
};

// A URI's user:password@ (RFC 3986 3.2.1, deprecated; RFC 3261 19.1.1) in `uri` (scheme://
// or sip:/sips:): the password at [*begin, *end).
bool UriPassword(absl::string_view uri, size_t* begin, size_t* end);

// HTTP-style header lines (HTTP, SIP, whatever carries HTTP): the values of Cookie (and
// Set-Cookie when `set_cookie`), the credentials of Authorization and Proxy-Authorization after
// their scheme, and the password of a URI's user:password@ (a proxy request's target, a SIP
// URI) in a word that one packet holds whole.
class HeaderSecretScanner : public LineSecretScanner {
 public:
  explicit HeaderSecretScanner(bool set_cookie);

 protected:
  int SecretFrom(const std::vector<std::string>& words, bool line_end) override;
  void WordDone(size_t index, absl::string_view data, size_t begin, size_t end,
                std::vector<SecretSpan>* out) override;

 private:
  bool set_cookie_;
};

// Redaction of the raw records of one direction of one flow: the protocol's scanner finds the
// secrets, each is replaced by value(secret) where it ends, its bytes in earlier packets by
// nothing. TCP: a segment sent again is not read again; what was secret in it stays hidden.
class StreamRedaction {
 public:
  explicit StreamRedaction(std::unique_ptr<SecretScanner> scanner) : scanner_(std::move(scanner)) {}
  using ValueFn = absl::FunctionRef<std::string(absl::string_view secret)>;
  // Appends the packet's payload, redacted, to *out. `seq`: its TCP sequence number (tcp).
  void Apply(absl::string_view payload, bool tcp, uint32_t seq, ValueFn value, std::string* out);

  static constexpr size_t kMaxSecret = 1024;  // what is kept of one secret for its value

 private:
  void Hidden(uint32_t begin, uint32_t end);
  bool IsHidden(uint32_t seq) const;

  std::unique_ptr<SecretScanner> scanner_;
  std::vector<SecretSpan> spans_;
  std::string secret_;
  bool seq_known_ = false;
  uint32_t next_seq_ = 0;
  struct Range {
    uint32_t begin = 0, end = 0;
  };
  std::array<Range, 8> hidden_{};  // the last secrets' bytes, in sequence numbers
  size_t hidden_next_ = 0;
};

}  // namespace xsensor
