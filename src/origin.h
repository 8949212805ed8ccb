// Web origins: parse a URL or origin string the way the WHATWG URL standard derives
// a tuple origin (scheme, host, port) and serialise it. Opaque origins are refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "status.h"

namespace cosp {

enum class HostKind : int32_t { kDomain = 0, kIPv4 = 1, kIPv6 = 2 };

struct Origin {
  std::string scheme;  // lowercase: http, https, ws, wss or ftp
  std::string host;    // ASCII: lowercase domain (punycode), dotted IPv4, or "[v6]"
  int32_t port = -1;   // -1 when it is the scheme's default port (never serialised)
  HostKind host_kind = HostKind::kDomain;

  // "https://example.com", "http://127.0.0.1:8080", "https://[::1]".
  std::string serialize() const;
  bool operator==(const Origin& o) const {
    return scheme == o.scheme && host == o.host && port == o.port;
  }
  bool operator!=(const Origin& o) const { return !(*this == o); }
};

// Accepts an absolute URL ("https://Example.COM:443/path?q") or an origin string.
// blob: URLs take the origin of their inner http(s) URL. data:, file:, "null",
// javascript:, about: and other non-special schemes are kOpaqueOrigin; anything that
// does not parse is kInvalidOrigin. *out is written only on kOk.
Status parse_origin(std::string_view input, Origin* out);

// A cheap path for origin names the index serialised itself (journal replay): true only
// when `input` is exactly the serialisation of an http or https origin with an ASCII
// domain host ("https://a.example.com", "http://example.org:8080"), and then *out is
// what parse_origin gives for it. Anything else (uppercase, other schemes, IP literals,
// default or zero-padded ports, trailing dots, empty labels, "xn--" labels, a last label
// starting with a digit, userinfo, paths, over-long labels or hosts) is false and *out
// untouched: callers then use parse_origin, so old or hostile data parses as before.
bool parse_canonical_origin(std::string_view input, Origin* out);

// The default port of a special scheme, or -1.
int32_t default_port(std::string_view scheme);

}  // namespace cosp
