// Sha256Stream (our compression function) and Sha256Reference (libsodium): the
// FIPS 180-4 example vectors, and chunked updates around the 64-byte block edge.
#include "sha256_stream.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace cosp {
namespace {

struct Vector {
  std::string message;
  const char* hex;
};

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
std::vector<Vector> nist_vectors() {
  return {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
      {std::string(1000000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
}

const uint8_t* bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }
std::string hex(const Digest& d) { return to_hex(d.data(), d.size()); }

TEST(Sha256Stream, NistVectorsOneShot) {
  for (const Vector& v : nist_vectors()) {
    SCOPED_TRACE(v.message.size());
    EXPECT_EQ(hex(Sha256Stream::digest(bytes(v.message), v.message.size())), v.hex);
    EXPECT_EQ(hex(Sha256Stream::digest_reference(bytes(v.message), v.message.size())), v.hex);
  }
}

TEST(Sha256Stream, NistVectorsStreamingBothImplementations) {
  Sha256Stream ours;
  Sha256Reference reference;
  for (const Vector& v : nist_vectors()) {
    SCOPED_TRACE(v.message.size());
    ours.update(bytes(v.message), v.message.size());
    reference.update(bytes(v.message), v.message.size());
    EXPECT_EQ(ours.bytes_hashed(), v.message.size());
    EXPECT_EQ(reference.bytes_hashed(), v.message.size());
    EXPECT_EQ(hex(ours.finish()), v.hex);
    EXPECT_EQ(hex(reference.finish()), v.hex);
  }
}

TEST(Sha256Stream, MillionAsOneByteAtATime) {
  Sha256Stream s;
  const uint8_t a = 'a';
  for (int i = 0; i < 1000000; ++i) s.update(&a, 1);
  EXPECT_EQ(hex(s.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

std::vector<uint8_t> pseudo_random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> out(n);
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

TEST(Sha256Stream, ChunkedUpdatesEqualOneShot) {
  // Lengths around the block edge and around multiples of each chunk size.
  for (size_t length : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u, 12345u, 40000u}) {
    std::vector<uint8_t> data = pseudo_random_bytes(length, static_cast<uint32_t>(length));
    const Digest expected = Sha256Stream::digest_reference(data.data(), data.size());
    ASSERT_EQ(Sha256Stream::digest(data.data(), data.size()), expected);
    for (size_t chunk : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u, 4097u}) {
      SCOPED_TRACE(::testing::Message() << "length " << length << " chunk " << chunk);
      Sha256Stream ours;
      Sha256Reference reference;
      for (size_t off = 0; off < length; off += chunk) {
        size_t n = std::min(chunk, length - off);
        ours.update(data.data() + off, n);
        reference.update(data.data() + off, n);
      }
      EXPECT_EQ(ours.bytes_hashed(), length);
      EXPECT_EQ(ours.finish(), expected);
      EXPECT_EQ(reference.finish(), expected);
    }
  }
}

TEST(Sha256Stream, FinishResetsAndResetDiscards) {
  const std::string empty_hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  Sha256Stream s;
  s.update(bytes("abc"), 3);
  EXPECT_EQ(hex(s.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(s.bytes_hashed(), 0u);
  EXPECT_EQ(hex(s.finish()), empty_hex);

  std::vector<uint8_t> junk = pseudo_random_bytes(100, 7);
  s.update(junk.data(), junk.size());
  s.reset();
  EXPECT_EQ(s.bytes_hashed(), 0u);
  s.update(bytes("abc"), 3);
  EXPECT_EQ(hex(s.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  Sha256Reference r;
  r.update(junk.data(), junk.size());
  r.reset();
  EXPECT_EQ(hex(r.finish()), empty_hex);
}

TEST(Sha256Stream, EmptyUpdatesChangeNothing) {
  Sha256Stream s;
  s.update(nullptr, 0);
  s.update(bytes("ab"), 2);
  s.update(nullptr, 0);
  s.update(bytes("c"), 1);
  EXPECT_EQ(s.bytes_hashed(), 3u);
  EXPECT_EQ(hex(s.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace cosp
