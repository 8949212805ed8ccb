// libFuzzer target: our SHA-256 against libsodium's (the reference) on arbitrary
// bytes split at fuzzer-chosen points. Properties: the streamed digests, the
// one-shots and both block-function variants agree; abort() on any difference.
// Input: [count][count x 2-byte split points][payload].
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sha256_block.h"
#include "sha256_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t count = data[0] % 17;
  size_t header = 1 + 2 * count;
  if (size < header) return 0;
  const uint8_t* payload = data + header;
  size_t length = size - header;

  std::vector<size_t> cuts;
  for (size_t i = 0; i < count; ++i) {
    size_t raw = data[1 + 2 * i] | (static_cast<size_t>(data[2 + 2 * i]) << 8);
    cuts.push_back(raw % (length + 1));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.push_back(length);

  cosp::Sha256Stream ours;
  cosp::Sha256Reference reference;
  size_t off = 0;
  for (size_t cut : cuts) {  // repeated cuts give empty updates, which must be no-ops
    ours.update(payload + off, cut - off);
    reference.update(payload + off, cut - off);
    off = cut;
    if (ours.bytes_hashed() != reference.bytes_hashed()) abort();
  }
  const cosp::Digest expected = cosp::Sha256Stream::digest_reference(payload, length);
  if (ours.finish() != expected) abort();
  if (reference.finish() != expected) abort();
  if (cosp::Sha256Stream::digest(payload, length) != expected) abort();
  if (ours.bytes_hashed() != 0) abort();

  // Both block variants from the same state over the whole blocks of the payload.
  uint32_t scalar[8], vector[8];
  std::memcpy(scalar, cosp::kSha256InitialState, sizeof(scalar));
  std::memcpy(vector, cosp::kSha256InitialState, sizeof(vector));
  cosp::sha256_blocks_scalar(scalar, payload, length / 64);
  cosp::sha256_blocks_vector(vector, payload, length / 64);
  if (std::memcmp(scalar, vector, sizeof(scalar)) != 0) abort();
  return 0;
}
