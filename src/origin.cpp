// Web origins: the WHATWG URL standard's host parser (domains through IDNA ToASCII with
// our own RFC 3492 Punycode, IPv4, IPv6) and tuple-origin derivation. See origin.h.
//
// Limits (by design; the JS layer first canonicalises every origin with the browser's
// own URL parser, so the core only has to agree with it on already-canonical input):
// - IDNA: UTF-8 decode, ASCII lowercasing plus the common simple case mappings below
//   (Latin-1, Latin Extended-A and Additional, Greek, Cyrillic, Armenian, fullwidth
//   forms, ideographic full stops), then Punycode. No full UTS#46 mapping table, no NFC,
//   no Bidi/ContextJ rules; ZWJ/ZWNJ, C1 controls, private use and U+FFFD are refused.
// - DNS lengths are enforced (label <= 63, host <= 253 without a trailing dot) although
//   WHATWG does not enforce them; such hosts cannot be resolved anyway.
#include "origin.h"

#include <cstddef>
#include <vector>

namespace cosp {
namespace {

constexpr size_t kMaxInputBytes = 2048;
constexpr size_t kMaxLabelBytes = 63;
constexpr size_t kMaxHostBytes = 253;

bool is_ascii_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_ascii_digit(unsigned char c) { return c >= '0' && c <= '9'; }
char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 0x20) : c; }

int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// WHATWG "forbidden domain code point" (ASCII only; non-ASCII never reaches the check).
bool is_forbidden_domain_byte(unsigned char c) {
  if (c <= 0x20 || c == 0x7F) return true;  // C0 controls, space, DEL
  switch (c) {
    case '#': case '%': case '/': case ':': case '<': case '>': case '?':
    case '@': case '[': case '\\': case ']': case '^': case '|':
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------- Punycode (RFC 3492)

constexpr uint32_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700;
constexpr uint32_t kInitialBias = 72, kInitialN = 128;

uint32_t adapt_bias(uint32_t delta, uint32_t num_points, bool first_time) {
  delta = first_time ? delta / kDamp : delta / 2;
  delta += delta / num_points;
  uint32_t k = 0;
  while (delta > ((kBase - kTMin) * kTMax) / 2) {
    delta /= kBase - kTMin;
    k += kBase;
  }
  return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
}

uint32_t threshold(uint32_t k, uint32_t bias) {
  if (k <= bias) return kTMin;
  if (k >= bias + kTMax) return kTMax;
  return k - bias;
}

char encode_digit(uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); }

int decode_digit(unsigned char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '0' && c <= '9') return c - '0' + 26;
  return -1;  // labels are lowercased before decoding
}

// Appends the Punycode form of `cps` to *out; false on arithmetic overflow.
// Quadratic in the label length, which callers bound to kMaxLabelBytes first.
bool punycode_encode(const std::vector<uint32_t>& cps, std::string* out) {
  size_t basic = 0;
  for (uint32_t cp : cps) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
      ++basic;
    }
  }
  if (basic > 0) out->push_back('-');
  uint32_t n = kInitialN, delta = 0, bias = kInitialBias;
  size_t handled = basic;
  while (handled < cps.size()) {
    uint32_t m = UINT32_MAX;
    for (uint32_t cp : cps) {
      if (cp >= n && cp < m) m = cp;
    }
    const uint64_t step = static_cast<uint64_t>(m - n) * (handled + 1);
    if (step > UINT32_MAX - delta) return false;
    delta += static_cast<uint32_t>(step);
    n = m;
    for (uint32_t cp : cps) {
      if (cp < n && ++delta == 0) return false;
      if (cp != n) continue;
      uint32_t q = delta;
      for (uint32_t k = kBase;; k += kBase) {
        const uint32_t t = threshold(k, bias);
        if (q < t) break;
        out->push_back(encode_digit(t + (q - t) % (kBase - t)));
        q = (q - t) / (kBase - t);
      }
      out->push_back(encode_digit(q));
      bias = adapt_bias(delta, static_cast<uint32_t>(handled + 1), handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return true;
}

// Decodes the part of an "xn--" label after the prefix; false when malformed.
bool punycode_decode(std::string_view in, std::vector<uint32_t>* out) {
  const size_t delim = in.rfind('-');
  size_t pos = 0;
  if (delim != std::string_view::npos) {
    for (size_t j = 0; j < delim; ++j) out->push_back(static_cast<unsigned char>(in[j]));
    pos = delim + 1;
  }
  uint32_t n = kInitialN, i = 0, bias = kInitialBias;
  while (pos < in.size()) {
    const uint32_t old_i = i;
    uint32_t w = 1;
    for (uint32_t k = kBase;; k += kBase) {
      if (pos >= in.size()) return false;
      const int digit = decode_digit(static_cast<unsigned char>(in[pos++]));
      if (digit < 0) return false;
      const uint32_t d = static_cast<uint32_t>(digit);
      if (d > (UINT32_MAX - i) / w) return false;
      i += d * w;
      const uint32_t t = threshold(k, bias);
      if (d < t) break;
      if (w > UINT32_MAX / (kBase - t)) return false;
      w *= kBase - t;
    }
    const uint32_t len = static_cast<uint32_t>(out->size() + 1);
    bias = adapt_bias(i - old_i, len, old_i == 0);
    if (i / len > UINT32_MAX - n) return false;
    n += i / len;
    i %= len;
    if (n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF)) return false;
    out->insert(out->begin() + i, n);
    ++i;
  }
  return true;
}

// ---------------------------------------------------------------- IDNA ToASCII (subset)

// Strict UTF-8 decode (no overlongs, surrogates or values past U+10FFFF). WHATWG would
// substitute U+FFFD, which IDNA then refuses, so failing here is equivalent.
bool utf8_decode(std::string_view in, std::vector<uint32_t>* out) {
  size_t i = 0;
  while (i < in.size()) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    uint32_t cp;
    size_t extra;
    uint32_t min;
    if (c < 0x80) {
      out->push_back(c);
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      cp = c & 0x1F, extra = 1, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      cp = c & 0x0F, extra = 2, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      cp = c & 0x07, extra = 3, min = 0x10000;
    } else {
      return false;
    }
    if (in.size() - i <= extra) return false;
    for (size_t j = 1; j <= extra; ++j) {
      const unsigned char cc = static_cast<unsigned char>(in[i + j]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out->push_back(cp);
    i += extra + 1;
  }
  return true;
}

// Appends the IDNA-mapped form of one code point; false when it is refused. Every
// output is a fixed point of this function (needed for idempotent parsing).
bool map_code_point(uint32_t cp, std::vector<uint32_t>* out) {
  auto put = [out](uint32_t v) {
    out->push_back(v);
    return true;
  };
  if (cp < 0x80) return put(static_cast<unsigned char>(ascii_lower(static_cast<char>(cp))));
  if (cp <= 0x9F) return false;                                       // C1 controls
  if (cp == 0xAD || cp == 0x200B || cp == 0xFEFF) return true;        // ignored
  if (cp == 0x200C || cp == 0x200D) return false;                     // ContextJ unchecked
  if (cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A)) return put(' ');
  if (cp == 0x2028 || cp == 0x2029) return false;
  if (cp == 0x3002 || cp == 0xFF0E || cp == 0xFF61) return put('.');  // full stops
  if (cp >= 0xFF01 && cp <= 0xFF5E) return map_code_point(cp - 0xFEE0, out);  // fullwidth
  if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000) return false;  // private use
  if (cp == 0xFFFD || (cp & 0xFFFE) == 0xFFFE || (cp >= 0xFDD0 && cp <= 0xFDEF)) return false;
  // Latin-1 Supplement.
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return put(cp + 0x20);
  if (cp == 0xAA) return put('a');
  if (cp == 0xBA) return put('o');
  if (cp == 0xB5) return put(0x3BC);
  // Latin Extended-A: mostly upper/lower pairs, a few irregular ones.
  if (cp >= 0x100 && cp <= 0x17F) {
    switch (cp) {
      case 0x130: put('i'); return put(0x307);
      case 0x131: case 0x138: return put(cp);
      case 0x132: case 0x133: put('i'); return put('j');
      case 0x13F: case 0x140: put('l'); return put(0xB7);
      case 0x149: put(0x2BC); return put('n');
      case 0x178: return put(0xFF);
      case 0x17F: return put('s');
      default: break;
    }
    const bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (odd_upper) return put((cp & 1) ? cp + 1 : cp);
    return put((cp & 1) ? cp : cp + 1);
  }
  // Greek.
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return put(cp + 0x20);
  if (cp == 0x386) return put(0x3AC);
  if (cp >= 0x388 && cp <= 0x38A) return put(cp + 0x25);
  if (cp == 0x38C) return put(0x3CC);
  if (cp == 0x38E || cp == 0x38F) return put(cp + 0x3F);
  // Cyrillic.
  if (cp >= 0x400 && cp <= 0x40F) return put(cp + 0x50);
  if (cp >= 0x410 && cp <= 0x42F) return put(cp + 0x20);
  if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF)) {
    return put((cp & 1) ? cp : cp + 1);
  }
  // Armenian.
  if (cp >= 0x531 && cp <= 0x556) return put(cp + 0x30);
  // Latin Extended Additional (Vietnamese and others).
  if ((cp >= 0x1E00 && cp <= 0x1E95) || (cp >= 0x1EA0 && cp <= 0x1EFF)) {
    return put((cp & 1) ? cp : cp + 1);
  }
  if (cp == 0x1E9E) {
    put('s');
    return put('s');
  }
  return put(cp);
}

bool is_fixed_point(uint32_t cp) {
  std::vector<uint32_t> mapped;
  return map_code_point(cp, &mapped) && mapped.size() == 1 && mapped[0] == cp;
}

// An existing "xn--" label must decode to a non-ASCII label that is already mapped and
// that encodes back to exactly the same text (so one host has one serialisation).
bool valid_ace_label(std::string_view label) {
  std::vector<uint32_t> cps;
  if (!punycode_decode(label.substr(4), &cps) || cps.empty()) return false;
  bool non_ascii = false;
  for (uint32_t cp : cps) {
    if (cp >= 0x80) non_ascii = true;
    if (cp == '.' || !is_fixed_point(cp)) return false;
  }
  if (!non_ascii) return false;
  std::string again = "xn--";
  return punycode_encode(cps, &again) && again == label;
}

bool starts_with_ace(const std::vector<uint32_t>& label) {
  return label.size() >= 4 && label[0] == 'x' && label[1] == 'n' && label[2] == '-' &&
         label[3] == '-';
}

// One mapped label to ASCII (appended to *out).
bool label_to_ascii(const std::vector<uint32_t>& label, std::string* out) {
  bool ascii = true;
  for (uint32_t cp : label) ascii = ascii && cp < 0x80;
  if (ascii) {
    std::string text(label.begin(), label.end());
    // Over-long ACE labels fail later anyway; refusing them first bounds the decoder.
    if (starts_with_ace(label) && (label.size() > kMaxLabelBytes || !valid_ace_label(text))) {
      return false;
    }
    out->append(text);
    return true;
  }
  if (starts_with_ace(label)) return false;  // ACE prefix with non-ASCII text
  // Every code point becomes at least one output byte: refuse hopeless labels early,
  // which also bounds the quadratic encoder.
  if (label.size() + 4 > kMaxLabelBytes) return false;
  out->append("xn--");
  return punycode_encode(label, out);
}

// WHATWG "domain to ASCII" with the limits described at the top of this file.
bool domain_to_ascii(std::string_view domain, std::string* out) {
  bool ascii = true;
  for (char c : domain) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  std::vector<uint32_t> cps;
  cps.reserve(domain.size());
  if (ascii) {
    for (char c : domain) cps.push_back(static_cast<unsigned char>(ascii_lower(c)));
  } else {
    std::vector<uint32_t> decoded;
    if (!utf8_decode(domain, &decoded)) return false;
    for (uint32_t cp : decoded) {
      if (!map_code_point(cp, &cps)) return false;
    }
  }
  if (cps.empty()) return false;
  std::vector<uint32_t> label;
  for (size_t i = 0; i <= cps.size(); ++i) {
    if (i == cps.size() || cps[i] == '.') {
      if (!label_to_ascii(label, out)) return false;
      if (i != cps.size()) out->push_back('.');
      label.clear();
    } else {
      label.push_back(cps[i]);
    }
  }
  return true;
}

bool check_dns_lengths(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.size() > kMaxHostBytes) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = host.find('.', start);
    const size_t end = dot == std::string_view::npos ? host.size() : dot;
    if (end - start > kMaxLabelBytes) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// ---------------------------------------------------------------- IPv4

// WHATWG "IPv4 number parser": decimal, 0x hex, 0-prefixed octal; values past 2^32 are
// clamped (they fail later) so long digit strings cannot overflow.
bool parse_ipv4_number(std::string_view s, uint64_t* value) {
  if (s.empty()) return false;
  uint32_t radix = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    radix = 16;
  } else if (s.size() >= 2 && s[0] == '0') {
    s.remove_prefix(1);
    radix = 8;
  }
  uint64_t v = 0;
  for (char c : s) {
    const int d = hex_value(static_cast<unsigned char>(c));
    if (d < 0 || static_cast<uint32_t>(d) >= radix) return false;
    v = v * radix + static_cast<uint32_t>(d);
    if (v > 0xFFFFFFFFull) v = 0x100000000ull;
  }
  *value = v;
  return true;
}

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

// WHATWG "ends in a number": such hosts must be IPv4 addresses or nothing.
bool ends_in_number(std::string_view host) {
  std::vector<std::string_view> parts = split_dots(host);
  if (parts.back().empty()) {
    if (parts.size() == 1) return false;
    parts.pop_back();
  }
  const std::string_view last = parts.back();
  if (last.empty()) return false;
  bool digits = true;
  for (char c : last) digits = digits && is_ascii_digit(static_cast<unsigned char>(c));
  uint64_t ignored;
  return digits || parse_ipv4_number(last, &ignored);
}

bool parse_ipv4(std::string_view host, std::string* out) {
  std::vector<std::string_view> parts = split_dots(host);
  if (parts.back().empty() && parts.size() > 1) parts.pop_back();
  if (parts.size() > 4) return false;
  uint64_t numbers[4];
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parse_ipv4_number(parts[i], &numbers[i])) return false;
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (numbers[i] > 255) return false;
  }
  const uint64_t limit = 1ull << (8 * (5 - parts.size()));
  if (numbers[parts.size() - 1] >= limit) return false;
  uint64_t address = numbers[parts.size() - 1];
  for (size_t i = 0; i + 1 < parts.size(); ++i) address += numbers[i] << (8 * (3 - i));
  out->clear();
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->append(std::to_string((address >> shift) & 0xFF));
    if (shift) out->push_back('.');
  }
  return true;
}

// ---------------------------------------------------------------- IPv6

bool parse_ipv6(std::string_view s, uint16_t pieces[8]) {
  for (int i = 0; i < 8; ++i) pieces[i] = 0;
  int index = 0;
  int compress = -1;
  size_t p = 0;
  auto at = [&](size_t i) -> int { return i < s.size() ? static_cast<unsigned char>(s[i]) : -1; };
  if (at(0) == ':') {
    if (at(1) != ':') return false;
    p = 2;
    compress = ++index;
  }
  while (at(p) != -1) {
    if (index == 8) return false;
    if (at(p) == ':') {
      if (compress != -1) return false;
      ++p;
      compress = ++index;
      continue;
    }
    uint32_t value = 0;
    size_t length = 0;
    while (length < 4 && at(p) != -1 && hex_value(static_cast<unsigned char>(at(p))) >= 0) {
      value = value * 16 + static_cast<uint32_t>(hex_value(static_cast<unsigned char>(at(p))));
      ++p;
      ++length;
    }
    if (at(p) == '.') {
      // Embedded IPv4: re-read this piece as the first of four decimal octets.
      if (length == 0 || index > 6) return false;
      p -= length;
      int seen = 0;
      while (at(p) != -1) {
        if (seen > 0) {
          if (at(p) != '.' || seen >= 4) return false;
          ++p;
        }
        if (at(p) == -1 || !is_ascii_digit(static_cast<unsigned char>(at(p)))) return false;
        int octet = -1;
        while (at(p) != -1 && is_ascii_digit(static_cast<unsigned char>(at(p)))) {
          const int digit = at(p) - '0';
          if (octet == 0) return false;  // no leading zeros
          octet = octet < 0 ? digit : octet * 10 + digit;
          if (octet > 255) return false;
          ++p;
        }
        pieces[index] = static_cast<uint16_t>(pieces[index] * 0x100 + octet);
        ++seen;
        if (seen == 2 || seen == 4) ++index;
      }
      if (seen != 4) return false;
      break;
    }
    if (at(p) == ':') {
      ++p;
      if (at(p) == -1) return false;
    } else if (at(p) != -1) {
      return false;
    }
    pieces[index++] = static_cast<uint16_t>(value);
  }
  if (compress != -1) {
    // Move the pieces after "::" to the end of the address.
    int moves = index - compress;
    index = 7;
    while (index != 0 && moves > 0) {
      const uint16_t tmp = pieces[index];
      pieces[index] = pieces[compress + moves - 1];
      pieces[compress + moves - 1] = tmp;
      --index;
      --moves;
    }
  } else if (index != 8) {
    return false;
  }
  return true;
}

std::string serialize_ipv6(const uint16_t pieces[8]) {
  // The first longest run of two or more zero pieces becomes "::".
  int best_start = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    if (pieces[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && pieces[j] == 0) ++j;
    if (j - i > best_len) best_start = i, best_len = j - i;
    i = j;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out = "[";
  for (int i = 0; i < 8;) {
    if (i == best_start) {
      out += "::";
      i += best_len;
      continue;
    }
    if (out.back() != '[' && out.back() != ':') out.push_back(':');
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int nibble = (pieces[i] >> shift) & 0xF;
      if (nibble || started || shift == 0) {
        out.push_back(kHex[nibble]);
        started = true;
      }
    }
    ++i;
  }
  out.push_back(']');
  return out;
}

// ---------------------------------------------------------------- hosts and URLs

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(static_cast<unsigned char>(s[i + 1])) >= 0 &&
        hex_value(static_cast<unsigned char>(s[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hex_value(static_cast<unsigned char>(s[i + 1])) * 16 +
                                      hex_value(static_cast<unsigned char>(s[i + 2]))));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// WHATWG "host parser" for special schemes.
bool parse_host(std::string_view input, std::string* host, HostKind* kind) {
  if (input.empty()) return false;
  if (input.front() == '[') {
    if (input.size() < 2 || input.back() != ']') return false;
    uint16_t pieces[8];
    if (!parse_ipv6(input.substr(1, input.size() - 2), pieces)) return false;
    *host = serialize_ipv6(pieces);
    *kind = HostKind::kIPv6;
    return true;
  }
  const std::string decoded = percent_decode(input);
  std::string ascii;
  if (!domain_to_ascii(decoded, &ascii) || ascii.empty()) return false;
  for (char c : ascii) {
    if (is_forbidden_domain_byte(static_cast<unsigned char>(c))) return false;
  }
  if (ends_in_number(ascii)) {
    if (!parse_ipv4(ascii, host)) return false;
    *kind = HostKind::kIPv4;
    return true;
  }
  if (!check_dns_lengths(ascii)) return false;
  *host = std::move(ascii);
  *kind = HostKind::kDomain;
  return true;
}

bool is_special(std::string_view scheme) { return default_port(scheme) != -1; }

// Splits an authority into host and port text at the first ':' outside brackets, after
// dropping userinfo (up to the last '@'). False when the port is not 0-65535 digits or
// when userinfo is present but the host is empty.
bool split_authority(std::string_view authority, std::string_view* host, int32_t* port) {
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
    if (authority.empty()) return false;
  }
  size_t colon = std::string_view::npos;
  bool in_brackets = false;
  for (size_t i = 0; i < authority.size(); ++i) {
    if (authority[i] == '[') in_brackets = true;
    if (authority[i] == ']') in_brackets = false;
    if (authority[i] == ':' && !in_brackets) {
      colon = i;
      break;
    }
  }
  *host = authority.substr(0, colon);
  *port = -1;
  if (colon == std::string_view::npos) return true;
  if (colon == 0) return false;  // a port with no host
  const std::string_view port_text = authority.substr(colon + 1);
  uint32_t value = 0;
  for (char c : port_text) {
    if (!is_ascii_digit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
    if (value > 65535) return false;
  }
  if (!port_text.empty()) *port = static_cast<int32_t>(value);
  return true;
}

// Everything after "scheme:" of a special URL: authority, then ignored path/query/fragment.
Status parse_special(std::string scheme, std::string_view rest, Origin* out) {
  // Special URLs ignore any mix and number of slashes and backslashes before the host.
  while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.remove_prefix(1);
  std::string_view host_text;
  int32_t port = -1;
  if (!split_authority(rest.substr(0, rest.find_first_of("/\\?#")), &host_text, &port)) {
    return Status::kInvalidOrigin;
  }
  Origin origin;
  if (!parse_host(host_text, &origin.host, &origin.host_kind)) return Status::kInvalidOrigin;
  if (port == default_port(scheme)) port = -1;
  origin.scheme = std::move(scheme);
  origin.port = port;
  *out = std::move(origin);
  return Status::kOk;
}

// A non-special URL with an authority ("foo://host:port") is still a URL only if its
// opaque host and port are well formed; its origin is opaque either way.
bool valid_non_special_authority(std::string_view rest) {
  if (rest.size() < 2 || rest[0] != '/' || rest[1] != '/') return true;  // no authority
  rest.remove_prefix(2);
  std::string_view host;
  int32_t port;
  if (!split_authority(rest.substr(0, rest.find_first_of("/?#")), &host, &port)) return false;
  if (!host.empty() && host.front() == '[') {
    uint16_t pieces[8];
    return host.size() >= 2 && host.back() == ']' &&
           parse_ipv6(host.substr(1, host.size() - 2), pieces);
  }
  for (char c : host) {
    // Forbidden host code points: the domain set minus '%', C0 controls and DEL.
    const unsigned char b = static_cast<unsigned char>(c);
    if (b == '%' || (b < 0x20 && b != 0 && b != '\t' && b != '\n' && b != '\r')) continue;
    if (b != 0x7F && is_forbidden_domain_byte(b)) return false;
  }
  return true;
}

Status parse_url_origin(std::string_view input, Origin* out, bool inside_blob) {
  // Leading/trailing C0 controls and spaces are trimmed; tabs and newlines anywhere
  // are removed (WHATWG). NUL is refused outright rather than trimmed.
  while (!input.empty() && static_cast<unsigned char>(input.front()) <= 0x20) input.remove_prefix(1);
  while (!input.empty() && static_cast<unsigned char>(input.back()) <= 0x20) input.remove_suffix(1);
  std::string cleaned;
  cleaned.reserve(input.size());
  for (char c : input) {
    if (c != '\t' && c != '\n' && c != '\r') cleaned.push_back(c);
  }
  const std::string_view text = cleaned;
  if (text == "null") return Status::kOpaqueOrigin;
  // Scheme: ASCII alpha, then alphanumerics, '+', '-', '.', up to ':'.
  if (text.empty() || !is_ascii_alpha(static_cast<unsigned char>(text[0]))) {
    return Status::kInvalidOrigin;
  }
  size_t colon = 1;
  while (colon < text.size() && text[colon] != ':') {
    const unsigned char c = static_cast<unsigned char>(text[colon]);
    if (!is_ascii_alpha(c) && !is_ascii_digit(c) && c != '+' && c != '-' && c != '.') {
      return Status::kInvalidOrigin;
    }
    ++colon;
  }
  if (colon == text.size()) return Status::kInvalidOrigin;
  std::string scheme(text.substr(0, colon));
  for (char& c : scheme) c = ascii_lower(c);
  const std::string_view rest = text.substr(colon + 1);
  if (is_special(scheme)) return parse_special(std::move(scheme), rest, out);
  if (!valid_non_special_authority(rest)) return Status::kInvalidOrigin;
  if (scheme == "blob" && !inside_blob) {
    // A blob URL's origin is its inner URL's when that is http(s); else opaque. The
    // outer parser percent-encodes C0 controls in the path, so the inner one sees %XX.
    std::string inner_text;
    for (char c : rest) {
      const unsigned char b = static_cast<unsigned char>(c);
      if (b < 0x20) {
        static const char kHex[] = "0123456789ABCDEF";
        inner_text += '%';
        inner_text += kHex[b >> 4];
        inner_text += kHex[b & 0xF];
      } else {
        inner_text += c;
      }
    }
    Origin inner;
    if (parse_url_origin(inner_text, &inner, true) == Status::kOk &&
        (inner.scheme == "http" || inner.scheme == "https")) {
      *out = std::move(inner);
      return Status::kOk;
    }
  }
  return Status::kOpaqueOrigin;  // data:, file:, javascript:, about:, unknown schemes
}

}  // namespace

std::string Origin::serialize() const {
  std::string out = scheme;
  out += "://";
  out += host;
  if (port != -1) {
    out.push_back(':');
    out += std::to_string(port);
  }
  return out;
}

bool parse_canonical_origin(std::string_view input, Origin* out) {
  // Kept apart from parse_origin and small: during a Wasm cold start it runs once per
  // distinct origin name without making V8 tier up (compile) the full parser.
  size_t host_start;
  int32_t default_port_value;
  if (input.substr(0, 8) == "https://") {
    host_start = 8;
    default_port_value = 443;
  } else if (input.substr(0, 7) == "http://") {
    host_start = 7;
    default_port_value = 80;
  } else {
    return false;
  }
  size_t i = host_start;
  size_t label_start = i;
  for (; i < input.size() && input[i] != ':'; ++i) {
    const char c = input[i];
    if (c == '.') {
      if (i == label_start || i - label_start > kMaxLabelBytes) return false;  // empty, long
      label_start = i + 1;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
    // An ACE label needs Punycode validation: the full parser's job.
    if (i == label_start + 3 && input.substr(label_start, 4) == "xn--") return false;
  }
  const size_t host_end = i;
  // Last label: non-empty (no trailing dot), within DNS limits, and not starting with a
  // digit, so the host can be neither an IPv4 address nor "ends in a number" (WHATWG).
  if (host_end == label_start || host_end - label_start > kMaxLabelBytes) return false;
  if (host_end - host_start > kMaxHostBytes) return false;
  if (input[label_start] >= '0' && input[label_start] <= '9') return false;
  int32_t port = -1;
  if (host_end < input.size()) {  // ':' then the port, canonical: no sign, no leading zero
    const std::string_view digits = input.substr(host_end + 1);
    if (digits.empty() || digits.size() > 5 || (digits[0] == '0' && digits.size() > 1)) {
      return false;
    }
    int32_t value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 65535 || value == default_port_value) return false;
    port = value;
  }
  out->scheme.assign(input.substr(0, host_start - 3));
  out->host.assign(input.substr(host_start, host_end - host_start));
  out->port = port;
  out->host_kind = HostKind::kDomain;
  return true;
}

int32_t default_port(std::string_view scheme) {
  if (iequals(scheme, "http") || iequals(scheme, "ws")) return 80;
  if (iequals(scheme, "https") || iequals(scheme, "wss")) return 443;
  if (iequals(scheme, "ftp")) return 21;
  return -1;
}

Status parse_origin(std::string_view input, Origin* out) {
  if (out == nullptr || input.size() > kMaxInputBytes) return Status::kInvalidOrigin;
  if (input.find('\0') != std::string_view::npos) return Status::kInvalidOrigin;
  return parse_url_origin(input, out, false);
}

}  // namespace cosp
