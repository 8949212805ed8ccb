// Differential tests of our SHA-256 (both block-function variants and the stream's
// buffering) against libsodium, the reference, on every length 0..1100, every
// alignment, random splits and random inputs. Deterministic seeds.
#include "sha256_block.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "sha256_stream.h"

namespace cosp {
namespace {

using BlockFunction = void (*)(uint32_t*, const uint8_t*, size_t);

struct Variant {
  const char* name;
  BlockFunction blocks;
};
const Variant kVariants[] = {
    {"default", sha256_blocks},
    {"scalar", sha256_blocks_scalar},
    {"vector", sha256_blocks_vector},
};

// SHA-256 of data with a given block function; the padding here is written
// independently of Sha256Stream's, so the stream is checked separately.
Digest digest_with(BlockFunction blocks, const uint8_t* data, size_t length) {
  uint32_t state[8];
  std::memcpy(state, kSha256InitialState, sizeof(state));
  blocks(state, data, length / 64);
  uint8_t tail[128] = {};
  size_t rest = length % 64;
  if (rest != 0) std::memcpy(tail, data + length - rest, rest);
  tail[rest] = 0x80;
  size_t tail_length = rest < 56 ? 64 : 128;
  uint64_t bits = static_cast<uint64_t>(length) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_length - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  blocks(state, tail, tail_length / 64);
  Digest out;
  for (int i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(state[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> out(n);
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

TEST(Sha256Block, EveryLengthAndAlignmentMatchesLibsodium) {
  std::mt19937 rng(1);
  std::vector<uint8_t> buffer = random_bytes(rng, 1100 + 8);
  for (size_t length = 0; length <= 1100; ++length) {
    for (size_t offset : {0u, 1u, 3u, 7u}) {
      const uint8_t* data = buffer.data() + offset;
      const Digest expected = Sha256Stream::digest_reference(data, length);
      for (const Variant& v : kVariants)
        ASSERT_EQ(digest_with(v.blocks, data, length), expected) << v.name << " length " << length << " offset " << offset;
      ASSERT_EQ(Sha256Stream::digest(data, length), expected) << "stream length " << length << " offset " << offset;
    }
  }
}

TEST(Sha256Block, VariantsAgreeFromAnyState) {
  std::mt19937 rng(2);
  for (int trial = 0; trial < 200; ++trial) {
    uint32_t start[8];
    for (uint32_t& w : start) w = rng();
    size_t nblocks = rng() % 40;
    std::vector<uint8_t> data = random_bytes(rng, nblocks * 64 + 1);
    const uint8_t* p = data.data() + (trial & 1);  // odd addresses too
    uint32_t scalar[8], vector[8];
    std::memcpy(scalar, start, sizeof(start));
    std::memcpy(vector, start, sizeof(start));
    sha256_blocks_scalar(scalar, p, nblocks);
    sha256_blocks_vector(vector, p, nblocks);
    ASSERT_EQ(std::memcmp(scalar, vector, sizeof(scalar)), 0) << "trial " << trial;
  }
}

TEST(Sha256Block, ZeroBlocksLeavesStateAlone) {
  for (const Variant& v : kVariants) {
    uint32_t state[8];
    std::memcpy(state, kSha256InitialState, sizeof(state));
    v.blocks(state, nullptr, 0);
    EXPECT_EQ(std::memcmp(state, kSha256InitialState, sizeof(state)), 0) << v.name;
  }
}

TEST(Sha256Block, RandomSplitsMatchLibsodium) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 500; ++trial) {
    size_t length = rng() % (trial < 400 ? 1100 : 70000);
    std::vector<uint8_t> data = random_bytes(rng, length);
    const Digest expected = Sha256Stream::digest_reference(data.data(), length);
    Sha256Stream ours;
    Sha256Reference reference;
    size_t off = 0;
    while (off < length) {
      // Mostly small pieces around the block edge, sometimes large ones, sometimes empty.
      size_t pick = rng() % 8;
      size_t n = pick == 0 ? 0 : pick < 6 ? rng() % 130 : rng() % 9000;
      n = std::min(n, length - off);
      ours.update(data.data() + off, n);
      reference.update(data.data() + off, n);
      off += n;
    }
    ASSERT_EQ(ours.bytes_hashed(), length);
    ASSERT_EQ(ours.finish(), expected) << "trial " << trial << " length " << length;
    ASSERT_EQ(reference.finish(), expected) << "trial " << trial;
  }
}

TEST(Sha256Block, ManyRandomInputsMatchLibsodium) {
  std::mt19937 rng(4);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> data = random_bytes(rng, rng() % 5000);
    const Digest expected = Sha256Stream::digest_reference(data.data(), data.size());
    for (const Variant& v : kVariants)
      ASSERT_EQ(digest_with(v.blocks, data.data(), data.size()), expected) << v.name << " trial " << trial;
    ASSERT_EQ(Sha256Stream::digest(data.data(), data.size()), expected) << "trial " << trial;
  }
}

// Inputs that stress the schedule: all zeros, all ones, one bit set.
TEST(Sha256Block, StructuredInputsMatchLibsodium) {
  for (size_t length : {64u, 640u, 6400u}) {
    for (uint8_t fill : {uint8_t{0x00}, uint8_t{0xff}, uint8_t{0x80}}) {
      std::vector<uint8_t> data(length, fill);
      const Digest expected = Sha256Stream::digest_reference(data.data(), length);
      for (const Variant& v : kVariants) ASSERT_EQ(digest_with(v.blocks, data.data(), length), expected) << v.name;
    }
    for (size_t bit = 0; bit < 512; bit += 7) {
      std::vector<uint8_t> data(length, 0);
      data[bit / 8] = static_cast<uint8_t>(1u << (bit % 8));
      const Digest expected = Sha256Stream::digest_reference(data.data(), length);
      for (const Variant& v : kVariants) ASSERT_EQ(digest_with(v.blocks, data.data(), length), expected) << v.name;
    }
  }
}

}  // namespace
}  // namespace cosp
