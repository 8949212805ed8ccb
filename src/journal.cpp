#include "journal.h"

#include <cstring>

#include "crc32.h"

namespace cosp::journal {
namespace {

void put_u32(uint32_t v, std::vector<uint8_t>* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u64(uint64_t v, std::vector<uint8_t>* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// Unsigned LEB128; signed values go through zigzag so small negatives stay small.
void put_varint(uint64_t v, std::vector<uint8_t>* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}
void put_svarint(int64_t v, std::vector<uint8_t>* out) {
  put_varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
}
void put_digest(const Digest& d, std::vector<uint8_t>* out) { out->insert(out->end(), d.begin(), d.end()); }
void put_string(const std::string& s, std::vector<uint8_t>* out) {
  put_varint(s.size(), out);
  out->insert(out->end(), s.begin(), s.end());
}
void put_ids(const std::vector<uint32_t>& ids, std::vector<uint8_t>* out) {
  put_varint(ids.size(), out);
  for (uint32_t id : ids) put_varint(id, out);
}

// Bounds-checked cursor: any overrun latches ok = false and yields zeros.
class Cursor {
 public:
  Cursor(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == n_; }

  // Inlined into each decoder: replay runs in V8's baseline compiler at start, where a
  // call per field costs more than the field.
  __attribute__((always_inline)) uint64_t varint() {
    // Most varints in a record (ids, flags, small counts) are one byte.
    if (pos_ < n_ && p_[pos_] < 0x80) return p_[pos_++];
    return varint_long();
  }
  __attribute__((noinline)) uint64_t varint_long() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= n_) return fail();
      uint8_t b = p_[pos_++];
      if (shift == 63 && b > 1) return fail();  // would overflow 64 bits
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail();
  }
  int64_t svarint() {
    uint64_t z = varint();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  uint32_t varint32() {
    uint64_t v = varint();
    if (v > UINT32_MAX) return static_cast<uint32_t>(fail());
    return static_cast<uint32_t>(v);
  }
  uint8_t byte() {
    if (pos_ >= n_) return static_cast<uint8_t>(fail());
    return p_[pos_++];
  }
  void digest(Digest* d) {
    if (n_ - pos_ < d->size() || !ok_) {
      fail();
      return;
    }
    std::memcpy(d->data(), p_ + pos_, d->size());
    pos_ += d->size();
  }
  void string(std::string* s, size_t max) {
    uint64_t len = varint();
    if (!ok_ || len > max || len > n_ - pos_) {
      fail();
      return;
    }
    s->assign(reinterpret_cast<const char*>(p_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
  }
  void ids(std::vector<uint32_t>* out) {
    uint64_t count = varint();
    if (!ok_ || count > kMaxIdsPerList || count > n_ - pos_) {  // each id takes >= 1 byte
      fail();
      return;
    }
    // clear() + push_back, not resize(): a reused record keeps its capacity and no
    // element is zeroed first.
    out->clear();
    for (uint64_t i = 0; i < count && ok_; ++i) out->push_back(varint32());
  }

 private:
  uint64_t fail() {
    ok_ = false;
    pos_ = n_;
    return 0;
  }
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

void encode_header(const Header& header, std::vector<uint8_t>* out) {
  out->insert(out->end(), kMagic, kMagic + 4);
  out->push_back(kVersion);
  out->push_back(0);
  out->push_back(0);
  out->push_back(0);
  put_u64(header.generation, out);
}

Status decode_header(const uint8_t* data, size_t size, Header* out) {
  if (size < kHeaderBytes) {
    // A torn header is only "not there yet" when what exists is a prefix of a valid one.
    size_t check = size < 4 ? size : 4;
    if (std::memcmp(data, kMagic, check) != 0) return Status::kCorrupt;
    if (size > 4 && data[4] != kVersion) return Status::kCorrupt;
    return Status::kNotFound;
  }
  if (std::memcmp(data, kMagic, 4) != 0 || data[4] != kVersion) return Status::kCorrupt;
  out->generation = get_u64(data + 8);
  return Status::kOk;
}

void append_frame(RecordType type, uint64_t seq, const std::vector<uint8_t>& payload,
                  std::vector<uint8_t>* out) {
  size_t start = out->size();
  put_u32(static_cast<uint32_t>(1 + 8 + payload.size()), out);
  out->push_back(static_cast<uint8_t>(type));
  put_u64(seq, out);
  out->insert(out->end(), payload.begin(), payload.end());
  put_u32(crc32(0, out->data() + start, out->size() - start), out);
}

FrameResult decode_frame(const uint8_t* data, size_t size, RecordView* out, size_t* consumed) {
  if (size < 4) return FrameResult::kIncomplete;
  uint32_t body = get_u32(data);
  if (body < 9 || body > kMaxBodyBytes) return FrameResult::kCorrupt;
  size_t total = 4 + static_cast<size_t>(body) + 4;
  if (size < total) return FrameResult::kIncomplete;
  if (crc32(0, data, 4 + body) != get_u32(data + 4 + body)) return FrameResult::kCorrupt;
  out->type = static_cast<RecordType>(data[4]);
  out->seq = get_u64(data + 5);
  out->payload = data + 13;
  out->payload_size = body - 9;
  *consumed = total;
  return FrameResult::kOk;
}

void encode(const NameRecord& r, std::vector<uint8_t>* out) {
  put_varint(r.id, out);
  put_string(r.text, out);
}

void encode(const PutRecord& r, std::vector<uint8_t>* out) {
  put_digest(r.digest, out);
  put_varint(r.size, out);
  put_svarint(r.created_ms, out);
  // Unsigned arithmetic: wraps instead of overflowing on hostile values.
  put_svarint(static_cast<int64_t>(static_cast<uint64_t>(r.last_access_ms) -
                                   static_cast<uint64_t>(r.created_ms)),
              out);
  put_varint(r.content_type, out);
  out->push_back(r.global ? 1 : 0);
  put_ids(r.storers, out);
  put_ids(r.listed, out);
}

void encode(const RemoveRecord& r, std::vector<uint8_t>* out) { put_digest(r.digest, out); }

void encode(const ReaderUsageRecord& r, std::vector<uint8_t>* out) {
  put_digest(r.digest, out);
  put_varint(r.origin, out);
  put_svarint(r.last_access_ms, out);
  put_varint(r.count, out);
  put_varint(r.bytes, out);
}

void encode(const SiteUsageRecord& r, std::vector<uint8_t>* out) {
  put_varint(r.site, out);
  put_varint(r.hits, out);
  put_varint(r.misses, out);
  put_varint(r.bytes_served, out);
  put_varint(r.saved_downloads, out);
}

void encode(const ProbeRecord& r, std::vector<uint8_t>* out) {
  put_varint(r.site, out);
  put_digest(r.digest, out);
  put_svarint(r.at_ms, out);
}

void encode(const SnapshotEndRecord& r, std::vector<uint8_t>* out) { put_varint(r.records, out); }

bool decode(const uint8_t* p, size_t n, NameRecord* out) {
  Cursor c(p, n);
  out->id = c.varint32();
  c.string(&out->text, kMaxNameBytes);
  return c.done();
}

bool decode(const uint8_t* p, size_t n, PutRecord* out) {
  Cursor c(p, n);
  c.digest(&out->digest);
  out->size = c.varint();
  out->created_ms = c.svarint();
  out->last_access_ms = static_cast<int64_t>(static_cast<uint64_t>(out->created_ms) +
                                             static_cast<uint64_t>(c.svarint()));
  out->content_type = c.varint32();
  uint8_t flags = c.byte();
  if (flags > 1) return false;
  out->global = flags == 1;
  c.ids(&out->storers);
  c.ids(&out->listed);
  return c.done();
}

bool decode(const uint8_t* p, size_t n, RemoveRecord* out) {
  Cursor c(p, n);
  c.digest(&out->digest);
  return c.done();
}

bool decode(const uint8_t* p, size_t n, ReaderUsageRecord* out) {
  Cursor c(p, n);
  c.digest(&out->digest);
  out->origin = c.varint32();
  out->last_access_ms = c.svarint();
  out->count = c.varint();
  out->bytes = c.varint();
  return c.done();
}

bool decode(const uint8_t* p, size_t n, SiteUsageRecord* out) {
  Cursor c(p, n);
  out->site = c.varint32();
  out->hits = c.varint();
  out->misses = c.varint();
  out->bytes_served = c.varint();
  out->saved_downloads = c.varint();
  return c.done();
}

bool decode(const uint8_t* p, size_t n, ProbeRecord* out) {
  Cursor c(p, n);
  out->site = c.varint32();
  c.digest(&out->digest);
  out->at_ms = c.svarint();
  return c.done();
}

bool decode(const uint8_t* p, size_t n, SnapshotEndRecord* out) {
  Cursor c(p, n);
  out->records = c.varint();
  return c.done();
}

}  // namespace cosp::journal
