// Hash ids: the key of every entry. Parses the API's {algorithm, value} dictionary
// exactly as SPEC §2 and converts to and from Subresource Integrity form.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "status.h"

namespace cosp {

constexpr size_t kSha256DigestBytes = 32;
constexpr size_t kSha256HexChars = 64;
using Digest = std::array<uint8_t, kSha256DigestBytes>;

// A SHA-256 digest that names one entry. Only SHA-256 ids exist: other algorithms
// are refused at parse time.
struct HashId {
  Digest digest{};

  std::string hex() const;  // 64 lowercase hex digits
  std::string sri() const;  // "sha256-<base64>"
  bool operator==(const HashId& other) const { return digest == other.digest; }
  bool operator!=(const HashId& other) const { return digest != other.digest; }
  bool operator<(const HashId& other) const { return digest < other.digest; }
};

struct HashIdHash {
  size_t operator()(const HashId& id) const noexcept;
};

// Canonical Web Crypto spelling of a digest algorithm name matched
// case-insensitively ("sha-256" -> "SHA-256"), or empty if it is not one.
std::string_view canonical_digest_algorithm(std::string_view name);

// SPEC §2: algorithm is a Web Crypto digest name (any case) and must be SHA-256;
// value is exactly 64 lowercase hex digits. *out is written only on kOk.
Status parse_hash_id(std::string_view algorithm, std::string_view value, HashId* out);

// Parses 64 lowercase hex digits (the value alone).
Status parse_hash_hex(std::string_view value, HashId* out);

// Subresource Integrity metadata ("sha384-... sha256-abc=?opt"): picks the first
// well-formed sha256 token. kInvalidIntegrity if there is none.
Status parse_integrity(std::string_view integrity, HashId* out);

std::string to_hex(const uint8_t* bytes, size_t length);
std::string base64_encode(const uint8_t* bytes, size_t length);
// Standard or URL-safe alphabet, padding optional. Returns false on bad input.
bool base64_decode(std::string_view text, std::string* out);

}  // namespace cosp
