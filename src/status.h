// Status codes returned by every fallible function of the core. No C++ exception
// ever leaves src/; the JS layer turns a status into an Error (js/errors.js).
#pragma once

#include <cstdint>

namespace cosp {

enum class Status : int32_t {
  kOk = 0,
  kInvalidAlgorithm = 1,      // not a Web Crypto digest name              -> TypeError
  kUnsupportedAlgorithm = 2,  // a Web Crypto digest other than SHA-256    -> TypeError
  kInvalidHashValue = 3,      // not exactly 64 lowercase hex digits       -> TypeError
  kInvalidOrigin = 4,         // does not parse as a URL with an origin    -> TypeError
  kOpaqueOrigin = 5,          // data:, file:, null, ... (no tuple origin) -> TypeError
  kTooManyOrigins = 6,        // origins list longer than the cap          -> TypeError
  kInvalidIntegrity = 7,      // no usable sha256-<base64> token           -> TypeError
  kNotFound = 8,              // a read that is not disclosed              -> NotFoundError
  kNotAllowed = 9,            //                                           -> NotAllowedError
  kDataMismatch = 10,         // bytes do not hash to the id               -> DataError
  kQuotaExceeded = 11,        //                                           -> QuotaExceededError
  kInvalidState = 12,         //                                           -> InvalidStateError
  kCorrupt = 13,              // a persisted record failed its checksum    -> internal
};

// Stable identifier, e.g. "InvalidHashValue" (exported to JS so names never drift).
const char* status_name(Status status);
// One-line English explanation suitable for an Error message.
const char* status_message(Status status);

}  // namespace cosp
