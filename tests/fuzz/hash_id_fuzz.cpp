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

  cos::HashId id;
  if (cos::parse_hash_id(algorithm, value, &id) == cos::Status::kOk) {
    if (id.hex() != value) abort();
    if (cos::canonical_digest_algorithm(algorithm) != "SHA-256") abort();
  }
  cos::HashId from_sri;
  if (cos::parse_integrity(input, &from_sri) == cos::Status::kOk) {
    cos::HashId again;
    if (cos::parse_integrity(from_sri.sri(), &again) != cos::Status::kOk || again != from_sri) abort();
    if (cos::parse_hash_hex(from_sri.hex(), &again) != cos::Status::kOk || again != from_sri) abort();
  }
  std::string decoded;
  if (cos::base64_decode(input, &decoded)) {
    std::string encoded = cos::base64_encode(reinterpret_cast<const uint8_t*>(decoded.data()), decoded.size());
    std::string back;
    if (!cos::base64_decode(encoded, &back) || back != decoded) abort();
  }
  return 0;
}
