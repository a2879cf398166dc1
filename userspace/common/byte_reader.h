// Bounds-checked big-endian reads over a byte view. Every read returns false (and leaves the
// cursor unchanged) when the data is short; nothing here casts packet bytes onto structs.
// Views returned by ReadView() alias the underlying buffer and live as long as it does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace xsensor {

class ByteReader {
 public:
  ByteReader() = default;
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  explicit ByteReader(absl::string_view v)
      : data_(reinterpret_cast<const uint8_t*>(v.data())), size_(v.size()) {}

  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }
  const uint8_t* current() const { return data_ + pos_; }
  bool empty() const { return pos_ >= size_; }

  bool Skip(size_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }
  bool Seek(size_t pos) {
    if (pos > size_) return false;
    pos_ = pos;
    return true;
  }
  bool ReadU8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = data_[pos_++];
    return true;
  }
  bool ReadU16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool ReadU24(uint32_t* v) {
    if (remaining() < 3) return false;
    *v = (uint32_t{data_[pos_]} << 16) | (uint32_t{data_[pos_ + 1]} << 8) | data_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool ReadU32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
         (uint32_t{data_[pos_ + 2]} << 8) | data_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool ReadU64(uint64_t* v) {
    uint32_t hi, lo;
    if (remaining() < 8) return false;
    ReadU32(&hi);
    ReadU32(&lo);
    *v = (uint64_t{hi} << 32) | lo;
    return true;
  }
  bool ReadBytes(void* out, size_t n) {
    if (remaining() < n) return false;
    std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return true;
  }
  // A view of the next n bytes; aliases the reader's buffer.
  bool ReadView(size_t n, absl::string_view* out) {
    if (remaining() < n) return false;
    *out = absl::string_view(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return true;
  }
  bool PeekU8(uint8_t* v) const {
    if (remaining() < 1) return false;
    *v = data_[pos_];
    return true;
  }
  bool PeekU16(uint16_t* v) const {
    if (remaining() < 2) return false;
    *v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    return true;
  }
  absl::string_view RemainingView() const {
    return absl::string_view(reinterpret_cast<const char*>(data_ + pos_), remaining());
  }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
};

// Big-endian appends to a std::string used as a byte buffer.
inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutU16(std::string* out, uint16_t v) {
  char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 2);
}
inline void PutU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out->append(b, 4);
}
inline void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v >> 32));
  PutU32(out, static_cast<uint32_t>(v));
}
inline void SetU16At(std::string* out, size_t pos, uint16_t v) {
  (*out)[pos] = static_cast<char>(v >> 8);
  (*out)[pos + 1] = static_cast<char>(v);
}
inline void SetU32At(std::string* out, size_t pos, uint32_t v) {
  (*out)[pos] = static_cast<char>(v >> 24);
  (*out)[pos + 1] = static_cast<char>(v >> 16);
  (*out)[pos + 2] = static_cast<char>(v >> 8);
  (*out)[pos + 3] = static_cast<char>(v);
}

}  // namespace xsensor
