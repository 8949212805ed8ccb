// Sha256Stream: buffering, padding and length encoding (FIPS 180-4 §5.1.1) around
// sha256_blocks. Whole blocks are hashed straight from the caller's buffer; only a
// partial block is copied. Sha256Reference: libsodium's crypto_hash_sha256.
#include "sha256_stream.h"

#include <sodium/crypto_hash_sha256.h>

#include <cstring>

namespace cosp {

namespace {

void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

Sha256Stream::Sha256Stream() { reset(); }

void Sha256Stream::reset() {
  std::memcpy(state_, kSha256InitialState, sizeof(state_));
  bytes_ = 0;
}

void Sha256Stream::update(const uint8_t* data, size_t length) {
  if (length == 0) return;
  size_t used = static_cast<size_t>(bytes_ % kSha256BlockBytes);
  bytes_ += length;
  if (used != 0) {
    size_t take = kSha256BlockBytes - used;
    if (take > length) take = length;
    std::memcpy(block_ + used, data, take);
    data += take;
    length -= take;
    if (used + take < kSha256BlockBytes) return;
    sha256_blocks(state_, block_, 1);
  }
  size_t whole = length / kSha256BlockBytes;
  if (whole != 0) {
    sha256_blocks(state_, data, whole);
    data += whole * kSha256BlockBytes;
    length -= whole * kSha256BlockBytes;
  }
  if (length != 0) std::memcpy(block_, data, length);
}

Digest Sha256Stream::finish() {
  // Append 0x80, zeros up to 56 mod 64, then the message length in bits as a
  // 64-bit big-endian integer (mod 2^64, like every SHA-256 implementation).
  size_t used = static_cast<size_t>(bytes_ % kSha256BlockBytes);
  block_[used++] = 0x80;
  if (used > kSha256BlockBytes - 8) {
    std::memset(block_ + used, 0, kSha256BlockBytes - used);
    sha256_blocks(state_, block_, 1);
    used = 0;
  }
  std::memset(block_ + used, 0, kSha256BlockBytes - 8 - used);
  uint64_t bits = bytes_ * 8;
  store_be32(block_ + 56, static_cast<uint32_t>(bits >> 32));
  store_be32(block_ + 60, static_cast<uint32_t>(bits));
  sha256_blocks(state_, block_, 1);

  Digest out;
  for (size_t i = 0; i < 8; ++i) store_be32(out.data() + 4 * i, state_[i]);
  reset();
  return out;
}

Digest Sha256Stream::digest(const uint8_t* data, size_t length) {
  Sha256Stream stream;
  stream.update(data, length);
  return stream.finish();
}

Digest Sha256Stream::digest_reference(const uint8_t* data, size_t length) {
  Digest out;
  crypto_hash_sha256(out.data(), data, length);
  return out;
}

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "state buffer too small");

static crypto_hash_sha256_state* as_state(unsigned char* buf) {
  return reinterpret_cast<crypto_hash_sha256_state*>(buf);
}

Sha256Reference::Sha256Reference() { reset(); }

void Sha256Reference::reset() {
  crypto_hash_sha256_init(as_state(state_));
  bytes_ = 0;
}

void Sha256Reference::update(const uint8_t* data, size_t length) {
  if (length == 0) return;
  crypto_hash_sha256_update(as_state(state_), data, length);
  bytes_ += length;
}

Digest Sha256Reference::finish() {
  Digest out;
  crypto_hash_sha256_final(as_state(state_), out.data());
  reset();
  return out;
}

}  // namespace cosp
