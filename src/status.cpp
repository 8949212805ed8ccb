#include "status.h"

namespace cosp {

const char* status_name(Status status) {
  switch (status) {
    case Status::kOk: return "Ok";
    case Status::kInvalidAlgorithm: return "InvalidAlgorithm";
    case Status::kUnsupportedAlgorithm: return "UnsupportedAlgorithm";
    case Status::kInvalidHashValue: return "InvalidHashValue";
    case Status::kInvalidOrigin: return "InvalidOrigin";
    case Status::kOpaqueOrigin: return "OpaqueOrigin";
    case Status::kTooManyOrigins: return "TooManyOrigins";
    case Status::kInvalidIntegrity: return "InvalidIntegrity";
    case Status::kNotFound: return "NotFound";
    case Status::kNotAllowed: return "NotAllowed";
    case Status::kDataMismatch: return "DataMismatch";
    case Status::kQuotaExceeded: return "QuotaExceeded";
    case Status::kInvalidState: return "InvalidState";
    case Status::kCorrupt: return "Corrupt";
  }
  return "Unknown";
}

const char* status_message(Status status) {
  switch (status) {
    case Status::kOk: return "ok";
    case Status::kInvalidAlgorithm: return "hash.algorithm is not a known digest algorithm name";
    case Status::kUnsupportedAlgorithm: return "hash.algorithm is not supported: only SHA-256 can be stored";
    case Status::kInvalidHashValue: return "hash.value must be exactly 64 lowercase hexadecimal digits";
    case Status::kInvalidOrigin: return "origin does not parse as a URL with an origin";
    case Status::kOpaqueOrigin: return "origin is opaque (data:, file:, null, ...) and cannot be granted access";
    case Status::kTooManyOrigins: return "options.origins lists more origins than allowed";
    case Status::kInvalidIntegrity: return "integrity has no sha256-<base64> digest";
    case Status::kNotFound: return "A requested file or directory could not be found at the time an operation was processed.";
    case Status::kNotAllowed: return "The request is not allowed.";
    case Status::kDataMismatch: return "The written bytes do not match the hash.";
    case Status::kQuotaExceeded: return "The storage quota has been exceeded.";
    case Status::kInvalidState: return "The object is in an invalid state.";
    case Status::kCorrupt: return "A stored record is corrupt.";
  }
  return "unknown status";
}

}  // namespace cosp
