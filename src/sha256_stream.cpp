// Sha256Stream over libsodium's crypto_hash_sha256 (the reference implementation).
#include "sha256_stream.h"

#include <sodium/crypto_hash_sha256.h>

namespace cosp {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "state buffer too small");

static crypto_hash_sha256_state* as_state(unsigned char* buf) {
  return reinterpret_cast<crypto_hash_sha256_state*>(buf);
}

Sha256Stream::Sha256Stream() { reset(); }

void Sha256Stream::reset() {
  crypto_hash_sha256_init(as_state(state_));
  bytes_ = 0;
}

void Sha256Stream::update(const uint8_t* data, size_t length) {
  if (length == 0) return;
  crypto_hash_sha256_update(as_state(state_), data, length);
  bytes_ += length;
}

Digest Sha256Stream::finish() {
  Digest out;
  crypto_hash_sha256_final(as_state(state_), out.data());
  reset();
  return out;
}

Digest Sha256Stream::digest(const uint8_t* data, size_t length) {
  Digest out;
  crypto_hash_sha256(out.data(), data, length);
  return out;
}

}  // namespace cosp
