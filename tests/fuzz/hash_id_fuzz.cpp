// libFuzzer target: hash dictionaries and SRI metadata from arbitrary bytes.
// Properties: never crash; an accepted id round-trips through hex and SRI.
#include <cstdlib>
#include <string_view>

#include "hash_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = size ? data[0] % (size + 1) : 0;
  std::string_view algorithm = input.substr(0, split);
  std::string_view value = input.substr(split);

  cosp::HashId id;
  if (cosp::parse_hash_id(algorithm, value, &id) == cosp::Status::kOk) {
    if (id.hex() != value) abort();
    if (cosp::canonical_digest_algorithm(algorithm) != "SHA-256") abort();
  }
  cosp::HashId from_sri;
  if (cosp::parse_integrity(input, &from_sri) == cosp::Status::kOk) {
    cosp::HashId again;
    if (cosp::parse_integrity(from_sri.sri(), &again) != cosp::Status::kOk || again != from_sri) abort();
    if (cosp::parse_hash_hex(from_sri.hex(), &again) != cosp::Status::kOk || again != from_sri) abort();
  }
  std::string decoded;
  if (cosp::base64_decode(input, &decoded)) {
    std::string encoded = cosp::base64_encode(reinterpret_cast<const uint8_t*>(decoded.data()), decoded.size());
    std::string back;
    if (!cosp::base64_decode(encoded, &back) || back != decoded) abort();
  }
  return 0;
}
