// Incremental SHA-256 with constant memory for any input size (init/update/final
// plus a one-shot). The hot path is our own compression function (sha256_block.h);
// libsodium's crypto_hash_sha256 stays the reference (Sha256Reference), and tests
// and fuzzers compare the two on every input shape.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hash_id.h"
#include "sha256_block.h"

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
  // The same one-shot through libsodium (the reference), for tests and benchmarks.
  static Digest digest_reference(const uint8_t* data, size_t length);

 private:
  uint32_t state_[8];
  uint8_t block_[kSha256BlockBytes];  // the partial block: bytes_ % 64 bytes are used
  uint64_t bytes_ = 0;
};

// The same API over libsodium's crypto_hash_sha256_* (what Sha256Stream replaced),
// kept so differential tests, fuzzers and benchmarks can run both.
class Sha256Reference {
 public:
  Sha256Reference();
  void reset();
  void update(const uint8_t* data, size_t length);
  Digest finish();
  uint64_t bytes_hashed() const { return bytes_; }

 private:
  alignas(16) unsigned char state_[128];  // holds a crypto_hash_sha256_state (104 bytes)
  uint64_t bytes_ = 0;
};

}  // namespace cosp
