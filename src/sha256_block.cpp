// SHA-256 compression, fully unrolled, in two variants. Why it looks like this
// (measured under emcc -O3 + V8; figures in docs/hashing.md):
// - the eight working variables stay in locals and change roles by macro renaming
//   instead of moves; round constants are immediates; the chaining value goes back
//   to memory between blocks (fewer live values for V8's register allocator: +3%);
// - on x86-64 V8 the rounds saturate the integer side (their serial chain and their
//   ops), so the vector variant moves the message schedule (a third of the ops) to
//   4-lane vectors, which run on the SIMD ports beside the scalar rounds (+25-30%);
// - the scalar variant keeps the schedule as a rolling 16-word window that LLVM
//   turns into locals.
#include "sha256_block.h"

#include <cstring>

namespace cosp {
namespace {

// The word loads below read little-endian memory (Wasm, x86-64, arm64).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "big-endian hosts need other loads");

// Forced: at -Os the helpers stay calls and the function runs 10x slower.
#define COS_SHA256_INLINE inline __attribute__((always_inline))

// FIPS 180-4 §4.2.2.
alignas(16) constexpr uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
    0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
    0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
    0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
    0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
    0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

COS_SHA256_INLINE uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

// Wasm has no byte swap: LLVM expands this to 10 shifts and masks (hand-written
// rotate forms are pattern-matched back to the same thing).
COS_SHA256_INLINE uint32_t load_be32(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return __builtin_bswap32(w);
}

// Σ0, Σ1, σ0, σ1 of FIPS 180-4 §4.1.2. The nested-rotate forms (fewer x86 moves)
// measured 12% slower under V8: they lengthen the round's critical path.
COS_SHA256_INLINE uint32_t big_sigma0(uint32_t x) { return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22); }
COS_SHA256_INLINE uint32_t big_sigma1(uint32_t x) { return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25); }
COS_SHA256_INLINE uint32_t small_sigma0(uint32_t x) { return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3); }
COS_SHA256_INLINE uint32_t small_sigma1(uint32_t x) { return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10); }

// GCC and Clang vector extensions: i32x4/i8x16 in Wasm SIMD, SSE2 on x86-64.
typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));

COS_SHA256_INLINE u32x4 load_be32x4(const uint8_t* p) {
  u8x16 bytes;
  std::memcpy(&bytes, p, 16);
  bytes = __builtin_shufflevector(bytes, bytes, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14,
                                  13, 12);
  u32x4 words;
  std::memcpy(&words, &bytes, 16);
  return words;
}

COS_SHA256_INLINE u32x4 load_k(int t) {
  u32x4 k;
  std::memcpy(&k, &K[t], 16);
  return k;
}

// No vector rotate in Wasm SIMD: each rotation is two shifts, folded into the xors.
COS_SHA256_INLINE u32x4 small_sigma0x4(u32x4 x) {
  return (x >> 7) ^ (x << 25) ^ (x >> 18) ^ (x << 14) ^ (x >> 3);
}
COS_SHA256_INLINE u32x4 small_sigma1x4(u32x4 x) {
  return (x >> 17) ^ (x << 15) ^ (x >> 19) ^ (x << 13) ^ (x >> 10);
}

// W[t..t+3] from x0 = W[t-16..t-13], x1, x2, x3 = W[t-4..t-1]. σ1 needs W[t-2] and
// W[t-1], so W[t] and W[t+1] come first, then W[t+2] and W[t+3] from them.
COS_SHA256_INLINE u32x4 schedule4(u32x4 x0, u32x4 x1, u32x4 x2, u32x4 x3) {
  const u32x4 zero = {0, 0, 0, 0};
  u32x4 w15 = __builtin_shufflevector(x0, x1, 1, 2, 3, 4);  // W[t-15..t-12]
  u32x4 w7 = __builtin_shufflevector(x2, x3, 1, 2, 3, 4);   // W[t-7..t-4]
  u32x4 s = x0 + small_sigma0x4(w15) + w7;
  s += small_sigma1x4(__builtin_shufflevector(x3, zero, 2, 3, 4, 4));
  s += small_sigma1x4(__builtin_shufflevector(s, zero, 4, 4, 0, 1));
  return s;
}

}  // namespace

// One round with the working variables named by position; the caller rotates the
// names. wk is W[t] + K[t]. Ch(e,f,g) = ((f^g)&e)^g. Maj(a,b,c) = ((a^b)&(b^c))^b,
// where b^c is the previous round's a^b (carried in bc), so Maj costs two ops.
#define COS_SHA256_ROUND(a, b, c, d, e, f, g, h, wk)                    \
  do {                                                                  \
    uint32_t t1 = h + (wk) + (((f ^ g) & e) ^ g) + big_sigma1(e);       \
    uint32_t ab = a ^ b;                                                \
    uint32_t t1_maj = t1 + ((ab & bc) ^ b);                             \
    bc = ab;                                                            \
    d += t1;                                                            \
    h = t1_maj + big_sigma0(a);                                         \
  } while (0)

// Eight rounds bring the names back to where they started.
#define COS_SHA256_8ROUNDS(WK, i)                                       \
  COS_SHA256_ROUND(a, b, c, d, e, f, g, h, WK((i) + 0));                \
  COS_SHA256_ROUND(h, a, b, c, d, e, f, g, WK((i) + 1));                \
  COS_SHA256_ROUND(g, h, a, b, c, d, e, f, WK((i) + 2));                \
  COS_SHA256_ROUND(f, g, h, a, b, c, d, e, WK((i) + 3));                \
  COS_SHA256_ROUND(e, f, g, h, a, b, c, d, WK((i) + 4));                \
  COS_SHA256_ROUND(d, e, f, g, h, a, b, c, WK((i) + 5));                \
  COS_SHA256_ROUND(c, d, e, f, g, h, a, b, WK((i) + 6));                \
  COS_SHA256_ROUND(b, c, d, e, f, g, h, a, WK((i) + 7))

// ---- Scalar: the schedule in a rolling 16-word window w[t & 15].
// W[t] += σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) in place, for t >= 16.
#define COS_SHA256_W(t)                                                           \
  ((t) < 16 ? w[(t)]                                                              \
            : (w[(t) & 15] += small_sigma1(w[((t) - 2) & 15]) + w[((t) - 7) & 15] + \
                              small_sigma0(w[((t) - 15) & 15])))
#define COS_SHA256_WK_SCALAR(t) (COS_SHA256_W(t) + K[(t)])

void sha256_blocks_scalar(uint32_t state[8], const uint8_t* data, size_t nblocks) {
  for (; nblocks != 0; --nblocks, data += kSha256BlockBytes) {
    uint32_t w[16];
    for (int t = 0; t < 16; ++t) w[t] = load_be32(data + 4 * t);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    uint32_t bc = b ^ c;
    COS_SHA256_8ROUNDS(COS_SHA256_WK_SCALAR, 0);
    COS_SHA256_8ROUNDS(COS_SHA256_WK_SCALAR, 8);
    COS_SHA256_8ROUNDS(COS_SHA256_WK_SCALAR, 16);
    COS_SHA256_8ROUNDS(COS_SHA256_WK_SCALAR, 24);
    COS_SHA256_8ROUNDS(COS_SHA256_WK_SCALAR, 32);
    COS_SHA256_8ROUNDS(COS_SHA256_WK_SCALAR, 40);
    COS_SHA256_8ROUNDS(COS_SHA256_WK_SCALAR, 48);
    COS_SHA256_8ROUNDS(COS_SHA256_WK_SCALAR, 56);
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
  }
}

// ---- Vector: W[t] + K[t] in wk[64], four words at a time; the schedule for rounds
// i+16..i+23 is computed while rounds i..i+7 run, so both kinds of unit stay busy.
// LLVM keeps wk in vector locals (extract_lane), which measured faster than memory.
#define COS_SHA256_WK_VECTOR(t) (wk[(t)])
#define COS_SHA256_STORE_WK(t, x)         \
  do {                                    \
    u32x4 sum = (x) + load_k(t);          \
    std::memcpy(&wk[(t)], &sum, 16);      \
  } while (0)
#define COS_SHA256_SCHEDULE4(t)                    \
  do {                                             \
    u32x4 next = schedule4(x0, x1, x2, x3);        \
    x0 = x1; x1 = x2; x2 = x3; x3 = next;          \
    COS_SHA256_STORE_WK(t, next);                  \
  } while (0)
#define COS_SHA256_SCHEDULE8_8ROUNDS(i)            \
  COS_SHA256_SCHEDULE4((i) + 16);                  \
  COS_SHA256_SCHEDULE4((i) + 20);                  \
  COS_SHA256_8ROUNDS(COS_SHA256_WK_VECTOR, (i))

void sha256_blocks_vector(uint32_t state[8], const uint8_t* data, size_t nblocks) {
  alignas(16) uint32_t wk[64];
  for (; nblocks != 0; --nblocks, data += kSha256BlockBytes) {
    u32x4 x0 = load_be32x4(data), x1 = load_be32x4(data + 16);
    u32x4 x2 = load_be32x4(data + 32), x3 = load_be32x4(data + 48);
    COS_SHA256_STORE_WK(0, x0); COS_SHA256_STORE_WK(4, x1);
    COS_SHA256_STORE_WK(8, x2); COS_SHA256_STORE_WK(12, x3);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    uint32_t bc = b ^ c;
    COS_SHA256_SCHEDULE8_8ROUNDS(0);
    COS_SHA256_SCHEDULE8_8ROUNDS(8);
    COS_SHA256_SCHEDULE8_8ROUNDS(16);
    COS_SHA256_SCHEDULE8_8ROUNDS(24);
    COS_SHA256_SCHEDULE8_8ROUNDS(32);
    COS_SHA256_SCHEDULE8_8ROUNDS(40);
    COS_SHA256_8ROUNDS(COS_SHA256_WK_VECTOR, 48);
    COS_SHA256_8ROUNDS(COS_SHA256_WK_VECTOR, 56);
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
  }
}

#undef COS_SHA256_SCHEDULE8_8ROUNDS
#undef COS_SHA256_SCHEDULE4
#undef COS_SHA256_STORE_WK
#undef COS_SHA256_WK_VECTOR
#undef COS_SHA256_WK_SCALAR
#undef COS_SHA256_W
#undef COS_SHA256_8ROUNDS
#undef COS_SHA256_ROUND
#undef COS_SHA256_INLINE

void sha256_blocks(uint32_t state[8], const uint8_t* data, size_t nblocks) {
  if constexpr (sha256_blocks_uses_vector()) {
    sha256_blocks_vector(state, data, nblocks);
  } else {
    sha256_blocks_scalar(state, data, nblocks);
  }
}

}  // namespace cosp
