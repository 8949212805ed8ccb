// libFuzzer target: parse_origin on arbitrary bytes. Properties: never crashes; a parsed
// origin's serialisation parses back to the same origin; site_of is a suffix-shaped view.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "origin.h"
#include "site.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "origin_fuzz: property violated: %s\n", what);
  std::abort();  // libFuzzer saves the input that got here
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The replay's cheap path never disagrees with the full parser.
  cosp::Origin fast;
  if (cosp::parse_canonical_origin(input, &fast)) {
    cosp::Origin full;
    if (cosp::parse_origin(input, &full) != cosp::Status::kOk) fail("fast path took an invalid origin");
    if (fast != full || fast.host_kind != full.host_kind) fail("fast path differs");
    if (fast.serialize() != input) fail("fast path took a non-canonical origin");
  }
  cosp::Origin origin;
  origin.host = "untouched";
  const cosp::Status status = cosp::parse_origin(input, &origin);
  if (status != cosp::Status::kOk) {
    if (status != cosp::Status::kInvalidOrigin && status != cosp::Status::kOpaqueOrigin) {
      fail("unexpected status");
    }
    if (origin.host != "untouched") fail("output written on failure");
    return 0;
  }
  // Shape of a parsed origin.
  if (origin.host.empty() || origin.scheme.empty()) fail("empty field");
  if (origin.port < -1 || origin.port > 65535) fail("port range");
  if (origin.port == cosp::default_port(origin.scheme)) fail("default port not elided");
  for (char c : origin.host) {
    const unsigned char b = static_cast<unsigned char>(c);
    if (b >= 0x80 || (b >= 'A' && b <= 'Z') || b <= 0x20) fail("host not lowercase ASCII");
  }
  // Idempotence: the serialisation is a canonical input.
  const std::string serialized = origin.serialize();
  cosp::Origin again;
  if (cosp::parse_origin(serialized, &again) != cosp::Status::kOk) fail("reparse failed");
  if (again != origin || again.host_kind != origin.host_kind) fail("reparse differs");
  if (again.serialize() != serialized) fail("serialisation differs");
  cosp::Origin fast_again;
  if (cosp::parse_canonical_origin(serialized, &fast_again) &&
      (fast_again != origin || fast_again.host_kind != origin.host_kind)) {
    fail("fast path differs on a serialisation");
  }
  // The site is "scheme://" plus a dot-aligned suffix of the host.
  const std::string site = cosp::site_of(origin);
  const std::string prefix = origin.scheme + "://";
  if (site.compare(0, prefix.size(), prefix) != 0) fail("site scheme");
  const std::string site_host = site.substr(prefix.size());
  if (site_host.empty() || site_host.size() > origin.host.size()) fail("site host size");
  if (origin.host.compare(origin.host.size() - site_host.size(), site_host.size(), site_host) != 0) {
    fail("site host is not a suffix");
  }
  if (site_host.size() < origin.host.size() &&
      origin.host[origin.host.size() - site_host.size() - 1] != '.') {
    fail("site host not label-aligned");
  }
  if (!cosp::is_same_site(origin, again)) fail("not same-site with itself");
  return 0;
}
