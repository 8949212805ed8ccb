// The Wasm module's one EMSCRIPTEN_BINDINGS block: conversions only, no logic.
// Value types in, value types out; a status code instead of exceptions.
#include <emscripten/bind.h>

#include <string>

#include "hash_id.h"
#include "origin.h"
#include "sha256_stream.h"
#include "site.h"
#include "status.h"

using namespace emscripten;

// Defined by bindings/index.cpp (the index and journal); empty until that lands.
__attribute__((weak)) void cos_bind_index() {}

namespace {

// JS copies each chunk here (one HEAPU8.set) and calls update(length), so hashing
// a file of any size needs no heap growth and no per-chunk allocation.
constexpr size_t kInputBufferBytes = 1 << 20;
alignas(16) uint8_t g_input[kInputBufferBytes];

uintptr_t input_buffer() { return reinterpret_cast<uintptr_t>(g_input); }
size_t input_buffer_bytes() { return kInputBufferBytes; }

class Sha256StreamBinding {
 public:
  void update_from_input(size_t length) {
    if (length > kInputBufferBytes) length = kInputBufferBytes;
    stream_.update(g_input, length);
  }
  std::string digest_hex() {
    cosp::Digest d = stream_.finish();
    return cosp::to_hex(d.data(), d.size());
  }
  void reset() { stream_.reset(); }
  double bytes_hashed() const { return static_cast<double>(stream_.bytes_hashed()); }

 private:
  cosp::Sha256Stream stream_;
};

struct HashIdResult {
  bool ok = false;
  int32_t status = 0;
  std::string algorithm;
  std::string value;
};

HashIdResult parse_hash_id(const std::string& algorithm, const std::string& value) {
  HashIdResult r;
  cosp::HashId id;
  r.status = static_cast<int32_t>(cosp::parse_hash_id(algorithm, value, &id));
  r.ok = r.status == 0;
  if (r.ok) {
    r.algorithm = "SHA-256";
    r.value = id.hex();
  }
  return r;
}

HashIdResult parse_integrity(const std::string& integrity) {
  HashIdResult r;
  cosp::HashId id;
  r.status = static_cast<int32_t>(cosp::parse_integrity(integrity, &id));
  r.ok = r.status == 0;
  if (r.ok) {
    r.algorithm = "SHA-256";
    r.value = id.hex();
  }
  return r;
}

std::string hex_to_integrity(const std::string& hex) {
  cosp::HashId id;
  if (cosp::parse_hash_hex(hex, &id) != cosp::Status::kOk) return "";
  return id.sri();
}

struct OriginResult {
  bool ok = false;
  int32_t status = 0;
  std::string origin;  // serialised
  std::string scheme;
  std::string host;
  int32_t port = -1;
  std::string site;
};

OriginResult parse_origin(const std::string& input) {
  OriginResult r;
  cosp::Origin o;
  r.status = static_cast<int32_t>(cosp::parse_origin(input, &o));
  r.ok = r.status == 0;
  if (r.ok) {
    r.origin = o.serialize();
    r.scheme = o.scheme;
    r.host = o.host;
    r.port = o.port;
    r.site = cosp::site_of(o);
  }
  return r;
}

std::string site_of(const std::string& input) {
  cosp::Origin o;
  if (cosp::parse_origin(input, &o) != cosp::Status::kOk) return "";
  return cosp::site_of(o);
}

bool is_same_site(const std::string& a, const std::string& b) {
  cosp::Origin oa, ob;
  if (cosp::parse_origin(a, &oa) != cosp::Status::kOk) return false;
  if (cosp::parse_origin(b, &ob) != cosp::Status::kOk) return false;
  return cosp::is_same_site(oa, ob);
}

std::string status_name(int32_t s) { return cosp::status_name(static_cast<cosp::Status>(s)); }
std::string status_message(int32_t s) { return cosp::status_message(static_cast<cosp::Status>(s)); }

}  // namespace

EMSCRIPTEN_BINDINGS(cos_core) {
  enum_<cosp::Status>("Status")
      .value("Ok", cosp::Status::kOk)
      .value("InvalidAlgorithm", cosp::Status::kInvalidAlgorithm)
      .value("UnsupportedAlgorithm", cosp::Status::kUnsupportedAlgorithm)
      .value("InvalidHashValue", cosp::Status::kInvalidHashValue)
      .value("InvalidOrigin", cosp::Status::kInvalidOrigin)
      .value("OpaqueOrigin", cosp::Status::kOpaqueOrigin)
      .value("TooManyOrigins", cosp::Status::kTooManyOrigins)
      .value("InvalidIntegrity", cosp::Status::kInvalidIntegrity)
      .value("NotFound", cosp::Status::kNotFound)
      .value("NotAllowed", cosp::Status::kNotAllowed)
      .value("DataMismatch", cosp::Status::kDataMismatch)
      .value("QuotaExceeded", cosp::Status::kQuotaExceeded)
      .value("InvalidState", cosp::Status::kInvalidState)
      .value("Corrupt", cosp::Status::kCorrupt);
  function("statusName", &status_name);
  function("statusMessage", &status_message);

  class_<Sha256StreamBinding>("Sha256StreamRaw")
      .constructor<>()
      .function("updateFromInput", &Sha256StreamBinding::update_from_input)
      .function("digestHex", &Sha256StreamBinding::digest_hex)
      .function("reset", &Sha256StreamBinding::reset)
      .function("bytesHashed", &Sha256StreamBinding::bytes_hashed);
  function("inputBuffer", &input_buffer);
  function("inputBufferBytes", &input_buffer_bytes);

  value_object<HashIdResult>("HashIdResult")
      .field("ok", &HashIdResult::ok)
      .field("status", &HashIdResult::status)
      .field("algorithm", &HashIdResult::algorithm)
      .field("value", &HashIdResult::value);
  function("parseHashIdRaw", &parse_hash_id);
  function("parseIntegrity", &parse_integrity);
  function("hexToIntegrity", &hex_to_integrity);

  value_object<OriginResult>("OriginResult")
      .field("ok", &OriginResult::ok)
      .field("status", &OriginResult::status)
      .field("origin", &OriginResult::origin)
      .field("scheme", &OriginResult::scheme)
      .field("host", &OriginResult::host)
      .field("port", &OriginResult::port)
      .field("site", &OriginResult::site);
  function("parseOrigin", &parse_origin);
  function("siteOfRaw", &site_of);
  function("isSameSite", &is_same_site);

  cos_bind_index();
}
