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
// (any alignment), updating state in place. nblocks == 0 does nothing.
void sha256_blocks(uint32_t state[8], const uint8_t* data, size_t nblocks);

}  // namespace cosp
