#include "parsers/icq/icq_parser.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"

namespace xsensor {
namespace {

constexpr size_t kFlapHeader = 6;
constexpr size_t kMaxBuffered = 70000;  // one whole frame at most (length is 16 bits)
constexpr size_t kMaxReceivers = 32;
constexpr size_t kMaxName = 128;

uint16_t U16(absl::string_view p, size_t i) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[i]) << 8) | static_cast<uint8_t>(p[i + 1]));
}

// The value of TLV `type` in a run of TLVs (type, length, value), or false.
bool FindTlv(absl::string_view tlvs, uint16_t type, absl::string_view* value) {
  for (size_t p = 0; p + 4 <= tlvs.size();) {
    uint16_t t = U16(tlvs, p), n = U16(tlvs, p + 2);
    if (p + 4 + n > tlvs.size()) return false;
    if (t == type) {
      *value = tlvs.substr(p + 4, n);
      return true;
    }
    p += 4 + n;
  }
  return false;
}

class IcqParser : public AppParser {
 public:
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t) override {
    std::string& buf = buf_[static_cast<int>(ctx.dir)];
    if (broken_) return;
    // Whole frames are read from the packet itself; only a partial one waits in `buf`.
    absl::string_view in = data;
    if (!buf.empty()) {
      buf.append(data.data(), data.size());
      in = buf;
    }
    size_t off = 0;
    while (in.size() - off >= kFlapHeader) {
      absl::string_view rest = in.substr(off);
      if (rest[0] != '*') {  // lost framing: nothing more can be read
        broken_ = true;
        break;
      }
      size_t len = U16(rest, 4);
      if (rest.size() < kFlapHeader + len) break;
      Frame(ctx.dir, static_cast<uint8_t>(rest[1]), rest.substr(kFlapHeader, len));
      off += kFlapHeader + len;
    }
    if (buf.empty()) {
      buf.assign(in.data() + off, in.size() - off);
    } else {
      buf.erase(0, off);
    }
    if (broken_ || buf.size() > kMaxBuffered) {
      broken_ = true;
      std::string().swap(buf_[0]);
      std::string().swap(buf_[1]);
    }
  }
  void OnGap(ParseContext&) override { broken_ = true; }
  void OnEnd(ParseContext& ctx) override {
    if (told_ || (screen_name_.empty() && receivers_.empty())) return;
    told_ = true;
    std::string receivers = absl::StrJoin(receivers_, ",");
    ImSessionFact f;
    f.login = screen_name_;
    f.password = password_;
    f.screen_name = screen_name_;
    bool numeric = !screen_name_.empty();
    for (char c : screen_name_) numeric &= absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (numeric) f.uin = screen_name_;
    f.receivers = receivers;
    f.protocol = kImProtocolIcq;
    f.result = failed_ ? 1 : 0;
    ctx.facts->ImSession(f);
  }
  size_t HeldBytes() const override {
    return xsensor::HeldBytesOf(buf_[0], buf_[1], screen_name_, password_) +
           xsensor::HeldBytes(receivers_);
  }

 private:
  void Name(absl::string_view n) {
    if (screen_name_.empty() && !n.empty()) screen_name_ = std::string(n.substr(0, kMaxName));
  }
  void Frame(Dir dir, uint8_t channel, absl::string_view d) {
    const bool client = dir == Dir::kToServer;
    absl::string_view v;
    if (channel == 1 && client && d.size() >= 4) {  // sign-on: version, then TLVs
      absl::string_view tlvs = d.substr(4);
      if (FindTlv(tlvs, 0x0001, &v)) Name(v);
      if (FindTlv(tlvs, 0x0002, &v)) {
        // The old sign-on's "roasted" password (published OSCAR documentation).
        static const uint8_t kRoast[] = {0xF3, 0x26, 0x81, 0xC4, 0x39, 0x86, 0xDB, 0x92,
                                         0x71, 0xA3, 0xB9, 0xE6, 0x53, 0x7A, 0x95, 0x7C};
        password_.clear();
        for (size_t i = 0; i < v.size() && i < kMaxName; ++i) {
          password_ += static_cast<char>(static_cast<uint8_t>(v[i]) ^ kRoast[i % 16]);
        }
      }
    } else if (channel == 4 && !client) {  // the server closes: the login's outcome
      if (FindTlv(d, 0x0008, &v)) failed_ = true;
    } else if (channel == 2 && d.size() >= 10) {  // SNAC: family, subtype, flags, request id
      uint16_t family = U16(d, 0), subtype = U16(d, 2);
      absl::string_view body = d.substr(10);
      if (client && family == 0x17 && (subtype == 0x02 || subtype == 0x06)) {
        if (FindTlv(body, 0x0001, &v)) Name(v);
      } else if (!client && family == 0x17 && subtype == 0x03) {
        if (FindTlv(body, 0x0008, &v)) failed_ = true;
      } else if (!client && family == 0x01 && subtype == 0x0f && !body.empty()) {
        size_t n = static_cast<uint8_t>(body[0]);  // self info: the user's own name first
        if (1 + n <= body.size()) Name(body.substr(1, n));
      } else if (client && family == 0x04 && subtype == 0x06 && body.size() >= 11) {
        size_t n = static_cast<uint8_t>(body[10]);  // cookie, channel, then the buddy name
        if (11 + n <= body.size() && n > 0) {
          std::string to(body.substr(11, std::min(n, kMaxName)));
          bool seen = false;
          for (const auto& r : receivers_) seen |= r == to;
          if (!seen && receivers_.size() < kMaxReceivers) receivers_.push_back(std::move(to));
        }
      }
    }
  }

  std::string buf_[2];
  std::string screen_name_, password_;
  std::vector<std::string> receivers_;
  bool failed_ = false;
  bool broken_ = false;
  bool told_ = false;
};

}  // namespace

std::unique_ptr<AppParser> MakeIcqParser(const ParserOptions&) {
  return std::make_unique<IcqParser>();
}

bool LooksLikeFlapSignOn(absl::string_view p) {
  return p.size() >= 10 && p[0] == '*' && p[1] == 1 && U16(p, 4) >= 4 && p[6] == 0 && p[7] == 0 &&
         p[8] == 0 && p[9] == 1;
}

}  // namespace xsensor

namespace xsensor {
namespace {

// The client's FLAP frames, byte by byte: the 6-byte header ('*', channel, sequence, length),
// then on channel 1 a 4-byte version and TLVs, on channel 2 a 10-byte SNAC header and, for
// SNAC 0x17/0x02, TLVs. A frame that does not start with '*' stops the reading (the stream is
// not followed any more; nothing after it is taken for a secret).
class IcqSecrets final : public SecretScanner {
 public:
  void Scan(absl::string_view d, std::vector<SecretSpan>* out) override {
    SecretRun run(out);
    for (size_t i = 0; i < d.size() && !lost_; ++i) {
      const auto b = static_cast<uint8_t>(d[i]);
      if (head_.size() < 6) {
        head_ += static_cast<char>(b);
        if (head_.size() == 6) StartFrame();
        continue;
      }
      Payload(b, i, &run);
      if (--frame_left_ == 0) {
        if (value_left_ && secret_) run.End(i + 1, true);  // a value cut by its frame
        head_.clear();
      }
    }
    run.Finish(d.size());
  }

 private:
  void StartFrame() {
    if (head_[0] != '*') {
      lost_ = true;
      return;
    }
    channel_ = static_cast<uint8_t>(head_[1]);
    frame_left_ = static_cast<uint16_t>((static_cast<uint8_t>(head_[4]) << 8) |
                                        static_cast<uint8_t>(head_[5]));
    pos_ = 0;
    tlv_.clear();
    value_left_ = 0;
    secret_ = false;
    tlvs_ = channel_ == 1;
    if (frame_left_ == 0) head_.clear();
  }
  void Payload(uint8_t b, size_t i, SecretRun* run) {
    const size_t pos = pos_++;
    if (channel_ == 1 && pos < 4) return;  // FLAP version
    if (channel_ == 2 && pos < 10) {
      if (pos < 4) snac_[pos] = b;
      if (pos == 9) tlvs_ = snac_[0] == 0 && snac_[1] == 0x17 && snac_[2] == 0 && snac_[3] == 2;
      return;
    }
    if (!tlvs_) return;
    if (value_left_) {
      if (secret_) run->Secret(i);
      if (--value_left_ == 0 && secret_) run->End(i + 1, true);
      return;
    }
    tlv_ += static_cast<char>(b);
    if (tlv_.size() < 4) return;
    const auto type =
        static_cast<uint16_t>((static_cast<uint8_t>(tlv_[0]) << 8) | static_cast<uint8_t>(tlv_[1]));
    value_left_ =
        static_cast<uint16_t>((static_cast<uint8_t>(tlv_[2]) << 8) | static_cast<uint8_t>(tlv_[3]));
    secret_ = (channel_ == 1 && type == 0x0002) || (channel_ == 2 && type == 0x0025);
    tlv_.clear();
  }

  std::string head_, tlv_;
  uint8_t channel_ = 0;
  uint8_t snac_[4] = {};
  uint16_t frame_left_ = 0;
  uint16_t value_left_ = 0;
  size_t pos_ = 0;
  bool tlvs_ = false, secret_ = false, lost_ = false;
};

}  // namespace

std::unique_ptr<SecretScanner> MakeIcqSecrets(Dir dir) {
  if (dir != Dir::kToServer) return MakeNoSecrets(dir);
  return std::make_unique<IcqSecrets>();
}

}  // namespace xsensor
