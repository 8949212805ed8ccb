// Tests for src/origin.cpp: WHATWG host parsing and tuple-origin derivation
// (ports, IPv4/IPv6, IDNA/Punycode, blob:, opaque and invalid inputs).
#include "origin.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cosp {
namespace {

// The serialised origin of `input`, or "<StatusName>" when it does not parse.
std::string origin_of(std::string_view input) {
  Origin origin;
  const Status status = parse_origin(input, &origin);
  if (status != Status::kOk) return std::string("<") + status_name(status) + ">";
  return origin.serialize();
}

struct Case {
  const char* input;
  const char* expected;  // serialised origin
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.input; }

class ParsesTo : public ::testing::TestWithParam<Case> {};

TEST_P(ParsesTo, SerialisedOrigin) {
  EXPECT_EQ(origin_of(GetParam().input), GetParam().expected) << GetParam().input;
}

// Serialised origins must parse back to themselves.
TEST_P(ParsesTo, SerialisationIsAFixedPoint) {
  Origin first, second;
  ASSERT_EQ(parse_origin(GetParam().input, &first), Status::kOk);
  ASSERT_EQ(parse_origin(first.serialize(), &second), Status::kOk);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.host_kind, second.host_kind);
}

INSTANTIATE_TEST_SUITE_P(SchemesAndPorts, ParsesTo, ::testing::Values(
    Case{"https://example.com", "https://example.com"},
    Case{"https://example.com/", "https://example.com"},
    Case{"http://example.com:8080", "http://example.com:8080"},
    Case{"https://example.com:443", "https://example.com"},
    Case{"http://example.com:80", "http://example.com"},
    Case{"ws://example.com:80", "ws://example.com"},
    Case{"wss://example.com:443", "wss://example.com"},
    Case{"ftp://example.com:21", "ftp://example.com"},
    Case{"https://example.com:80", "https://example.com:80"},
    Case{"http://example.com:443", "http://example.com:443"},
    Case{"https://example.com:0", "https://example.com:0"},
    Case{"https://example.com:65535", "https://example.com:65535"},
    Case{"https://example.com:00443", "https://example.com"},
    Case{"https://example.com:", "https://example.com"},
    Case{"HTTPS://example.com", "https://example.com"},
    Case{"HtTp://example.com", "http://example.com"}));

INSTANTIATE_TEST_SUITE_P(IgnoredParts, ParsesTo, ::testing::Values(
    Case{"https://Example.COM:443/path?q", "https://example.com"},
    Case{"https://user:pass@example.com/x", "https://example.com"},
    Case{"https://a@b@example.com", "https://example.com"},
    Case{"https://example.com?query", "https://example.com"},
    Case{"https://example.com#fragment", "https://example.com"},
    Case{"https://example.com:8443/a/b?c#d", "https://example.com:8443"},
    Case{"https:example.com", "https://example.com"},
    Case{"https:\\\\example.com\\path", "https://example.com"},
    Case{"https:///example.com", "https://example.com"},
    Case{"  https://example.com  ", "https://example.com"},
    Case{"https://exa\tmple.com", "https://example.com"},
    Case{"https://exa\nmple.com", "https://example.com"}));

INSTANTIATE_TEST_SUITE_P(Hosts, ParsesTo, ::testing::Values(
    Case{"https://EXAMPLE.COM", "https://example.com"},
    Case{"https://WwW.ExAmPlE.CoM", "https://www.example.com"},
    Case{"https://example.com.", "https://example.com."},
    Case{"https://a..b", "https://a..b"},
    Case{"https://ex%61mple.com", "https://example.com"},
    Case{"https://a%2Eb.com", "https://a.b.com"},
    Case{"https://09.example", "https://09.example"},
    Case{"https://under_score.example", "https://under_score.example"},
    Case{"https://localhost", "https://localhost"},
    Case{"http://0x1g", "http://0x1g"},  // not a number: a domain
    Case{"http://localhost:3000", "http://localhost:3000"}));

INSTANTIATE_TEST_SUITE_P(IPv4, ParsesTo, ::testing::Values(
    Case{"http://127.0.0.1", "http://127.0.0.1"},
    Case{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
    Case{"http://127.1", "http://127.0.0.1"},
    Case{"http://127.0.1", "http://127.0.0.1"},
    Case{"http://2130706433", "http://127.0.0.1"},
    Case{"http://0x7f000001", "http://127.0.0.1"},
    Case{"http://0X7F.1", "http://127.0.0.1"},
    Case{"http://0177.0.0.1", "http://127.0.0.1"},
    Case{"http://0x7f.0.0.0x1", "http://127.0.0.1"},
    Case{"http://00000.0x0.0", "http://0.0.0.0"},
    Case{"http://0x", "http://0.0.0.0"},
    Case{"http://4294967295", "http://255.255.255.255"},
    Case{"http://1.2.3.4.", "http://1.2.3.4"},
    Case{"http://0000000000000000000000000000000000000000000000000000000000000000000001",
         "http://0.0.0.1"},  // IPv4 parts are not DNS labels: no 63-byte limit
    Case{"http://%31%32%37.0.0.1", "http://127.0.0.1"},
    Case{"http://\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x97.0.0.1", "http://127.0.0.1"}));  // fullwidth

INSTANTIATE_TEST_SUITE_P(IPv6, ParsesTo, ::testing::Values(
    Case{"https://[::1]", "https://[::1]"},
    Case{"https://[::1]:8443", "https://[::1]:8443"},
    Case{"https://[0:0:0:0:0:0:0:1]", "https://[::1]"},
    Case{"https://[::]", "https://[::]"},
    Case{"https://[1::]", "https://[1::]"},
    Case{"https://[2001:DB8::A]", "https://[2001:db8::a]"},
    Case{"https://[2001:0db8:0000:0000:0000:0000:0000:0001]", "https://[2001:db8::1]"},
    Case{"https://[1:0:0:2:0:0:0:3]", "https://[1:0:0:2::3]"},
    Case{"https://[1:0:0:2:2:0:0:3]", "https://[1::2:2:0:0:3]"},
    Case{"https://[1:0:2:3:4:5:6:7]", "https://[1:0:2:3:4:5:6:7]"},
    Case{"https://[::ffff:1.2.3.4]", "https://[::ffff:102:304]"},
    Case{"https://[::FFFF:192.168.0.1]:80", "https://[::ffff:c0a8:1]:80"},
    Case{"https://[::127.0.0.1]", "https://[::7f00:1]"},
    Case{"http://[::1]:80", "http://[::1]"}));

INSTANTIATE_TEST_SUITE_P(Punycode, ParsesTo, ::testing::Values(
    Case{"https://b\xC3\xBC" "cher.example", "https://xn--bcher-kva.example"},
    Case{"https://B\xC3\x9C" "CHER.example", "https://xn--bcher-kva.example"},  // BÜCHER
    Case{"https://\xE4\xBE\x8B\xE3\x81\x88.jp", "https://xn--r8jz45g.jp"},       // 例え.jp
    Case{"https://m\xC3\xBCnchen.de", "https://xn--mnchen-3ya.de"},
    Case{"https://fa\xC3\x9F.de", "https://xn--fa-hia.de"},                      // ß kept
    Case{"https://\xCE\xB1\xCE\xB2\xCE\xB3.example", "https://xn--mxacd.example"},  // αβγ
    Case{"https://\xCE\x91\xCE\x92\xCE\x93.example", "https://xn--mxacd.example"},  // ΑΒΓ
    Case{"https://\xD0\xBF\xD1\x80\xD0\xB8\xD0\xBC\xD0\xB5\xD1\x80.\xD1\x80\xD1\x84",
         "https://xn--e1afmkfd.xn--p1ai"},  // пример.рф
    Case{"https://\xE4\xB8\xAD\xE6\x96\x87.com", "https://xn--fiq228c.com"},  // 中文.com
    Case{"https://\xF0\x9F\x92\xA9.la", "https://xn--ls8h.la"},                // 💩.la
    Case{"https://b%C3%BCcher.example", "https://xn--bcher-kva.example"},
    Case{"https://xn--bcher-kva.example", "https://xn--bcher-kva.example"},
    Case{"https://XN--BCHER-KVA.example", "https://xn--bcher-kva.example"},
    Case{"https://\xEF\xBD\x85\xEF\xBD\x98.com", "https://ex.com"},          // fullwidth ｅｘ
    Case{"https://a\xE3\x80\x82" "com", "https://a.com"},                     // ideographic dot
    Case{"https://a\xC2\xAD" "b.com", "https://ab.com"}));                    // soft hyphen

TEST(OriginTest, FieldsOfADomainOrigin) {
  Origin o;
  ASSERT_EQ(parse_origin("https://Example.com:8443/x", &o), Status::kOk);
  EXPECT_EQ(o.scheme, "https");
  EXPECT_EQ(o.host, "example.com");
  EXPECT_EQ(o.port, 8443);
  EXPECT_EQ(o.host_kind, HostKind::kDomain);
}

TEST(OriginTest, HostKinds) {
  Origin o;
  ASSERT_EQ(parse_origin("http://10.0.0.1", &o), Status::kOk);
  EXPECT_EQ(o.host_kind, HostKind::kIPv4);
  ASSERT_EQ(parse_origin("http://[::1]", &o), Status::kOk);
  EXPECT_EQ(o.host_kind, HostKind::kIPv6);
  EXPECT_EQ(o.host, "[::1]");
  ASSERT_EQ(parse_origin("http://localhost", &o), Status::kOk);
  EXPECT_EQ(o.host_kind, HostKind::kDomain);
}

TEST(OriginTest, DefaultPortIsElided) {
  Origin o;
  ASSERT_EQ(parse_origin("https://a.example:443", &o), Status::kOk);
  EXPECT_EQ(o.port, -1);
}

TEST(OriginTest, DefaultPorts) {
  EXPECT_EQ(default_port("http"), 80);
  EXPECT_EQ(default_port("https"), 443);
  EXPECT_EQ(default_port("ws"), 80);
  EXPECT_EQ(default_port("wss"), 443);
  EXPECT_EQ(default_port("ftp"), 21);
  EXPECT_EQ(default_port("HTTPS"), 443);
  EXPECT_EQ(default_port("file"), -1);
  EXPECT_EQ(default_port("blob"), -1);
  EXPECT_EQ(default_port(""), -1);
}

TEST(OriginTest, TrailingDotKeepsAHostDistinct) {
  Origin a, b;
  ASSERT_EQ(parse_origin("https://example.com.", &a), Status::kOk);
  ASSERT_EQ(parse_origin("https://example.com", &b), Status::kOk);
  EXPECT_NE(a, b);
}

TEST(OriginTest, EqualityIgnoresPathAndCase) {
  Origin a, b;
  ASSERT_EQ(parse_origin("https://A.example/x", &a), Status::kOk);
  ASSERT_EQ(parse_origin("https://a.example:443/y?z", &b), Status::kOk);
  EXPECT_EQ(a, b);
}

TEST(OriginTest, OutputUntouchedOnFailure) {
  Origin o;
  o.host = "sentinel";
  EXPECT_EQ(parse_origin("data:,x", &o), Status::kOpaqueOrigin);
  EXPECT_EQ(parse_origin("https://", &o), Status::kInvalidOrigin);
  EXPECT_EQ(o.host, "sentinel");
}

TEST(OriginTest, NullOutputPointerIsRefused) {
  EXPECT_EQ(parse_origin("https://a.example", nullptr), Status::kInvalidOrigin);
}

// blob: takes the origin of its inner http(s) URL; any other blob: is opaque.
INSTANTIATE_TEST_SUITE_P(BlobInner, ParsesTo, ::testing::Values(
    Case{"blob:https://a.com/0b2a6c1e-1111-2222-3333-444444444444", "https://a.com"},
    Case{"blob:http://a.com:8080/uuid", "http://a.com:8080"},
    Case{"BLOB:https://A.COM/uuid", "https://a.com"},
    Case{"blob:https://a.com:443/uuid#frag", "https://a.com"},
    Case{"blob: https://a.com/uuid", "https://a.com"},
    Case{"blob:https://a.com/\x01", "https://a.com"}));

class Opaque : public ::testing::TestWithParam<const char*> {};
TEST_P(Opaque, IsOpaqueOrigin) {
  Origin o;
  EXPECT_EQ(parse_origin(GetParam(), &o), Status::kOpaqueOrigin) << GetParam();
}
INSTANTIATE_TEST_SUITE_P(EveryOpaqueCase, Opaque, ::testing::Values(
    "null",
    "data:text/plain,hello",
    "data:,",
    "DATA:text/html,x",
    "file:///etc/passwd",
    "file://host/share",
    "javascript:alert(1)",
    "about:blank",
    "about:srcdoc",
    "blob:null/uuid",
    "blob:file:///x",
    "blob:ws://a.com/x",
    "blob:ftp://a.com/x",
    "blob:data:,x",
    "blob:blob:https://a.com/x",
    "blob:https://",
    "blob:",
    "blob:garbage",
    "mailto:a@b.com",
    "chrome-extension://abcdef/x",
    "foo://example.com",
    "web+app://x",
    "localhost:8080",
    "a:",
    "foo://user@host:8080/p",
    "foo://[::1]:1",
    "foo://a%20b/",
    "blob:\x01https://a.com/x"));  // the C0 control is %01 in the inner URL

class Invalid : public ::testing::TestWithParam<std::string> {};
TEST_P(Invalid, IsInvalidOrigin) {
  Origin o;
  EXPECT_EQ(parse_origin(GetParam(), &o), Status::kInvalidOrigin) << GetParam();
}
INSTANTIATE_TEST_SUITE_P(NotAUrl, Invalid, ::testing::Values(
    "", " ", "garbage", "example.com", "/path", "//example.com", "1http://a.com",
    "ht tp://a.com", ":", "://a.com", "NULL", std::string("https://a.com\0x", 15),
    std::string("\0https://a.com", 14), "https://" + std::string(2100, 'a')));

// A non-special URL still has to be a URL: its authority must be well formed.
INSTANTIATE_TEST_SUITE_P(BadNonSpecialAuthority, Invalid, ::testing::Values(
    "foo://a b/", "foo://a<b", "foo://[::1", "foo://[zz]", "foo://:80", "foo://h:99999",
    "foo://user@/x", "blob://a b/x"));

INSTANTIATE_TEST_SUITE_P(BadHosts, Invalid, ::testing::Values(
    "https://", "https:", "https:///", "https://?x", "https://#x", "https://user@",
    "https://:443", "https://a b.com", "https://a<b.com", "https://a>b", "https://a^b",
    "https://a|b", "https://a%25b.com", "https://a%b.com", "https://a%00b.com",
    "https://a%20b.com", "https://exa[mple.com", "https://exa]mple.com",
    "https://a\x7f" "b.com", "https://%C2%AD", "https://\xC2\xAD"));

INSTANTIATE_TEST_SUITE_P(BadPorts, Invalid, ::testing::Values(
    "https://a.com:65536", "https://a.com:99999999999999999999", "https://a.com:-1",
    "https://a.com:8o", "https://a.com:1:2", "https://a.com: 80", "https://a.com:0x50"));

INSTANTIATE_TEST_SUITE_P(BadIPv4, Invalid, ::testing::Values(
    "http://4294967296", "http://256.0.0.1", "http://1.2.3.256", "http://1.2.65536",
    "http://1.2.3.4.5", "http://09", "http://08.1.1.1", "http://0x1g.1", "http://a.123",
    "http://1..2", "http://999999999999999999999999"));

INSTANTIATE_TEST_SUITE_P(BadIPv6, Invalid, ::testing::Values(
    "https://[", "https://[]", "https://[::1", "https://::1]", "https://[:1]",
    "https://[1:2:3:4:5:6:7:8:9]", "https://[1:2:3:4:5:6:7]", "https://[1::2::3]",
    "https://[12345::]", "https://[::1]x", "https://[g::]", "https://[::1%25eth0]",
    "https://[1:2:3:4:5:6:7:1.2.3.4]", "https://[::1.2.3]", "https://[::1.2.3.4.5]",
    "https://[::01.2.3.4]", "https://[::256.0.0.1]", "https://[::1.]", "https://[1:]"));

INSTANTIATE_TEST_SUITE_P(BadIdna, Invalid, ::testing::Values(
    "https://xn--a.com",                      // not valid Punycode
    "https://xn--abc-.com",                   // decodes to ASCII only (UTS#46 rev 33)
    "https://xn--.com",                       // empty Punycode
    "https://xn--1ug.example",                // decodes to ZWJ (WPT toascii.json)
    "https://xn--ls8h=.la",                   // not Punycode digits
    "https://xn--bcher-kv.example",           // truncated
    "https://xn--b\xC3\xBC" "cher.example",   // ACE prefix with non-ASCII
    "https://\xC3.example",                   // truncated UTF-8
    "https://\xC0\xAF.example",               // overlong UTF-8
    "https://\xED\xA0\x80.example",           // surrogate
    "https://\xEF\xBF\xBD.example",           // U+FFFD
    "https://a\xE2\x80\x8D" "b.example",      // ZWJ (ContextJ unchecked, refused)
    "https://a\xC2\x85" "b.example",          // C1 control
    "https://a\xE3\x80\x80" "b.example",      // ideographic space maps to space
    "https://a%FFb.example"));                // percent-decoded invalid UTF-8

TEST(OriginTest, DnsLengthLimits) {
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  EXPECT_EQ(origin_of("https://" + label63 + ".com"), "https://" + label63 + ".com");
  EXPECT_EQ(origin_of("https://" + label64 + ".com"), "<InvalidOrigin>");
  // 4 * 63 + 3 dots = 255 > 253.
  std::string host = label63 + "." + label63 + "." + label63 + "." + label63;
  EXPECT_EQ(origin_of("https://" + host), "<InvalidOrigin>");
  host = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');  // 253
  EXPECT_EQ(origin_of("https://" + host), "https://" + host);
  EXPECT_EQ(origin_of("https://" + host + "."), "https://" + host + ".");
  // Repetitive Unicode compresses well: 40 × ü is a 48-byte ACE label.
  std::string repeated;
  for (int i = 0; i < 40; ++i) repeated += "\xC3\xBC";
  EXPECT_EQ(origin_of("https://" + repeated + ".com"),
            "https://xn--tdaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com");
  // 60 code points cannot fit in 63 bytes after "xn--".
  repeated.clear();
  for (int i = 0; i < 60; ++i) repeated += "\xC3\xBC";
  EXPECT_EQ(origin_of("https://" + repeated + ".com"), "<InvalidOrigin>");
  // 30 distinct CJK code points pass the early check but encode to over 63 bytes.
  std::string cjk;
  for (int i = 0; i < 30; ++i) {
    const uint32_t cp = 0x4E00 + static_cast<uint32_t>(i) * 331;
    cjk += static_cast<char>(0xE0 | (cp >> 12));
    cjk += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    cjk += static_cast<char>(0x80 | (cp & 0x3F));
  }
  EXPECT_EQ(origin_of("https://" + cjk + ".com"), "<InvalidOrigin>");
}

TEST(OriginTest, InputLengthCap) {
  const std::string host(63, 'a');
  std::string url = "https://" + host + ".com/";
  url += std::string(2048 - url.size(), 'p');
  EXPECT_EQ(origin_of(url), "https://" + host + ".com");
  EXPECT_EQ(origin_of(url + "p"), "<InvalidOrigin>");
}

// ---------------------------------------------------------------- parse_canonical_origin
// The journal replay's cheap path must never disagree with parse_origin: whatever it
// accepts is exactly a serialised origin, parsed to the same fields and host kind.

// Checks one string; returns whether the cheap path took it.
bool canonical_agrees(std::string_view text) {
  Origin fast;
  fast.host = "untouched";
  if (!parse_canonical_origin(text, &fast)) {
    EXPECT_EQ(fast.host, "untouched") << text;  // output written only on success
    return false;
  }
  Origin full;
  EXPECT_EQ(parse_origin(text, &full), Status::kOk) << text;
  EXPECT_EQ(fast, full) << text;
  EXPECT_EQ(fast.host_kind, full.host_kind) << text;
  EXPECT_EQ(fast.serialize(), text) << text;
  return true;
}

// The cheap path is meant to take every http(s) domain origin the index serialises,
// except the few shapes it leaves to the full parser.
bool expect_taken(const Origin& o) {
  if (o.host_kind != HostKind::kDomain) return false;
  if (o.scheme != "http" && o.scheme != "https") return false;
  for (char c : o.host) {  // WHATWG allows more ("_", "*", "!", ...): left to the full parser
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  if (o.host.back() == '.' || o.host.find("..") != std::string::npos) return false;
  if (o.host.rfind("xn--", 0) == 0 || o.host.find(".xn--") != std::string::npos) return false;
  const size_t last = o.host.rfind('.') + 1;  // 0 when there is no dot
  return !(o.host[last] >= '0' && o.host[last] <= '9');
}

// Every input of every ParsesTo table: the raw input, and its serialisation (what the
// index writes to the journal), which must take the cheap path when expected to.
TEST_P(ParsesTo, CanonicalFastPathAgrees) {
  canonical_agrees(GetParam().input);
  Origin o;
  ASSERT_EQ(parse_origin(GetParam().input, &o), Status::kOk);
  EXPECT_EQ(canonical_agrees(o.serialize()), expect_taken(o)) << o.serialize();
}

TEST_P(Opaque, CanonicalFastPathRefuses) {
  Origin o;
  EXPECT_FALSE(parse_canonical_origin(GetParam(), &o)) << GetParam();
}

TEST_P(Invalid, CanonicalFastPathRefuses) {
  Origin o;
  EXPECT_FALSE(parse_canonical_origin(GetParam(), &o)) << GetParam();
}

TEST(CanonicalOriginTest, TakesSerialisedDomainOrigins) {
  for (const char* text :
       {"https://example.com", "http://example.com", "https://a.b.example.co.uk",
        "https://app7.example7.com", "http://localhost", "http://localhost:3000",
        "https://example.com:8443", "http://example.com:443", "https://example.com:80",
        "https://example.com:0", "https://example.com:65535", "https://a-b.c-d.test",
        "https://-a.b-.example", "https://ab--cd.example", "https://x1.3com.example",
        "https://a.github.io", "https://b.blogspot.com"}) {
    EXPECT_TRUE(canonical_agrees(text)) << text;
  }
}

TEST(CanonicalOriginTest, LeavesEverythingElseToTheFullParser) {
  const std::string label63(63, 'a'), label64(64, 'a');
  std::string host253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'a');
  for (const std::string& text : std::vector<std::string>{
           // not lowercase, or not the serialisation
           "HTTPS://example.com", "https://Example.com", "https://EXAMPLE.COM", "Https://a.com",
           "https://example.com/", "https://example.com/path", "https://example.com?q",
           "https://example.com#f", " https://example.com", "https://example.com ",
           "https:example.com", "https:/example.com", "https:///example.com",
           "https:\\example.com", "https://user@example.com", "https://user:pw@example.com",
           "https://example.com:", "https://:443", "https://", "http://", "https://%61.com",
           "https://a	b.com",
           // default ports, which serialisation omits; non-canonical port text
           "https://example.com:443", "http://example.com:80", "https://example.com:0443",
           "https://example.com:00", "https://example.com:+1", "https://example.com:-1",
           "https://example.com:65536", "https://example.com:123456", "https://example.com:1a",
           // other schemes
           "ws://example.com", "wss://example.com", "ftp://example.com", "blob:https://a.com/x",
           "httpss://a.com", "http+s://a.com", "null", "data:,x", "file:///x",
           // hosts for the full parser: IP literals, IDN, ACE labels, dots, lengths
           "https://127.0.0.1", "https://127.1", "https://1.2.3.4:8080", "https://0x7f.1",
           "https://a.0x", "https://a.09", "https://example.123", "https://[::1]",
           "https://[::1]:8443", "https://bÃ¼" "cher.example", "https://xn--bcher-kva.example",
           "https://www.xn--bcher-kva.example", "https://XN--bcher-kva.example",
           "https://xn--", "https://example.com.", "https://a..com", "https://.com",
           "https://.", "https://a_b.com", "https://a*b.com", "https://a%2eb.com",
           "https://" + label64 + ".com", "https://a." + label64,
           "https://" + host253 + "a"}) {
    EXPECT_FALSE(canonical_agrees(text)) << text;
  }
  // The limits themselves are fine.
  EXPECT_TRUE(canonical_agrees("https://" + label63 + ".com"));
  EXPECT_TRUE(canonical_agrees("https://" + host253));
}

TEST(CanonicalOriginTest, EveryByteInEveryPositionAgrees) {
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    for (const std::string& text :
         {one, "https://" + one, "https://a" + one + "b.com", "https://ab.c" + one,
          "https://ab.com:" + one, "https://ab.com:8" + one, "http" + one + "://a.com",
          "https:/" + one + "a.com", "https://xn-" + one + ".com", "https://a.0" + one}) {
      canonical_agrees(text);
    }
  }
}

TEST(OriginTest, EveryByteAloneNeverCrashes) {
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    Origin o;
    parse_origin(one, &o);
    parse_origin("https://" + one, &o);
    parse_origin("https://a" + one + "b.com", &o);
    parse_origin("https://[" + one + "]", &o);
  }
  SUCCEED();
}

}  // namespace
}  // namespace cosp
