// Property test: random sequences of commit / lookup / read / evict / forget / remove /
// pin / reopen / compact, checked after every step against a reference model written
// plainly here (maps and vectors, no journal, no interning).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "index.h"
#include "sha256_stream.h"

namespace cosp {
namespace {

HashId H(int n) {
  std::string text = "prop-" + std::to_string(n);
  HashId id;
  id.digest = Sha256Stream::digest(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  return id;
}

// Origins and, written out by hand, the site of each (PSL: github.io and co.uk).
const std::vector<std::string> kOrigins = {
    "https://a.example.com", "https://b.example.com", "http://a.example.com",
    "https://x.github.io",   "https://y.github.io",   "https://shop.foo.co.uk",
    "https://other.org",     "https://www.other.org", "https://z.net"};
const std::vector<std::string> kSites = {
    "https://example.com", "https://example.com", "http://example.com",
    "https://x.github.io", "https://y.github.io", "https://foo.co.uk",
    "https://other.org",   "https://other.org",   "https://z.net"};

constexpr int kHashes = 12;      // hashes that may be stored
constexpr int kProbeOnly = 4;    // hashes that are only ever probed
constexpr uint32_t kCap = 3;
constexpr uint32_t kBudget = 6;

uint64_t SizeOf(int n) { return 100 + 37 * static_cast<uint64_t>(n); }

struct Model {
  struct Reader {
    int64_t last = 0;
    uint64_t count = 0, bytes = 0;
  };
  struct Entry {
    int64_t created = 0, last = 0;
    std::vector<int> storers;  // indexes into kOrigins
    std::vector<int> listed;
    bool global = false;
    std::map<int, Reader> readers;
  };
  std::map<int, Entry> entries;
  std::map<std::string, std::set<int>> probed;  // site -> hashes (the window never ends)
  std::map<int, int> pins;
  std::set<int> phl;
  bool phl_enabled = false;

  uint64_t used() const {
    uint64_t total = 0;
    for (const auto& [n, e] : entries) total += SizeOf(n);
    return total;
  }

  bool lookup(int n, int reader) {
    auto it = entries.find(n);
    const Entry* e = it == entries.end() ? nullptr : &it->second;
    const std::string& site = kSites[reader];
    if (e && std::count(e->storers.begin(), e->storers.end(), reader)) return true;
    bool site_stores = false;
    if (e)
      for (int s : e->storers) site_stores |= kSites[s] == site;
    if (!site_stores) {
      std::set<int>& seen = probed[site];
      if (!seen.count(n)) {
        if (seen.size() >= kBudget) return false;
        seen.insert(n);
      }
    }
    if (!e) return false;
    bool listed = std::count(e->listed.begin(), e->listed.end(), reader) > 0;
    bool global = e->global && (!phl_enabled || phl.count(n));
    return site_stores || listed || global;
  }

  Status commit(int n, int writer, const std::vector<int>& request, bool global, int64_t now) {
    if (request.size() > kCap) return Status::kTooManyOrigins;
    Entry& e = entries[n];
    if (e.storers.empty() && e.created == 0) e.created = e.last = now;
    if (!std::count(e.storers.begin(), e.storers.end(), writer)) e.storers.push_back(writer);
    for (int o : request) {
      if (std::count(e.listed.begin(), e.listed.end(), o)) continue;
      if (e.listed.size() >= kCap) break;
      e.listed.push_back(o);
    }
    e.global = e.global || global;
    return Status::kOk;
  }

  // Victims for `bytes` more when the quota equals what is used now.
  std::vector<int> evict(uint64_t bytes, bool* ok) {
    std::vector<std::pair<std::pair<int64_t, Digest>, int>> order;
    for (const auto& [n, e] : entries) order.push_back({{e.last, H(n).digest}, n});
    std::sort(order.begin(), order.end());
    std::vector<int> victims;
    uint64_t freed = 0;
    for (bool orphans_pass : {true, false}) {
      for (const auto& [key, n] : order) {
        if (freed >= bytes) break;
        if (pins.count(n) || std::count(victims.begin(), victims.end(), n)) continue;
        if (orphans_pass && !entries[n].storers.empty()) continue;
        victims.push_back(n);
        freed += SizeOf(n);
      }
    }
    *ok = freed >= bytes;
    if (!*ok) return {};
    for (int n : victims) entries.erase(n);
    return victims;
  }

  void forget(int origin) {
    for (auto& [n, e] : entries) {
      e.storers.erase(std::remove(e.storers.begin(), e.storers.end(), origin), e.storers.end());
      e.readers.erase(origin);
    }
  }
};

void ExpectSame(const Index& index, const Model& model, const std::string& where) {
  std::vector<EntryInfo> got = index.entries();
  ASSERT_EQ(got.size(), model.entries.size()) << where;
  for (const auto& [n, m] : model.entries) {
    std::optional<EntryInfo> e = index.entry(H(n));
    ASSERT_TRUE(e.has_value()) << where << " missing " << n;
    EXPECT_EQ(e->size, SizeOf(n)) << where;
    EXPECT_EQ(e->created_ms, m.created) << where;
    EXPECT_EQ(e->last_access_ms, m.last) << where << " entry " << n;
    EXPECT_EQ(e->global, m.global) << where;
    std::vector<std::string> storers, listed;
    for (int o : m.storers) storers.push_back(kOrigins[o]);
    for (int o : m.listed) listed.push_back(kOrigins[o]);
    EXPECT_EQ(e->storers, storers) << where << " entry " << n;
    EXPECT_EQ(e->listed, listed) << where << " entry " << n;
    uint64_t reads = 0, bytes = 0;
    for (const auto& [o, r] : m.readers) {
      reads += r.count;
      bytes += r.bytes;
    }
    EXPECT_EQ(e->reads, reads) << where << " entry " << n;
    EXPECT_EQ(e->bytes_served, bytes) << where;
    EXPECT_EQ(e->readers.size(), m.readers.size()) << where;
  }
  EXPECT_EQ(index.used_bytes(), model.used()) << where;
}

// How often each interesting outcome happened, so the test can show it was exercised.
struct Coverage {
  int hits = 0, misses = 0, evictions = 0, exceeded = 0, capped = 0, too_many = 0;
};

void RunSequence(uint64_t seed, int steps, Coverage* cov) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  Model model;
  model.phl_enabled = seed % 2 == 0;
  IndexPolicy policy;
  policy.probe_budget = kBudget;
  policy.probe_window_ms = int64_t{1} << 50;
  policy.origins_cap = kCap;
  policy.phl_enabled = model.phl_enabled;
  Index index;
  index.set_policy(policy);
  std::string phl_text;
  for (int n = 0; n < kHashes; ++n)
    if (pick(2)) {
      model.phl.insert(n);
      phl_text += H(n).hex() + "\n";
    }
  index.load_public_hash_list(phl_text);
  std::vector<uint8_t> file;
  int64_t now = 1'000'000;

  for (int step = 0; step < steps; ++step) {
    ++now;
    std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
    int op = pick(100);
    if (op < 30) {  // commit
      int n = pick(kHashes), writer = pick(static_cast<int>(kOrigins.size()));
      std::vector<int> request;
      int count = pick(6) == 0 ? 4 : pick(3);
      std::vector<std::string> texts;
      for (int i = 0; i < count; ++i) {
        request.push_back(pick(static_cast<int>(kOrigins.size())));
        texts.push_back(kOrigins[request.back()]);
      }
      bool global = pick(4) == 0;
      CommitResult r = index.commit(H(n), SizeOf(n), "application/octet-stream",
                                    kOrigins[writer], {global, texts}, nullptr, now);
      ASSERT_EQ(r.status, model.commit(n, writer, request, global, now)) << where;
      if (r.status == Status::kTooManyOrigins) ++cov->too_many;
      if (r.status == Status::kOk && model.entries[n].listed.size() == kCap) ++cov->capped;
    } else if (op < 60) {  // lookup
      int n = pick(kHashes + kProbeOnly), reader = pick(static_cast<int>(kOrigins.size()));
      bool disclosed = index.lookup(H(n), kOrigins[reader], now);
      ASSERT_EQ(disclosed, model.lookup(n, reader))
          << where << " lookup " << n << " by " << kOrigins[reader];
      ++(disclosed ? cov->hits : cov->misses);
    } else if (op < 72) {  // a served read
      int n = pick(kHashes), reader = pick(static_cast<int>(kOrigins.size()));
      uint64_t bytes = SizeOf(n);
      Status s = index.record_read(H(n), kOrigins[reader], bytes, now);
      auto it = model.entries.find(n);
      ASSERT_EQ(s, it == model.entries.end() ? Status::kNotFound : Status::kOk) << where;
      if (it != model.entries.end()) {
        Model::Reader& r = it->second.readers[reader];
        r.last = now;
        r.count += 1;
        r.bytes += bytes;
        it->second.last = now;
      }
    } else if (op < 78) {  // evict: quota set to what is used, then ask for more
      uint64_t used = model.used();
      if (used == 0) continue;
      IndexPolicy p = policy;
      p.quota_bytes = used;
      index.set_policy(p);
      uint64_t bytes = 1 + rng() % 600;
      bool ok = bytes <= used;
      std::vector<int> victims;
      if (ok) victims = model.evict(bytes, &ok);
      ReserveResult r = index.reserve(bytes, "https://evictor.test");
      ASSERT_EQ(r.status, ok ? Status::kOk : Status::kQuotaExceeded) << where;
      std::vector<HashId> expected;
      for (int n : victims) expected.push_back(H(n));
      ASSERT_EQ(r.evicted, expected) << where;
      ++(ok ? cov->evictions : cov->exceeded);
      if (ok) index.release(bytes, "https://evictor.test");
      index.set_policy(policy);
    } else if (op < 82) {  // forget an origin
      int o = pick(static_cast<int>(kOrigins.size()));
      index.forget_origin(kOrigins[o]);
      model.forget(o);
    } else if (op < 85) {  // remove
      int n = pick(kHashes);
      Status expected = !model.entries.count(n) ? Status::kNotFound
                        : model.pins.count(n)   ? Status::kInvalidState
                                                : Status::kOk;
      ASSERT_EQ(index.remove(H(n)), expected) << where;
      if (expected == Status::kOk) model.entries.erase(n);
    } else if (op < 91) {  // pin or unpin
      int n = pick(kHashes);
      if (model.pins.count(n) && pick(2)) {
        index.end_read(H(n));
        if (--model.pins[n] == 0) model.pins.erase(n);
      } else {
        index.begin_read(H(n));
        ++model.pins[n];
      }
    } else if (op < 97) {  // reopen from the journal (usage flushed first)
      index.flush_usage();
      std::vector<uint8_t> bytes = index.take_pending_journal_bytes();
      file.insert(file.end(), bytes.begin(), bytes.end());
      OpenStats st = index.open(file.data(), file.size());
      ASSERT_EQ(st.dropped_bytes, 0u) << where;
    } else {  // compact, then reopen from the snapshot
      index.flush_usage();
      (void)index.take_pending_journal_bytes();
      file = index.compact(now);
      OpenStats st = index.open(file.data(), file.size());
      ASSERT_TRUE(st.snapshot_complete) << where;
    }
    // Everything a caller can do leaves journal bytes that replay to the same index.
    std::vector<uint8_t> bytes = index.take_pending_journal_bytes();
    file.insert(file.end(), bytes.begin(), bytes.end());
    ExpectSame(index, model, where);
    if (::testing::Test::HasFailure()) return;
  }
  index.flush_usage();
  std::vector<uint8_t> bytes = index.take_pending_journal_bytes();
  file.insert(file.end(), bytes.begin(), bytes.end());
  Index replayed;
  replayed.open(file.data(), file.size());
  ExpectSame(replayed, model, "final replay, seed " + std::to_string(seed));
}

TEST(IndexProperty, RandomSequencesMatchTheReferenceModel) {
  Coverage cov;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    RunSequence(seed, 400, &cov);
    if (HasFailure()) return;
  }
  EXPECT_GT(cov.hits, 500);
  EXPECT_GT(cov.misses, 500);
  EXPECT_GT(cov.evictions, 50);
  EXPECT_GT(cov.exceeded, 5);
  EXPECT_GT(cov.capped, 50);
  EXPECT_GT(cov.too_many, 50);
  RecordProperty("hits", cov.hits);
  std::printf("hits %d misses %d evictions %d exceeded %d capped %d too_many %d\n", cov.hits,
              cov.misses, cov.evictions, cov.exceeded, cov.capped, cov.too_many);
}

}  // namespace
}  // namespace cosp
