// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320): the checksum of every journal
// record. Detects torn and bit-flipped records; it is not a defence against tampering.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cosp {

// Continues a running CRC: crc32(crc32(0, a), b) == crc32(0, a || b).
uint32_t crc32(uint32_t crc, const uint8_t* data, size_t length);

}  // namespace cosp
