// Incremental SHA-256 with constant memory for any input size (init/update/final
// plus a one-shot), over libsodium's crypto_hash_sha256.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hash_id.h"

namespace cosp {

class Sha256Stream {
 public:
  Sha256Stream();
  void reset();
  void update(const uint8_t* data, size_t length);
  // Returns the digest of everything since the last reset and resets the stream.
  Digest finish();
  uint64_t bytes_hashed() const { return bytes_; }

  static Digest digest(const uint8_t* data, size_t length);

 private:
  alignas(16) unsigned char state_[128];  // holds a crypto_hash_sha256_state (104 bytes)
  uint64_t bytes_ = 0;
};

}  // namespace cosp
