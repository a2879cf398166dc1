// The input formats of the fuzz targets (seeds.cc writes them from captures):
//   frames:   1 byte of options, then frames, each a 2-byte big-endian length and its bytes;
//   chunks:   a stream's chunks, each a 2-byte big-endian header (bit 15: from the server,
//             bits 0-14: length) and its bytes;
//   segments: TCP segments, each 1 byte of flags (bit 0: from the server, 1 SYN, 2 FIN,
//             3 RST, 4 ACK), a 2-byte sequence offset, a 2-byte length and its bytes.
// Every piece is copied into an allocation of its own, so that a read past its end is an
// AddressSanitizer report, not a read of the next piece.
#ifndef XSENSOR_TEST_FUZZ_FUZZ_INPUT_H_
#define XSENSOR_TEST_FUZZ_FUZZ_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace xsensor::fuzz {

// One piece of the input in its own allocation.
class Piece {
 public:
  // Inputs are at most a few MiB; the bound also tells the compiler so.
  static constexpr size_t kMaxLen = size_t{1} << 26;
  Piece(const uint8_t* data, size_t len)
      : len_(std::min(len, kMaxLen)), bytes_(std::make_unique<uint8_t[]>(len_ ? len_ : 1)) {
    if (len_) std::memcpy(bytes_.get(), data, len_);
  }
  const uint8_t* data() const { return bytes_.get(); }
  const char* chars() const { return reinterpret_cast<const char*>(bytes_.get()); }
  size_t size() const { return len_; }

 private:
  size_t len_;
  std::unique_ptr<uint8_t[]> bytes_;
};

// Reads the input front to back; every Take* stops at the end (short reads are cut).
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), left_(size) {}
  bool empty() const { return left_ == 0; }
  uint8_t Byte() {
    if (!left_) return 0;
    --left_;
    return *p_++;
  }
  uint16_t U16() { return static_cast<uint16_t>(Byte() << 8 | Byte()); }
  Piece Take(size_t len) {
    if (len > left_) len = left_;
    Piece piece(p_, len);
    p_ += len;
    left_ -= len;
    return piece;
  }

 private:
  const uint8_t* p_;
  size_t left_;
};

}  // namespace xsensor::fuzz

#endif  // XSENSOR_TEST_FUZZ_FUZZ_INPUT_H_
