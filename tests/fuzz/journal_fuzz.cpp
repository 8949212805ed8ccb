// Fuzzes the journal decoder through the index: any bytes must replay without a crash,
// report every byte as either valid or dropped, and survive compaction unchanged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "index.h"
#include "journal.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool same_entries(const cosp::Index& a, const cosp::Index& b) {
  std::vector<cosp::EntryInfo> x = a.entries(), y = b.entries();
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    const cosp::EntryInfo &p = x[i], &q = y[i];
    if (p.id != q.id || p.size != q.size || p.content_type != q.content_type ||
        p.created_ms != q.created_ms || p.last_access_ms != q.last_access_ms ||
        p.global != q.global || p.storers != q.storers || p.listed != q.listed ||
        p.readers.size() != q.readers.size() || p.reads != q.reads ||
        p.bytes_served != q.bytes_served)
      return false;
  }
  return a.used_bytes() == b.used_bytes();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Each decoder alone, on the raw input.
  cosp::journal::RecordView rec;
  size_t consumed = 0;
  if (cosp::journal::decode_frame(data, size, &rec, &consumed) ==
      cosp::journal::FrameResult::kOk)
    check(consumed <= size && rec.payload_size + cosp::journal::kFrameOverhead == consumed);
  cosp::journal::PutRecord put;
  if (cosp::journal::decode(data, size, &put)) {
    std::vector<uint8_t> again;
    cosp::journal::encode(put, &again);
    cosp::journal::PutRecord back;
    check(cosp::journal::decode(again.data(), again.size(), &back));
    check(back.storers == put.storers && back.listed == put.listed &&
          back.last_access_ms == put.last_access_ms && back.size == put.size);
  }

  // Two files from one input: the raw bytes behind a header, and the input read as
  // (type, length, payload) chunks framed with valid checksums and sequence numbers,
  // so the payload decoders and the appliers are reached past the CRC.
  std::vector<uint8_t> raw;
  cosp::journal::encode_header(cosp::journal::Header{1}, &raw);
  raw.insert(raw.end(), data, data + size);
  std::vector<uint8_t> framed;
  cosp::journal::encode_header(cosp::journal::Header{1}, &framed);
  uint64_t seq = 1;
  for (size_t pos = 0; pos + 2 <= size;) {
    auto type = static_cast<cosp::journal::RecordType>(data[pos] % 10);
    size_t len = data[pos + 1];
    pos += 2;
    if (len > size - pos) len = size - pos;
    std::vector<uint8_t> payload(data + pos, data + pos + len);
    pos += len;
    cosp::journal::append_frame(type, seq++, payload, &framed);
  }
  for (const std::vector<uint8_t>* file : {&raw, &framed}) {
    cosp::Index index;
    cosp::OpenStats st = index.open(file->data(), file->size());
    check(st.valid_bytes + st.dropped_bytes == file->size());
    check(st.entries == index.size());

    // The same file fed in pieces, as the Wasm binding does, gives the same result.
    cosp::Index pieces;
    pieces.open_begin(file->size());
    std::vector<uint8_t> held;
    const size_t chunk = 1 + (size > 0 ? data[0] % 61 : 0);
    for (size_t fed = 0; fed < file->size() && !pieces.open_stopped();) {
      size_t n = std::min(chunk, file->size() - fed);
      held.insert(held.end(), file->begin() + static_cast<std::ptrdiff_t>(fed),
                  file->begin() + static_cast<std::ptrdiff_t>(fed + n));
      fed += n;
      size_t used = pieces.open_feed(held.data(), held.size());
      check(used <= held.size());
      held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(used));
    }
    cosp::OpenStats ps = pieces.open_end(file->size());
    check(ps.status == st.status && ps.valid_bytes == st.valid_bytes &&
          ps.dropped_bytes == st.dropped_bytes && ps.records == st.records &&
          ps.last_seq == st.last_seq && ps.snapshot_complete == st.snapshot_complete);
    check(same_entries(index, pieces));

    std::vector<uint8_t> snapshot = index.compact(0);
    cosp::Index reopened;
    cosp::OpenStats again = reopened.open(snapshot.data(), snapshot.size());
    check(again.status == cosp::Status::kOk && again.dropped_bytes == 0 &&
          again.snapshot_complete);
    check(same_entries(index, reopened));

    // The same bytes as another instance's tail.
    cosp::Index other;
    cosp::TailStats tail = other.apply_tail(file->data(), file->size());
    check(tail.consumed_bytes <= file->size());
  }
  return 0;
}
