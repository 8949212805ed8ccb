// Hash ids: SPEC §2 validation of {algorithm, value}, hex and SRI (base64) forms.
#include "hash_id.h"

#include <cstring>

namespace cosp {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Web Crypto's registered digest names (WebCryptoAPI "digest" operation).
constexpr std::string_view kDigestNames[] = {"SHA-1", "SHA-256", "SHA-384", "SHA-512"};

char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is refused on purpose: SPEC §2 wants lowercase only
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

bool is_sri_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

}  // namespace

std::string HashId::hex() const { return to_hex(digest.data(), digest.size()); }

std::string HashId::sri() const { return "sha256-" + base64_encode(digest.data(), digest.size()); }

size_t HashIdHash::operator()(const HashId& id) const noexcept {
  // The digest is already uniformly distributed: its first word is a perfect hash.
  size_t h;
  std::memcpy(&h, id.digest.data(), sizeof h);
  return h;
}

std::string_view canonical_digest_algorithm(std::string_view name) {
  for (std::string_view known : kDigestNames) {
    if (known.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = ascii_upper(name[i]) == known[i];
    if (same) return known;
  }
  return {};
}

Status parse_hash_hex(std::string_view value, HashId* out) {
  if (value.size() != kSha256HexChars) return Status::kInvalidHashValue;
  Digest digest;
  for (size_t i = 0; i < kSha256DigestBytes; ++i) {
    int hi = hex_value(value[2 * i]);
    int lo = hex_value(value[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::kInvalidHashValue;
    digest[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (out) out->digest = digest;
  return Status::kOk;
}

Status parse_hash_id(std::string_view algorithm, std::string_view value, HashId* out) {
  std::string_view canonical = canonical_digest_algorithm(algorithm);
  if (canonical.empty()) return Status::kInvalidAlgorithm;
  if (canonical != "SHA-256") return Status::kUnsupportedAlgorithm;
  return parse_hash_hex(value, out);
}

Status parse_integrity(std::string_view integrity, HashId* out) {
  // SRI metadata is whitespace-separated "alg-base64[?options]" tokens; unknown
  // algorithms and malformed tokens are skipped, as browsers do.
  size_t i = 0;
  while (i < integrity.size()) {
    while (i < integrity.size() && is_sri_space(integrity[i])) ++i;
    size_t start = i;
    while (i < integrity.size() && !is_sri_space(integrity[i])) ++i;
    std::string_view token = integrity.substr(start, i - start);
    if (token.size() < 7) continue;
    std::string prefix(token.substr(0, 7));
    for (char& c : prefix) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (prefix != "sha256-") continue;
    std::string_view b64 = token.substr(7);
    if (size_t q = b64.find('?'); q != std::string_view::npos) b64 = b64.substr(0, q);
    std::string bytes;
    if (!base64_decode(b64, &bytes) || bytes.size() != kSha256DigestBytes) continue;
    if (out) std::memcpy(out->digest.data(), bytes.data(), kSha256DigestBytes);
    return Status::kOk;
  }
  return Status::kInvalidIntegrity;
}

std::string to_hex(const uint8_t* bytes, size_t length) {
  std::string hex(length * 2, '\0');
  for (size_t i = 0; i < length; ++i) {
    hex[2 * i] = kHexDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
  return hex;
}

std::string base64_encode(const uint8_t* bytes, size_t length) {
  std::string out;
  out.reserve((length + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < length; i += 3) {
    uint32_t v = uint32_t{bytes[i]} << 16 | uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  if (i < length) {
    uint32_t v = uint32_t{bytes[i]} << 16 | (i + 1 < length ? uint32_t{bytes[i + 1]} << 8 : 0);
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += (i + 1 < length) ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view text, std::string* out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = base64_value(c);
    if (v < 0) return false;
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, otherwise two spellings would decode to one digest.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return false;
  if (out) *out = std::move(bytes);
  return true;
}

}  // namespace cosp
