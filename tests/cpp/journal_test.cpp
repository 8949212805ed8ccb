// The journal: CRC-32, record framing and payloads, index replay (torn tails cut at
// every byte), compaction, usage batching and two instances sharing one file.
#include "journal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <sstream>
#include <string>

#include "crc32.h"
#include "index.h"
#include "sha256_stream.h"

namespace cosp {
namespace {

using journal::FrameResult;
using journal::RecordType;
using journal::RecordView;

HashId H(int n) {
  std::string text = "journal-" + std::to_string(n);
  HashId id;
  id.digest = Sha256Stream::digest(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  return id;
}

constexpr int64_t kNow = 1'700'000'000'000;

// Everything an entry listing shows, in a stable order, as text.
std::string Describe(const Index& index) {
  std::ostringstream out;
  for (const EntryInfo& e : index.entries()) {
    out << e.id.hex().substr(0, 8) << " size=" << e.size << " type=" << e.content_type
        << " created=" << e.created_ms << " last=" << e.last_access_ms << " global=" << e.global
        << " storers=";
    for (const auto& s : e.storers) out << s << ",";
    out << " listed=";
    for (const auto& s : e.listed) out << s << ",";
    out << " readers=";
    for (const auto& r : e.readers) out << r.origin << "@" << r.last_access_ms << "x" << r.count
                                        << "/" << r.bytes << ",";
    out << "\n";
  }
  for (const SiteInfo& s : index.sites())
    out << s.site << " stored=" << s.entries_stored << "/" << s.bytes_stored
        << " served=" << s.bytes_served << " hits=" << s.hits << " misses=" << s.misses
        << " saved=" << s.saved_downloads << "\n";
  return out.str();
}

void Append(Index* index, std::vector<uint8_t>* file) {
  std::vector<uint8_t> bytes = index->take_pending_journal_bytes();
  file->insert(file->end(), bytes.begin(), bytes.end());
}

// ---- CRC-32 and frames

TEST(JournalCrc32, MatchesTheStandardCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32(0, reinterpret_cast<const uint8_t*>(check.data()), check.size()), 0xCBF43926u);
  EXPECT_EQ(crc32(0, nullptr, 0), 0u);
}

TEST(JournalCrc32, ContinuesAcrossChunks) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  uint32_t whole = crc32(0, data.data(), data.size());
  for (size_t split : {0, 1, 63, 64, 65, 999, 1000})
    EXPECT_EQ(crc32(crc32(0, data.data(), split), data.data() + split, data.size() - split), whole);
}

TEST(JournalFrame, RoundTripsTypeSeqAndPayload) {
  std::vector<uint8_t> file;
  journal::append_frame(RecordType::kRemove, 7, {1, 2, 3}, &file);
  journal::append_frame(RecordType::kSnapshotBegin, 8, {}, &file);
  EXPECT_EQ(file.size(), 2 * journal::kFrameOverhead + 3);
  EXPECT_EQ(file[0], 12);  // body length, little-endian: type + seq + 3 bytes
  EXPECT_EQ(file[5], 7);   // seq, little-endian
  RecordView rec;
  size_t consumed = 0;
  ASSERT_EQ(journal::decode_frame(file.data(), file.size(), &rec, &consumed), FrameResult::kOk);
  EXPECT_EQ(rec.type, RecordType::kRemove);
  EXPECT_EQ(rec.seq, 7u);
  EXPECT_EQ(std::vector<uint8_t>(rec.payload, rec.payload + rec.payload_size),
            (std::vector<uint8_t>{1, 2, 3}));
  ASSERT_EQ(journal::decode_frame(file.data() + consumed, file.size() - consumed, &rec, &consumed),
            FrameResult::kOk);
  EXPECT_EQ(rec.seq, 8u);
  EXPECT_EQ(rec.payload_size, 0u);
}

TEST(JournalFrame, TornFrameIsIncompleteAtEveryLength) {
  std::vector<uint8_t> file;
  journal::append_frame(RecordType::kRemove, 1, std::vector<uint8_t>(32, 9), &file);
  RecordView rec;
  size_t consumed = 0;
  for (size_t n = 0; n < file.size(); ++n)
    EXPECT_EQ(journal::decode_frame(file.data(), n, &rec, &consumed), FrameResult::kIncomplete) << n;
}

TEST(JournalFrame, AnyFlippedBitIsCorrupt) {
  std::vector<uint8_t> file;
  journal::append_frame(RecordType::kRemove, 1, std::vector<uint8_t>(32, 9), &file);
  RecordView rec;
  size_t consumed = 0;
  for (size_t byte = 0; byte < file.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> bad = file;
      bad[byte] ^= static_cast<uint8_t>(1 << bit);
      EXPECT_NE(journal::decode_frame(bad.data(), bad.size(), &rec, &consumed), FrameResult::kOk)
          << byte << ":" << bit;
    }
  }
}

TEST(JournalFrame, OversizedLengthIsCorruptNotTorn) {
  std::vector<uint8_t> file = {0xFF, 0xFF, 0xFF, 0x7F, 1};
  RecordView rec;
  size_t consumed = 0;
  EXPECT_EQ(journal::decode_frame(file.data(), file.size(), &rec, &consumed), FrameResult::kCorrupt);
}

TEST(JournalHeader, RoundTripsAndRejectsForeignFiles) {
  std::vector<uint8_t> h;
  journal::encode_header(journal::Header{0x0102030405060708ull}, &h);
  ASSERT_EQ(h.size(), journal::kHeaderBytes);
  journal::Header out;
  ASSERT_EQ(journal::decode_header(h.data(), h.size(), &out), Status::kOk);
  EXPECT_EQ(out.generation, 0x0102030405060708ull);
  EXPECT_EQ(journal::decode_header(h.data(), 7, &out), Status::kNotFound);  // torn
  h[0] = 'X';
  EXPECT_EQ(journal::decode_header(h.data(), h.size(), &out), Status::kCorrupt);
  h[0] = 'C';
  h[4] = 99;  // a future version
  EXPECT_EQ(journal::decode_header(h.data(), h.size(), &out), Status::kCorrupt);
}

// ---- payloads

TEST(JournalPayload, PutRoundTrips) {
  journal::PutRecord put;
  put.digest = H(1).digest;
  put.size = 27ull << 30;
  put.created_ms = -5;
  put.last_access_ms = INT64_MAX;  // the stored difference wraps, the value does not
  put.content_type = 3;
  put.global = true;
  put.storers = {0, 300, 70000};
  put.listed = {1, 2};
  std::vector<uint8_t> bytes;
  journal::encode(put, &bytes);
  journal::PutRecord back;
  ASSERT_TRUE(journal::decode(bytes.data(), bytes.size(), &back));
  EXPECT_EQ(back.digest, put.digest);
  EXPECT_EQ(back.size, put.size);
  EXPECT_EQ(back.created_ms, -5);
  EXPECT_EQ(back.last_access_ms, INT64_MAX);
  EXPECT_EQ(back.content_type, put.content_type);
  EXPECT_TRUE(back.global);
  EXPECT_EQ(back.storers, put.storers);
  EXPECT_EQ(back.listed, put.listed);
  // Exactly one payload: a missing or an extra byte is refused.
  EXPECT_FALSE(journal::decode(bytes.data(), bytes.size() - 1, &back));
  bytes.push_back(0);
  EXPECT_FALSE(journal::decode(bytes.data(), bytes.size(), &back));
}

TEST(JournalPayload, UsageProbeAndNameRoundTrip) {
  std::vector<uint8_t> bytes;
  journal::encode(journal::ReaderUsageRecord{H(2).digest, 5, kNow, 9, 1ull << 40}, &bytes);
  journal::ReaderUsageRecord u;
  ASSERT_TRUE(journal::decode(bytes.data(), bytes.size(), &u));
  EXPECT_EQ(u.origin, 5u);
  EXPECT_EQ(u.last_access_ms, kNow);
  EXPECT_EQ(u.count, 9u);
  EXPECT_EQ(u.bytes, 1ull << 40);
  bytes.clear();
  journal::encode(journal::ProbeRecord{3, H(3).digest, kNow}, &bytes);
  journal::ProbeRecord p;
  ASSERT_TRUE(journal::decode(bytes.data(), bytes.size(), &p));
  EXPECT_EQ(p.digest, H(3).digest);
  bytes.clear();
  journal::encode(journal::NameRecord{4, "https://example.com"}, &bytes);
  journal::NameRecord n;
  ASSERT_TRUE(journal::decode(bytes.data(), bytes.size(), &n));
  EXPECT_EQ(n.text, "https://example.com");
  bytes.clear();
  journal::encode(journal::SiteUsageRecord{1, 2, 3, 4, 5}, &bytes);
  journal::SiteUsageRecord s;
  ASSERT_TRUE(journal::decode(bytes.data(), bytes.size(), &s));
  EXPECT_EQ(s.saved_downloads, 5u);
}

TEST(JournalPayload, OverlongVarintIsRefused) {
  std::vector<uint8_t> bytes(11, 0xFF);
  bytes.push_back(0);
  journal::SnapshotEndRecord r;
  EXPECT_FALSE(journal::decode(bytes.data(), bytes.size(), &r));
}

// ---- the index over its journal

// A realistic history: writers, widening, reads, a flush, a forget, an eviction.
std::vector<uint8_t> RealisticLog(Index* live, std::vector<size_t>* take_points,
                                  std::vector<std::string>* states) {
  std::vector<uint8_t> file;
  auto step = [&] {
    Append(live, &file);
    take_points->push_back(file.size());
    states->push_back(Describe(*live));
  };
  IndexPolicy p;
  p.probe_budget = 0;
  p.quota_bytes = 100000;
  live->set_policy(p);
  live->commit(H(1), 1000, "application/wasm", "https://a.example.com", {}, nullptr, kNow);
  step();
  live->commit(H(2), 2000, "text/plain", "https://b.github.io", {false, {"https://c.org"}},
               nullptr, kNow + 1);
  step();
  live->commit(H(1), 1000, "", "https://c.org", {true, {"https://d.org", "https://e.org"}},
               nullptr, kNow + 2);
  step();
  live->lookup(H(1), "https://z.org", kNow + 3);
  live->record_read(H(1), "https://z.org", 1000, kNow + 3);
  live->record_read(H(2), "https://c.org", 2000, kNow + 4);
  live->flush_usage();
  step();
  live->commit(H(3), 50000, "model/onnx", "https://a.example.com", {}, nullptr, kNow + 5);
  step();
  live->forget_origin("https://c.org");
  step();
  live->reserve(60000, "https://new.net");  // evicts the oldest entries
  step();
  live->commit(H(4), 10, "", "https://new.net", {false, {"https://a.example.com"}}, nullptr,
               kNow + 6);
  step();
  live->remove(H(4));
  step();
  return file;
}

std::vector<size_t> RecordBoundaries(const std::vector<uint8_t>& file) {
  std::vector<size_t> ends;
  size_t pos = journal::kHeaderBytes;
  while (pos < file.size()) {
    RecordView rec;
    size_t consumed = 0;
    if (journal::decode_frame(file.data() + pos, file.size() - pos, &rec, &consumed) !=
        FrameResult::kOk)
      break;
    pos += consumed;
    ends.push_back(pos);
  }
  return ends;
}

TEST(JournalReplay, ReopenRebuildsTheSameIndex) {
  Index live;
  std::vector<size_t> takes;
  std::vector<std::string> states;
  std::vector<uint8_t> file = RealisticLog(&live, &takes, &states);
  Index reopened;
  OpenStats st = reopened.open(file.data(), file.size());
  EXPECT_EQ(st.status, Status::kOk);
  EXPECT_EQ(st.valid_bytes, file.size());
  EXPECT_EQ(st.dropped_bytes, 0u);
  EXPECT_EQ(st.last_seq, live.last_seq());
  EXPECT_EQ(st.entries, live.size());
  EXPECT_EQ(Describe(reopened), states.back());
  EXPECT_EQ(reopened.used_bytes(), live.used_bytes());
}

TEST(JournalReplay, EveryTakePointReplaysToTheLiveState) {
  Index live;
  std::vector<size_t> takes;
  std::vector<std::string> states;
  std::vector<uint8_t> file = RealisticLog(&live, &takes, &states);
  for (size_t i = 0; i < takes.size(); ++i) {
    Index r;
    r.open(file.data(), takes[i]);
    EXPECT_EQ(Describe(r), states[i]) << "after step " << i;
  }
}

TEST(JournalReplay, CutAtEveryByteYieldsTheLastCompleteRecord) {
  Index live;
  std::vector<size_t> takes;
  std::vector<std::string> states;
  std::vector<uint8_t> file = RealisticLog(&live, &takes, &states);
  std::vector<size_t> ends = RecordBoundaries(file);
  ASSERT_EQ(ends.back(), file.size());
  std::vector<std::string> at_end;  // the state each complete record prefix gives
  for (size_t end : ends) {
    Index r;
    ASSERT_EQ(r.open(file.data(), end).dropped_bytes, 0u);
    at_end.push_back(Describe(r));
  }
  size_t last_complete = 0;  // index into ends, +1
  for (size_t cut = 0; cut <= file.size(); ++cut) {
    while (last_complete < ends.size() && ends[last_complete] <= cut) ++last_complete;
    Index r;
    OpenStats st = r.open(file.data(), cut);
    ASSERT_EQ(st.status, Status::kOk) << cut;
    size_t good = last_complete == 0 ? (cut >= journal::kHeaderBytes ? journal::kHeaderBytes : 0)
                                     : ends[last_complete - 1];
    ASSERT_EQ(st.valid_bytes, good) << cut;
    ASSERT_EQ(st.dropped_bytes, cut - good) << cut;
    ASSERT_EQ(Describe(r), last_complete == 0 ? "" : at_end[last_complete - 1]) << cut;
  }
}

// What the Wasm binding does: the file through a buffer, `chunk` bytes at a time, the
// bytes open_feed() did not consume carried over in front of the next ones.
OpenStats FeedInPieces(Index* index, const uint8_t* data, size_t size, size_t chunk) {
  index->open_begin(size);
  std::vector<uint8_t> held;
  for (size_t fed = 0; fed < size && !index->open_stopped();) {
    size_t n = std::min(chunk, size - fed);
    held.insert(held.end(), data + fed, data + fed + n);
    fed += n;
    size_t used = index->open_feed(held.data(), held.size());
    held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(used));
  }
  return index->open_end(size);
}

void ExpectSameOpen(const std::vector<uint8_t>& file, size_t size, const std::string& what) {
  Index whole;
  OpenStats a = whole.open(file.data(), size);
  for (size_t chunk : {1, 5, 17, 64, 1000}) {
    Index pieces;
    OpenStats b = FeedInPieces(&pieces, file.data(), size, chunk);
    SCOPED_TRACE(what + ", chunks of " + std::to_string(chunk));
    EXPECT_EQ(b.status, a.status);
    EXPECT_EQ(b.entries, a.entries);
    EXPECT_EQ(b.records, a.records);
    EXPECT_EQ(b.valid_bytes, a.valid_bytes);
    EXPECT_EQ(b.dropped_bytes, a.dropped_bytes);
    EXPECT_EQ(b.last_seq, a.last_seq);
    EXPECT_EQ(b.generation, a.generation);
    EXPECT_EQ(b.snapshot, a.snapshot);
    EXPECT_EQ(b.snapshot_complete, a.snapshot_complete);
    EXPECT_EQ(Describe(pieces), Describe(whole));
    EXPECT_EQ(pieces.used_bytes(), whole.used_bytes());
  }
}

TEST(JournalReplay, FedInPiecesEqualsOpenWhole) {
  Index live;
  std::vector<size_t> takes;
  std::vector<std::string> states;
  std::vector<uint8_t> file = RealisticLog(&live, &takes, &states);
  ExpectSameOpen(file, file.size(), "whole log");
  for (size_t cut : {size_t{0}, size_t{3}, size_t{15}, size_t{16}, size_t{40}, file.size() / 2,
                     file.size() - 1})
    ExpectSameOpen(file, cut, "cut at " + std::to_string(cut));
  std::vector<uint8_t> flipped = file;
  flipped[file.size() / 2] ^= 0x10;
  ExpectSameOpen(flipped, flipped.size(), "a flipped byte");
  std::vector<uint8_t> foreign = file;
  foreign[1] = 'X';
  ExpectSameOpen(foreign, foreign.size(), "a foreign header");
  std::vector<uint8_t> snapshot = live.compact(kNow + 10);
  ExpectSameOpen(snapshot, snapshot.size(), "snapshot");
  ExpectSameOpen(snapshot, snapshot.size() - 1, "torn snapshot");
}

TEST(JournalReplay, CorruptRecordStopsReplayThere) {
  Index live;
  std::vector<size_t> takes;
  std::vector<std::string> states;
  std::vector<uint8_t> file = RealisticLog(&live, &takes, &states);
  file[takes[1] + 10] ^= 0x40;  // inside the first record of step 2
  Index r;
  OpenStats st = r.open(file.data(), file.size());
  EXPECT_EQ(st.valid_bytes, takes[1]);
  EXPECT_EQ(Describe(r), states[1]);
}

TEST(JournalReplay, ForeignOrEmptyFiles) {
  Index r;
  EXPECT_EQ(r.open(nullptr, 0).status, Status::kOk);
  std::vector<uint8_t> junk = {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  OpenStats st = r.open(junk.data(), junk.size());
  EXPECT_EQ(st.status, Status::kCorrupt);
  EXPECT_EQ(st.entries, 0u);
}

TEST(JournalReplay, NewJournalStartsWithHeaderOnce) {
  Index ix;
  ix.commit(H(1), 1, "", "https://a.org", {}, nullptr, kNow);
  std::vector<uint8_t> first = ix.take_pending_journal_bytes();
  ASSERT_GE(first.size(), journal::kHeaderBytes);
  EXPECT_EQ(std::string(first.begin(), first.begin() + 4), "COSJ");
  ix.commit(H(2), 1, "", "https://a.org", {}, nullptr, kNow);
  std::vector<uint8_t> second = ix.take_pending_journal_bytes();
  EXPECT_NE(std::string(second.begin(), second.begin() + 4), "COSJ");
  EXPECT_TRUE(ix.take_pending_journal_bytes().empty());
}

TEST(JournalReplay, UsageIsWrittenOnlyWhenFlushed) {
  Index ix;
  IndexPolicy p;
  p.probe_budget = 0;
  ix.set_policy(p);
  std::vector<uint8_t> file;
  ix.commit(H(1), 10, "", "https://a.org", {true, {}}, nullptr, kNow);
  Append(&ix, &file);
  for (int i = 0; i < 100; ++i) {
    ix.lookup(H(1), "https://r.org", kNow + i);
    ix.record_read(H(1), "https://r.org", 10, kNow + i);
  }
  EXPECT_FALSE(ix.has_pending_journal_bytes());  // no journal write per read
  Index before_flush;
  before_flush.open(file.data(), file.size());
  EXPECT_EQ(before_flush.entry(H(1))->reads, 0u);  // approximate after a crash
  ix.flush_usage();
  Append(&ix, &file);
  Index after;
  after.open(file.data(), file.size());
  EXPECT_EQ(after.entry(H(1))->reads, 100u);
  EXPECT_EQ(after.entry(H(1))->last_access_ms, kNow + 99);
  EXPECT_EQ(Describe(after), Describe(ix));
}

TEST(JournalReplay, ProbeBudgetSurvivesReopenOnceFlushed) {
  IndexPolicy p;
  p.probe_budget = 2;
  Index ix;
  ix.set_policy(p);
  std::vector<uint8_t> file;
  ix.commit(H(9), 10, "", "https://a.org", {true, {}}, nullptr, kNow);
  ix.lookup(H(1), "https://prober.org", kNow);
  ix.lookup(H(2), "https://prober.org", kNow);
  ix.flush_usage();
  Append(&ix, &file);
  Index r;
  r.set_policy(p);
  r.open(file.data(), file.size());
  EXPECT_FALSE(r.lookup(H(9), "https://prober.org", kNow + 1));  // still spent
  EXPECT_TRUE(r.lookup(H(9), "https://other.org", kNow + 1));
}

TEST(JournalCompaction, SnapshotReplacesTheLogWithTheSameState) {
  Index live;
  std::vector<size_t> takes;
  std::vector<std::string> states;
  std::vector<uint8_t> file = RealisticLog(&live, &takes, &states);
  uint64_t seq_before = live.last_seq();
  std::vector<uint8_t> snapshot = live.compact(kNow + 100);
  EXPECT_LT(snapshot.size(), file.size());
  EXPECT_GT(live.last_seq(), seq_before);  // sequence numbers never go back
  Index r;
  OpenStats st = r.open(snapshot.data(), snapshot.size());
  EXPECT_TRUE(st.snapshot);
  EXPECT_TRUE(st.snapshot_complete);
  EXPECT_EQ(st.generation, 1u);
  EXPECT_EQ(Describe(r), Describe(live));
  // The log goes on after the snapshot.
  live.commit(H(7), 5, "", "https://a.org", {}, nullptr, kNow + 200);
  Append(&live, &snapshot);
  Index r2;
  EXPECT_EQ(r2.open(snapshot.data(), snapshot.size()).dropped_bytes, 0u);
  EXPECT_EQ(Describe(r2), Describe(live));
}

TEST(JournalCompaction, TornSnapshotIsReportedIncomplete) {
  Index live;
  std::vector<size_t> takes;
  std::vector<std::string> states;
  RealisticLog(&live, &takes, &states);
  std::vector<uint8_t> snapshot = live.compact(kNow);
  Index r;
  OpenStats st = r.open(snapshot.data(), snapshot.size() - 1);
  EXPECT_TRUE(st.snapshot);
  EXPECT_FALSE(st.snapshot_complete);
}

TEST(JournalCompaction, ExpiredProbesAreLeftOut) {
  IndexPolicy p;
  p.probe_budget = 1;
  p.probe_window_ms = 1000;
  Index ix;
  ix.set_policy(p);
  ix.lookup(H(1), "https://prober.org", kNow);
  std::vector<uint8_t> fresh = ix.compact(kNow + 10);
  std::vector<uint8_t> stale = ix.compact(kNow + 5000);
  EXPECT_GT(fresh.size(), stale.size());
}

// ---- two instances, one file

struct Instance {
  Index index;
  size_t offset = 0;  // bytes of the shared file already seen
  // What the hub worker does under its Web Lock before and after a mutation.
  TailStats Sync(const std::vector<uint8_t>& file) {
    TailStats st = index.apply_tail(file.data() + offset, file.size() - offset);
    offset += st.consumed_bytes;
    return st;
  }
  void Publish(std::vector<uint8_t>* file) {
    Append(&index, file);
    offset = file->size();
  }
};

TEST(JournalSharing, TwoInstancesSeeEachOthersWrites) {
  std::vector<uint8_t> file;
  Instance a, b;
  a.index.commit(H(1), 10, "", "https://a.org", {}, nullptr, kNow);
  a.Publish(&file);
  ASSERT_EQ(b.Sync(file).status, Status::kOk);
  EXPECT_TRUE(b.index.is_storer(H(1), "https://a.org"));
  b.index.commit(H(1), 10, "", "https://b.org", {true, {"https://c.org"}}, nullptr, kNow);
  b.index.commit(H(2), 20, "", "https://b.org", {}, nullptr, kNow);
  b.Publish(&file);
  TailStats st = a.Sync(file);
  ASSERT_EQ(st.status, Status::kOk);
  EXPECT_GT(st.records, 0u);
  EXPECT_EQ(a.index.last_seq(), b.index.last_seq());
  EXPECT_EQ(Describe(a.index), Describe(b.index));
  a.index.forget_origin("https://b.org");
  a.Publish(&file);
  b.Sync(file);
  EXPECT_EQ(Describe(a.index), Describe(b.index));
  Index reopened;
  EXPECT_EQ(reopened.open(file.data(), file.size()).dropped_bytes, 0u);
  EXPECT_EQ(Describe(reopened), Describe(a.index));
}

TEST(JournalSharing, OwnRecordsInTheTailAreSkipped) {
  std::vector<uint8_t> file;
  Instance a;
  a.index.commit(H(1), 10, "", "https://a.org", {}, nullptr, kNow);
  Append(&a.index, &file);  // published, but the offset was not advanced
  TailStats st = a.Sync(file);
  EXPECT_EQ(st.status, Status::kOk);
  EXPECT_EQ(st.records, 0u);
  EXPECT_EQ(a.offset, file.size());
}

TEST(JournalSharing, SequenceGapAsksForReopen) {
  Index a;
  std::vector<uint8_t> file;
  a.commit(H(1), 10, "", "https://a.org", {}, nullptr, kNow);
  Append(&a, &file);
  size_t first = file.size();
  a.commit(H(2), 10, "", "https://a.org", {}, nullptr, kNow);
  Append(&a, &file);
  a.commit(H(3), 10, "", "https://a.org", {}, nullptr, kNow);
  Append(&a, &file);
  Index b;
  b.open(file.data(), first);
  std::vector<size_t> ends = RecordBoundaries(file);
  size_t skip_to = 0;
  for (size_t e : ends)
    if (e > first) {
      skip_to = e;  // drop the first record after `first`
      break;
    }
  TailStats st = b.apply_tail(file.data() + skip_to, file.size() - skip_to);
  EXPECT_EQ(st.status, Status::kInvalidState);
  EXPECT_FALSE(b.contains(H(3)));
}

TEST(JournalSharing, CompactionByTheOtherInstanceAsksForReopen) {
  std::vector<uint8_t> file;
  Instance a, b;
  a.index.commit(H(1), 10, "", "https://a.org", {}, nullptr, kNow);
  a.Publish(&file);
  b.Sync(file);
  file = a.index.compact(kNow);  // the worker swaps in the snapshot file
  a.offset = file.size();
  TailStats st = b.Sync(file);
  EXPECT_NE(st.status, Status::kOk);
  OpenStats reopened = b.index.open(file.data(), file.size());
  EXPECT_EQ(reopened.generation, 1u);
  EXPECT_EQ(Describe(b.index), Describe(a.index));
}

TEST(JournalSharing, TailWithPendingOwnRecordsIsRefused) {
  Index a;
  a.commit(H(1), 10, "", "https://a.org", {}, nullptr, kNow);
  std::vector<uint8_t> none;
  EXPECT_EQ(a.apply_tail(none.data(), 0).status, Status::kInvalidState);
}

TEST(JournalSharing, FirstTailMayCarryTheHeader) {
  std::vector<uint8_t> file;
  Instance a, b;
  b.index.open(file.data(), 0);  // b started on an empty file
  a.index.commit(H(1), 10, "", "https://a.org", {}, nullptr, kNow);
  a.Publish(&file);
  ASSERT_EQ(b.Sync(file).status, Status::kOk);
  EXPECT_TRUE(b.index.contains(H(1)));
  b.index.commit(H(2), 10, "", "https://b.org", {}, nullptr, kNow);
  b.Publish(&file);  // no second header
  Index r;
  EXPECT_EQ(r.open(file.data(), file.size()).dropped_bytes, 0u);
  EXPECT_EQ(r.size(), 2u);
}

}  // namespace
}  // namespace cosp
