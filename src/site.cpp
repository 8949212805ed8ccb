// Sites: Public Suffix List lookups over the table compiled by tools/gen_psl.mjs, and
// schemeful same-site (scheme plus registrable domain). See site.h.
//
// Conventions (documented in tests/cpp/site_test.cpp too):
// - A trailing dot is ignored for matching and kept in the result, as WHATWG does:
//   public_suffix("a.example.com.") == "com.", registrable_domain(..) == "example.com.",
//   so "example.com." and "example.com" are different sites (their hosts differ too).
// - Hosts with an empty label ("a..com", ".com") have no registrable domain and are
//   their own public suffix; IP literals have neither (empty results).
// - Matching is ASCII case-insensitive; results are substrings of the input.
#include "site.h"

#include <cstdint>

namespace cosp {
namespace {

#include "psl_table.inc"

constexpr uint8_t kRule = 1;       // "key" is listed
constexpr uint8_t kWildcard = 2;   // "*.key" is listed
constexpr uint8_t kException = 4;  // "!key" is listed

std::string_view psl_key(uint32_t i) {
  return std::string_view(kPslBlob + kPslOffsets[i], kPslOffsets[i + 1] - kPslOffsets[i]);
}

// Flags of an exact key, 0 when absent: one binary search over the sorted keys.
uint8_t psl_flags(std::string_view key) {
  uint32_t lo = 0, hi = kPslCount;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    const int c = psl_key(mid).compare(key);
    if (c < 0) {
      lo = mid + 1;
    } else if (c > 0) {
      hi = mid;
    } else {
      return kPslFlags[mid];
    }
  }
  return 0;
}

// Start of the label that ends just before position `end` (a dot or the string's end).
size_t label_start(std::string_view name, size_t end) {
  if (end == 0) return 0;
  const size_t dot = name.rfind('.', end - 1);
  return dot == std::string_view::npos ? 0 : dot + 1;
}

// Byte length of the public suffix of `name` (lowercase, no trailing dot, no empty
// labels): the longest matching rule, an exception rule prevailing over all others,
// and the implicit "*" rule when nothing matches.
size_t suffix_length(std::string_view name) {
  size_t best = 0;
  size_t exception = 0;
  size_t shorter_start = name.size();  // start of the previous, one-label-shorter key
  for (size_t start = label_start(name, name.size());; start = label_start(name, start - 1)) {
    const std::string_view key = name.substr(start);
    const uint8_t flags = psl_flags(key);
    if (flags & kException) exception = name.size() - shorter_start;
    if ((flags & kRule) && key.size() > best) best = key.size();
    if ((flags & kWildcard) && start > 0) {
      const size_t wider = name.size() - label_start(name, start - 1);
      if (wider > best) best = wider;
    }
    if (start == 0) break;
    shorter_start = start;
  }
  if (exception > 0) return exception;
  if (best > 0) return best;
  return name.size() - label_start(name, name.size());
}

enum class HostShape { kEmpty, kIp, kEmptyLabel, kDomain };

// Splits off one trailing dot and classifies the rest; *name is lowercased.
HostShape classify(std::string_view host, std::string* name) {
  if (host.empty()) return HostShape::kEmpty;
  // A serialised IPv6 literal: bracketed, no dots (embedded IPv4 is serialised as hex).
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']' &&
      host.find('.') == std::string_view::npos) {
    return HostShape::kIp;
  }
  std::string_view bare = host;
  if (bare.back() == '.') bare.remove_suffix(1);
  if (bare.empty() || bare.front() == '.' || bare.back() == '.' ||
      bare.find("..") != std::string_view::npos) {
    return HostShape::kEmptyLabel;
  }
  // A valid domain never ends in a number (WHATWG), so this is an IPv4 address.
  const std::string_view last = bare.substr(label_start(bare, bare.size()));
  bool digits = true;
  for (char c : last) digits = digits && c >= '0' && c <= '9';
  if (digits) return HostShape::kIp;
  name->assign(bare);
  for (char& c : *name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 0x20);
  }
  return HostShape::kDomain;
}

}  // namespace

std::string public_suffix(std::string_view host) {
  std::string name;
  switch (classify(host, &name)) {
    case HostShape::kEmpty:
    case HostShape::kIp:
      return std::string();
    case HostShape::kEmptyLabel:
      return std::string(host);
    case HostShape::kDomain:
      break;
  }
  // The result runs to the end of `host`, so a trailing dot is kept.
  return std::string(host.substr(name.size() - suffix_length(name)));
}

std::string registrable_domain(std::string_view host) {
  std::string name;
  if (classify(host, &name) != HostShape::kDomain) return std::string();
  const size_t suffix = suffix_length(name);
  if (suffix >= name.size()) return std::string();
  return std::string(host.substr(label_start(name, name.size() - suffix - 1)));
}

std::string site_of(const Origin& origin) {
  std::string site = origin.scheme;
  site += "://";
  std::string domain;
  if (origin.host_kind == HostKind::kDomain) domain = registrable_domain(origin.host);
  site += domain.empty() ? origin.host : domain;
  return site;
}

bool is_same_site(const Origin& a, const Origin& b) {
  return a.scheme == b.scheme && site_of(a) == site_of(b);
}

}  // namespace cosp
