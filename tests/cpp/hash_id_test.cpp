// SPEC §2 validation of hash dictionaries, and the hex / SRI forms of a hash id.
#include "hash_id.h"

#include <gtest/gtest.h>

namespace cosp {
namespace {

const std::string kAbcHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kAbcSri = "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

TEST(HashId, AcceptsSha256InAnyCase) {
  for (const char* alg : {"SHA-256", "sha-256", "Sha-256", "sHa-256"}) {
    HashId id;
    EXPECT_EQ(parse_hash_id(alg, kAbcHex, &id), Status::kOk) << alg;
    EXPECT_EQ(id.hex(), kAbcHex);
  }
}

TEST(HashId, OtherWebCryptoDigestsAreUnsupported) {
  for (const char* alg : {"SHA-1", "sha-384", "SHA-512"})
    EXPECT_EQ(parse_hash_id(alg, kAbcHex, nullptr), Status::kUnsupportedAlgorithm) << alg;
}

TEST(HashId, UnknownAlgorithmsAreInvalid) {
  for (const char* alg : {"md5", "foo", "", "SHA256", "sha_256", "SHA-256 ", " SHA-256", "SHA-2560"})
    EXPECT_EQ(parse_hash_id(alg, kAbcHex, nullptr), Status::kInvalidAlgorithm) << "[" << alg << "]";
  EXPECT_EQ(parse_hash_id(std::string_view("SHA-256\0", 8), kAbcHex, nullptr), Status::kInvalidAlgorithm);
}

TEST(HashId, ValueMustBeExactly64LowercaseHex) {
  EXPECT_EQ(parse_hash_id("SHA-256", kAbcHex.substr(0, 63), nullptr), Status::kInvalidHashValue);
  EXPECT_EQ(parse_hash_id("SHA-256", kAbcHex + "0", nullptr), Status::kInvalidHashValue);
  EXPECT_EQ(parse_hash_id("SHA-256", "", nullptr), Status::kInvalidHashValue);
  std::string upper = kAbcHex;
  upper[0] = 'B';
  EXPECT_EQ(parse_hash_id("SHA-256", upper, nullptr), Status::kInvalidHashValue);
  for (char bad : {'g', 'z', ' ', '-', 'G', '\0', '\xff'}) {
    std::string v = kAbcHex;
    v[17] = bad;
    EXPECT_EQ(parse_hash_id("SHA-256", v, nullptr), Status::kInvalidHashValue) << int(bad);
  }
}

TEST(HashId, OutputUntouchedOnFailure) {
  HashId id;
  id.digest.fill(0x5a);
  EXPECT_NE(parse_hash_id("SHA-256", "nothex", &id), Status::kOk);
  for (uint8_t b : id.digest) EXPECT_EQ(b, 0x5a);
}

TEST(HashId, SriRoundTrip) {
  HashId id;
  ASSERT_EQ(parse_hash_hex(kAbcHex, &id), Status::kOk);
  EXPECT_EQ(id.sri(), kAbcSri);
  HashId back;
  ASSERT_EQ(parse_integrity(kAbcSri, &back), Status::kOk);
  EXPECT_EQ(back, id);
}

TEST(HashId, IntegrityPicksTheSha256Token) {
  HashId id;
  ASSERT_EQ(parse_integrity("sha384-AAAA  " + kAbcSri + "?ct=application/wasm sha512-BBBB", &id), Status::kOk);
  EXPECT_EQ(id.hex(), kAbcHex);
  // URL-safe alphabet and missing padding are accepted.
  ASSERT_EQ(parse_integrity("sha256-ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0", &id), Status::kOk);
  EXPECT_EQ(id.hex(), kAbcHex);
  ASSERT_EQ(parse_integrity("SHA256-" + kAbcSri.substr(7), &id), Status::kOk);
}

TEST(HashId, IntegrityWithoutUsableSha256IsRejected) {
  EXPECT_EQ(parse_integrity("", nullptr), Status::kInvalidIntegrity);
  EXPECT_EQ(parse_integrity("sha384-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", nullptr), Status::kInvalidIntegrity);
  EXPECT_EQ(parse_integrity("sha256-short", nullptr), Status::kInvalidIntegrity);
  EXPECT_EQ(parse_integrity("sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa1=", nullptr), Status::kInvalidIntegrity)
      << "non-zero trailing bits must not alias another spelling";
  EXPECT_EQ(parse_integrity("sha256-!!!!", nullptr), Status::kInvalidIntegrity);
}

TEST(HashId, Base64EncodesEveryTailLength) {
  const uint8_t bytes[] = {'f', 'o', 'o', 'b', 'a', 'r'};
  const char* expected[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t n = 0; n <= 6; ++n) {
    EXPECT_EQ(base64_encode(bytes, n), expected[n]);
    std::string back;
    ASSERT_TRUE(base64_decode(expected[n], &back));
    EXPECT_EQ(back, std::string(reinterpret_cast<const char*>(bytes), n));
  }
}

TEST(HashId, HashesAreUsableAsMapKeys) {
  HashId a, b;
  ASSERT_EQ(parse_hash_hex(kAbcHex, &a), Status::kOk);
  b = a;
  EXPECT_EQ(HashIdHash{}(a), HashIdHash{}(b));
  b.digest[31] ^= 1;
  EXPECT_NE(a, b);
  EXPECT_TRUE(a < b || b < a);
}

}  // namespace
}  // namespace cosp
