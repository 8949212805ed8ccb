// libFuzzer target: public_suffix / registrable_domain on arbitrary host bytes.
// Properties: results are label-aligned suffixes of the input, the registrable domain
// is exactly one label longer than the public suffix and is its own registrable domain.
// (public_suffix(public_suffix(h)) may differ: "!city.kawasaki.jp" gives "kawasaki.jp",
// whose own suffix is "jp".)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "site.h"

namespace {

bool is_label_aligned_suffix(std::string_view whole, std::string_view part) {
  if (part.size() > whole.size()) return false;
  if (whole.substr(whole.size() - part.size()) != part) return false;
  return part.size() == whole.size() || part.empty() || whole[whole.size() - part.size() - 1] == '.';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view host(reinterpret_cast<const char*>(data), size);
  const std::string suffix = cosp::public_suffix(host);
  const std::string domain = cosp::registrable_domain(host);
  if (!is_label_aligned_suffix(host, suffix)) __builtin_trap();
  if (!is_label_aligned_suffix(host, domain)) __builtin_trap();
  if (!domain.empty()) {
    // One more label than the suffix, and the suffix of the domain is the same suffix.
    if (domain.size() <= suffix.size() + 1) __builtin_trap();
    if (!is_label_aligned_suffix(domain, suffix)) __builtin_trap();
    if (domain.substr(0, domain.size() - suffix.size() - 1).find('.') != std::string::npos) {
      __builtin_trap();
    }
    if (cosp::registrable_domain(domain) != domain) __builtin_trap();
    if (cosp::public_suffix(domain) != suffix) __builtin_trap();
  }
  return 0;
}
