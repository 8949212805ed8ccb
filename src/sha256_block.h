// SHA-256 compression function (FIPS 180-4 §6.2.2) over whole 64-byte blocks,
// written for WebAssembly speed: the hub hashes every stored byte through it.
// Sha256Stream does the buffering and padding; libsodium stays the reference.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cosp {

constexpr size_t kSha256BlockBytes = 64;

// FIPS 180-4 §5.3.3: the initial hash value H(0).
constexpr uint32_t kSha256InitialState[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

// Runs the compression function over nblocks consecutive 64-byte blocks of data
// (any alignment; must not overlap state), updating state in place. nblocks == 0
// does nothing.
// This is the fastest variant compiled in (see sha256_blocks_uses_vector()).
void sha256_blocks(uint32_t state[8], const uint8_t* data, size_t nblocks);

// The two variants behind sha256_blocks, both always compiled so tests can compare
// each with libsodium. Scalar: 32-bit integer ops only. Vector: the message schedule
// in 4-lane vectors (Wasm SIMD when built with -msimd128; SSE natively).
void sha256_blocks_scalar(uint32_t state[8], const uint8_t* data, size_t nblocks);
void sha256_blocks_vector(uint32_t state[8], const uint8_t* data, size_t nblocks);

// True when sha256_blocks is the vector variant, the faster one as measured (see
// docs/hashing.md): in Wasm only with -msimd128 (otherwise the vector code is
// lowered to slow scalar code); natively with Clang, but not with GCC, whose scalar
// code is faster.
constexpr bool sha256_blocks_uses_vector() {
#if defined(__wasm__)
#if defined(__wasm_simd128__)
  return true;
#else
  return false;
#endif
#elif defined(__clang__)
  return true;
#else
  return false;
#endif
}

}  // namespace cosp
