// The index journal codec: a versioned header, then an append-only run of small
// framed records (length, type, sequence number, payload, CRC-32), little-endian.
// Pure bytes in, bytes out: the hub worker owns the OPFS file. Format: docs/journal.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hash_id.h"
#include "status.h"

namespace cosp::journal {

constexpr uint8_t kMagic[4] = {'C', 'O', 'S', 'J'};
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderBytes = 16;  // magic(4) version(1) reserved(3) generation(u64)
// length(u32) + type(u8) + seq(u64) + crc(u32)
constexpr size_t kFrameOverhead = 4 + 1 + 8 + 4;
// A record body (type + seq + payload) longer than this is corrupt, not torn.
constexpr uint32_t kMaxBodyBytes = 1u << 20;

enum class RecordType : uint8_t {
  kName = 1,           // defines journal name id N (an origin or a site string)
  kPut = 2,            // full visibility state of one entry (idempotent)
  kRemove = 3,         // entry evicted or removed
  kReaderUsage = 4,    // absolute usage of one reading origin on one entry (soft state)
  kSiteUsage = 5,      // absolute counters of one site (soft state)
  kProbe = 6,          // a site spent probe budget on a hash (soft state)
  kSnapshotBegin = 7,  // first record of a compacted snapshot
  kSnapshotEnd = 8,    // last record of a compacted snapshot: the snapshot is whole
};

struct Header {
  uint64_t generation = 0;  // bumped by each compaction, so another instance can tell
};

void encode_header(const Header& header, std::vector<uint8_t>* out);
// kOk, kNotFound when fewer than kHeaderBytes bytes exist (an empty or torn file),
// kCorrupt on a wrong magic or an unknown version.
Status decode_header(const uint8_t* data, size_t size, Header* out);

struct RecordView {
  RecordType type{};
  uint64_t seq = 0;
  const uint8_t* payload = nullptr;
  size_t payload_size = 0;
};

enum class FrameResult { kOk, kIncomplete, kCorrupt };

// Appends one framed record to *out.
void append_frame(RecordType type, uint64_t seq, const std::vector<uint8_t>& payload,
                  std::vector<uint8_t>* out);
// Reads the framed record at data[0, size). kIncomplete when the bytes end inside it
// (a torn tail), kCorrupt when its checksum or length is wrong. *consumed on kOk.
FrameResult decode_frame(const uint8_t* data, size_t size, RecordView* out, size_t* consumed);

// ---- Typed payloads. Name ids are journal-local; the index maps them to its own.

struct NameRecord {
  uint32_t id = 0;
  std::string text;
};

struct PutRecord {
  Digest digest{};
  uint64_t size = 0;
  int64_t created_ms = 0;
  int64_t last_access_ms = 0;  // stored as a difference from created_ms
  uint32_t content_type = 0;   // 0: none; else name id + 1 (few types, many entries)
  bool global = false;
  std::vector<uint32_t> storers;  // name ids of the storing origins
  std::vector<uint32_t> listed;   // name ids of the listed origins
};

struct RemoveRecord {
  Digest digest{};
};

// count == 0 means "forget this reader on this entry".
struct ReaderUsageRecord {
  Digest digest{};
  uint32_t origin = 0;
  int64_t last_access_ms = 0;
  uint64_t count = 0;
  uint64_t bytes = 0;
};

struct SiteUsageRecord {
  uint32_t site = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t bytes_served = 0;
  uint64_t saved_downloads = 0;
};

struct ProbeRecord {
  uint32_t site = 0;
  Digest digest{};
  int64_t at_ms = 0;
};

struct SnapshotEndRecord {
  uint64_t records = 0;  // records between SnapshotBegin and SnapshotEnd
};

void encode(const NameRecord& r, std::vector<uint8_t>* out);
void encode(const PutRecord& r, std::vector<uint8_t>* out);
void encode(const RemoveRecord& r, std::vector<uint8_t>* out);
void encode(const ReaderUsageRecord& r, std::vector<uint8_t>* out);
void encode(const SiteUsageRecord& r, std::vector<uint8_t>* out);
void encode(const ProbeRecord& r, std::vector<uint8_t>* out);
void encode(const SnapshotEndRecord& r, std::vector<uint8_t>* out);

// Each decode accepts exactly one payload: trailing or missing bytes return false.
bool decode(const uint8_t* p, size_t n, NameRecord* out);
bool decode(const uint8_t* p, size_t n, PutRecord* out);
bool decode(const uint8_t* p, size_t n, RemoveRecord* out);
bool decode(const uint8_t* p, size_t n, ReaderUsageRecord* out);
bool decode(const uint8_t* p, size_t n, SiteUsageRecord* out);
bool decode(const uint8_t* p, size_t n, ProbeRecord* out);
bool decode(const uint8_t* p, size_t n, SnapshotEndRecord* out);

// Upper bounds that keep a hostile payload from allocating much.
constexpr size_t kMaxNameBytes = 2048;
constexpr size_t kMaxContentTypeBytes = 256;
constexpr size_t kMaxIdsPerList = 4096;

}  // namespace cosp::journal
