#include "parsers/secrets.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace xsensor {
namespace {

class NoSecrets final : public SecretScanner {
 public:
  void Scan(absl::string_view, std::vector<SecretSpan>*) override {}
};

// "{N}" or "{N+}" (an IMAP literal's announcement): N.
bool ParseLiteral(absl::string_view w, uint64_t* n) {
  if (w.size() < 3 || w.front() != '{' || w.back() != '}') return false;
  w = w.substr(1, w.size() - 2);
  if (!w.empty() && w.back() == '+') w.remove_suffix(1);
  if (w.empty() || w.size() > 9) return false;
  uint64_t v = 0;
  for (char c : w) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *n = v;
  return true;
}

}  // namespace

std::unique_ptr<SecretScanner> MakeNoSecrets(Dir) { return std::make_unique<NoSecrets>(); }

void LineSecretScanner::StartLine() {
  words_.clear();
  word_.clear();
  last_word_.clear();
  in_word_ = false;
  word_count_ = 0;
  from_ = kUndecided;
  secret_ = false;
  cr_ = false;
  if (sasl_lines_ > 0) {
    from_ = 0;
    --sasl_lines_;
  }
}

void LineSecretScanner::EndWord(size_t i, absl::string_view data, std::vector<SecretSpan>* out) {
  in_word_ = false;
  if (words_.size() < 4) words_.push_back(word_);
  last_word_ = word_;
  if (word_here_ && !secret_) WordDone(word_count_ - 1, data, word_begin_, i, out);
  word_here_ = false;
}

void LineSecretScanner::Scan(absl::string_view d, std::vector<SecretSpan>* out) {
  SecretRun run(out);
  bool line_here = at_line_start_;
  size_t first_word_at = 0;
  bool first_word_here = false;
  word_here_ = false;
  cr_ = false;  // a CR that ended the last call's data went out as it was
  for (size_t i = 0; i < d.size(); ++i) {
    const char c = d[i];
    at_line_start_ = false;
    if (literal_left_) {
      --literal_left_;
      if (secret_) run.Secret(i);
      continue;
    }
    size_t line_end_at = i;
    if (cr_) {
      cr_ = false;
      if (c == '\n') {
        line_end_at = cr_at_;
      } else {
        run.Secret(cr_at_);  // a CR inside the secret
      }
    }
    if (c == '\n') {
      if (in_word_) EndWord(i, d, out);
      uint64_t n = 0;
      if (literals_ && ParseLiteral(last_word_, &n)) {
        // The line goes on after the literal (its bytes are the announced word).
        last_word_.clear();
        literal_left_ = n;
        if (secret_) run.Secret(i);
        continue;
      }
      if (secret_) {
        run.End(line_end_at, true);
      } else if (from_ == kUndecided && line_here && first_word_here) {
        // A line of one word can be judged only whole (a SASL response).
        from_ = SecretFrom(words_, true);
        const size_t end = i > first_word_at && d[i - 1] == '\r' ? i - 1 : i;
        if (from_ == 0) out->push_back({first_word_at, end, true});
      }
      LineDone(words_);
      StartLine();
      line_here = true;
      first_word_here = false;
      at_line_start_ = true;
      continue;
    }
    if (c == '\r' && secret_) {
      cr_ = true;
      cr_at_ = i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      if (in_word_) EndWord(i, d, out);
      if (secret_) run.Secret(i);
      continue;
    }
    if (!in_word_) {
      in_word_ = true;
      word_.clear();
      word_begin_ = i;
      word_here_ = true;
      if (word_count_ == 0) {
        first_word_at = i;
        first_word_here = line_here;
      }
      const size_t index = word_count_++;
      if (from_ == kUndecided) from_ = SecretFrom(words_, false);
      if (!secret_ && from_ >= 0 && index >= static_cast<size_t>(from_)) secret_ = true;
    }
    if (secret_) run.Secret(i);
    if (word_.size() < 64) word_ += c;
    if (c == ':' && colon_splits_ && word_count_ == 1 && !secret_) EndWord(i + 1, d, out);
  }
  run.Finish(d.size());
}

HeaderSecretScanner::HeaderSecretScanner(bool set_cookie) : set_cookie_(set_cookie) {
  colon_splits_ = true;
}

int HeaderSecretScanner::SecretFrom(const std::vector<std::string>& w, bool line_end) {
  if (w.empty()) return line_end ? kNoSecret : kUndecided;
  const absl::string_view name = w[0];
  if (absl::EqualsIgnoreCase(name, "Cookie:") ||
      (set_cookie_ && absl::EqualsIgnoreCase(name, "Set-Cookie:"))) {
    return 1;
  }
  if (absl::EqualsIgnoreCase(name, "Authorization:") ||
      absl::EqualsIgnoreCase(name, "Proxy-Authorization:")) {
    return 2;  // after the scheme (Basic, Digest, Bearer): the credentials
  }
  return kNoSecret;
}

void HeaderSecretScanner::WordDone(size_t, absl::string_view data, size_t begin, size_t end,
                                   std::vector<SecretSpan>* out) {
  size_t b, e;
  if (UriPassword(data.substr(begin, end - begin), &b, &e)) {
    out->push_back({begin + b, begin + e, true});
  }
}

bool UriPassword(absl::string_view w, size_t* begin, size_t* end) {
  size_t from;
  if (size_t s = w.find("://"); s != absl::string_view::npos) {
    from = s + 3;
  } else if (size_t sip = absl::AsciiStrToLower(w.substr(0, 6)).find("sip:");
             sip != std::string::npos) {
    from = sip + 4;
  } else if (size_t sips = absl::AsciiStrToLower(w.substr(0, 7)).find("sips:");
             sips != std::string::npos) {
    from = sips + 5;
  } else {
    return false;
  }
  const size_t at = w.find('@', from);
  if (at == absl::string_view::npos) return false;
  const size_t stop = w.find_first_of("/?#;>", from);
  if (stop != absl::string_view::npos && stop < at) return false;
  const size_t colon = w.find(':', from);
  if (colon == absl::string_view::npos || colon > at || colon + 1 == at) return false;
  *begin = colon + 1;
  *end = at;
  return true;
}

void StreamRedaction::Hidden(uint32_t begin, uint32_t end) {
  hidden_[hidden_next_] = {begin, end};
  hidden_next_ = (hidden_next_ + 1) % hidden_.size();
}

bool StreamRedaction::IsHidden(uint32_t seq) const {
  for (const Range& r : hidden_) {
    if (seq - r.begin < r.end - r.begin) return true;
  }
  return false;
}

void StreamRedaction::Apply(absl::string_view p, bool tcp, uint32_t seq, ValueFn value,
                            std::string* out) {
  if (tcp && seq_known_) {
    // Bytes already read (a segment sent again, an overlap): not read twice; what was
    // secret in them stays hidden.
    const auto behind = static_cast<int32_t>(next_seq_ - seq);
    if (behind > 0) {
      const size_t old = std::min<size_t>(static_cast<size_t>(behind), p.size());
      for (size_t i = 0; i < old; ++i) {
        if (!IsHidden(seq + static_cast<uint32_t>(i))) out->push_back(p[i]);
      }
      p.remove_prefix(old);
      seq += static_cast<uint32_t>(old);
    }
  }
  if (p.empty()) return;
  spans_.clear();
  scanner_->Scan(p, &spans_);
  size_t at = 0;
  for (const SecretSpan& s : spans_) {
    if (s.begin < at || s.begin > s.end || s.end > p.size()) continue;
    out->append(p.data() + at, s.begin - at);
    const size_t keep = std::min(s.end - s.begin, kMaxSecret - secret_.size());
    secret_.append(p.data() + s.begin, keep);
    if (s.complete) {
      out->append(value(secret_));
      secret_.clear();
    }
    if (tcp && s.end > s.begin) {
      Hidden(seq + static_cast<uint32_t>(s.begin), seq + static_cast<uint32_t>(s.end));
    }
    at = s.end;
  }
  out->append(p.data() + at, p.size() - at);
  if (tcp) {
    next_seq_ = seq + static_cast<uint32_t>(p.size());
    seq_known_ = true;
  }
}

}  // namespace xsensor
