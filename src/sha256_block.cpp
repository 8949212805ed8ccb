// SHA-256 compression, fully unrolled. Why it looks like this (measured under
// emcc -O3 + V8, see docs/hashing.md): the eight working variables stay in locals
// and change roles by macro renaming instead of moves; every round constant is an
// immediate; the message schedule is a rolling 16-word window that LLVM turns into
// locals; Wasm has a native rotate but no byte swap, so big-endian loads use two
// masks and two rotates.
#include "sha256_block.h"

#include <cstring>

namespace cosp {
namespace {

inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

inline uint32_t load_be32(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
#if defined(__wasm__)
  // 5 Wasm ops; LLVM lowers __builtin_bswap32 to ~10 shifts and masks on Wasm.
  return rotr(w & 0xff00ff00u, 24) | rotr(w & 0x00ff00ffu, 8);
#else
  return __builtin_bswap32(w);
#endif
}

// Σ0, Σ1, σ0, σ1 of FIPS 180-4 §4.1.2.
inline uint32_t big_sigma0(uint32_t x) { return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22); }
inline uint32_t big_sigma1(uint32_t x) { return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25); }
inline uint32_t small_sigma0(uint32_t x) { return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3); }
inline uint32_t small_sigma1(uint32_t x) { return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10); }

}  // namespace

// One round with the working variables named by position; the caller rotates the
// names. Ch(e,f,g) = ((f^g)&e)^g. Maj(a,b,c) = ((a^b)&(b^c))^b, where b^c is the
// previous round's a^b (carried in bc), so Maj costs two ops.
#define COS_SHA256_ROUND(a, b, c, d, e, f, g, h, k, w)               \
  do {                                                               \
    uint32_t t1 = h + big_sigma1(e) + (((f ^ g) & e) ^ g) + (k) + (w); \
    uint32_t ab = a ^ b;                                             \
    uint32_t t2 = big_sigma0(a) + ((ab & bc) ^ b);                   \
    bc = ab;                                                         \
    d += t1;                                                         \
    h = t1 + t2;                                                     \
  } while (0)

// Eight rounds rotate the names back to the start.
#define COS_SHA256_8ROUNDS(i, W0, W1, W2, W3, W4, W5, W6, W7)                  \
  COS_SHA256_ROUND(a, b, c, d, e, f, g, h, K[(i) + 0], W0);                    \
  COS_SHA256_ROUND(h, a, b, c, d, e, f, g, K[(i) + 1], W1);                    \
  COS_SHA256_ROUND(g, h, a, b, c, d, e, f, K[(i) + 2], W2);                    \
  COS_SHA256_ROUND(f, g, h, a, b, c, d, e, K[(i) + 3], W3);                    \
  COS_SHA256_ROUND(e, f, g, h, a, b, c, d, K[(i) + 4], W4);                    \
  COS_SHA256_ROUND(d, e, f, g, h, a, b, c, K[(i) + 5], W5);                    \
  COS_SHA256_ROUND(c, d, e, f, g, h, a, b, K[(i) + 6], W6);                    \
  COS_SHA256_ROUND(b, c, d, e, f, g, h, a, K[(i) + 7], W7)

// σ1(w[t-2]) + w[t-7] + σ0(w[t-15]) + w[t-16], in place in the 16-word window.
#define COS_SHA256_SCHED(t) \
  (w[(t) & 15] += small_sigma1(w[((t) - 2) & 15]) + w[((t) - 7) & 15] + small_sigma0(w[((t) - 15) & 15]))

#define COS_SHA256_16ROUNDS(i)                                                        \
  COS_SHA256_8ROUNDS((i), COS_SHA256_SCHED((i) + 0), COS_SHA256_SCHED((i) + 1),       \
                     COS_SHA256_SCHED((i) + 2), COS_SHA256_SCHED((i) + 3),            \
                     COS_SHA256_SCHED((i) + 4), COS_SHA256_SCHED((i) + 5),            \
                     COS_SHA256_SCHED((i) + 6), COS_SHA256_SCHED((i) + 7));           \
  COS_SHA256_8ROUNDS((i) + 8, COS_SHA256_SCHED((i) + 8), COS_SHA256_SCHED((i) + 9),   \
                     COS_SHA256_SCHED((i) + 10), COS_SHA256_SCHED((i) + 11),          \
                     COS_SHA256_SCHED((i) + 12), COS_SHA256_SCHED((i) + 13),          \
                     COS_SHA256_SCHED((i) + 14), COS_SHA256_SCHED((i) + 15))

void sha256_blocks(uint32_t state[8], const uint8_t* data, size_t nblocks) {
  // FIPS 180-4 §4.2.2.
  static constexpr uint32_t K[64] = {
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

  uint32_t s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
  uint32_t s4 = state[4], s5 = state[5], s6 = state[6], s7 = state[7];
  for (; nblocks != 0; --nblocks, data += kSha256BlockBytes) {
    uint32_t a = s0, b = s1, c = s2, d = s3, e = s4, f = s5, g = s6, h = s7;
    uint32_t bc = b ^ c;
    uint32_t w[16];
    for (int t = 0; t < 16; ++t) w[t] = load_be32(data + 4 * t);

    COS_SHA256_8ROUNDS(0, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
    COS_SHA256_8ROUNDS(8, w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15]);
    COS_SHA256_16ROUNDS(16);
    COS_SHA256_16ROUNDS(32);
    COS_SHA256_16ROUNDS(48);

    s0 += a; s1 += b; s2 += c; s3 += d;
    s4 += e; s5 += f; s6 += g; s7 += h;
  }
  state[0] = s0; state[1] = s1; state[2] = s2; state[3] = s3;
  state[4] = s4; state[5] = s5; state[6] = s6; state[7] = s7;
}

#undef COS_SHA256_16ROUNDS
#undef COS_SHA256_SCHED
#undef COS_SHA256_8ROUNDS
#undef COS_SHA256_ROUND

}  // namespace cosp
