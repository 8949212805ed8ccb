// index-bench: native figures for the index with 100k entries (lookups/s, commits/s,
// journal replay time, journal bytes per entry). Figures only, no pass/fail; run by
// `npm run bench` through tools/bench/index.mjs. Usage: index-bench [entries]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "index.h"
#include "sha256_stream.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The machine is shared and noisy: time `runs` fresh replays and report the median.
double median_replay_s(const std::vector<uint8_t>& file, int runs, cosp::OpenStats* st) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    cosp::Index index;
    auto start = Clock::now();
    *st = index.open(file.data(), file.size());
    times.push_back(seconds_since(start));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

cosp::HashId hash_of(size_t n) {
  std::string text = "bench-" + std::to_string(n);
  cosp::HashId id;
  id.digest = cosp::Sha256Stream::digest(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t entries = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  // A realistic mix: 50 writing sites, a third of entries list two partners, a tenth '*'.
  std::vector<std::string> writers;
  for (int i = 0; i < 50; ++i) writers.push_back("https://app" + std::to_string(i) + ".example" + std::to_string(i) + ".com");
  std::vector<cosp::HashId> ids(entries);
  for (size_t n = 0; n < entries; ++n) ids[n] = hash_of(n);

  cosp::Index index;
  cosp::IndexPolicy policy;
  policy.probe_budget = 0;  // measure the lookup itself, not the budget refusing it
  index.set_policy(policy);
  std::vector<uint8_t> journal;
  auto start = Clock::now();
  for (size_t n = 0; n < entries; ++n) {
    cosp::VisibilityRequest request;
    if (n % 3 == 0) request.origins = {"https://partner.org", "https://cdn.partner.net"};
    request.global = n % 10 == 0;
    index.commit(ids[n], 1000 + n, "application/octet-stream", writers[n % writers.size()],
                 request, nullptr, 1'700'000'000'000 + static_cast<int64_t>(n));
    std::vector<uint8_t> bytes = index.take_pending_journal_bytes();  // one append per commit
    journal.insert(journal.end(), bytes.begin(), bytes.end());
  }
  double commit_s = seconds_since(start);

  const size_t lookups = 2'000'000;
  size_t disclosed = 0;
  start = Clock::now();
  for (size_t i = 0; i < lookups; ++i) {
    size_t n = (i * 7919) % entries;
    // Storers, same-site readers and strangers, in turn.
    const std::string& reader = i % 3 == 0 ? writers[n % writers.size()]
                                : i % 3 == 1 ? writers[(n + 1) % writers.size()]
                                             : writers[0];
    disclosed += index.lookup(ids[n], reader, 1'800'000'000'000) ? 1 : 0;
  }
  double lookup_s = seconds_since(start);

  const int runs = 7;
  cosp::OpenStats st, snap_st;
  double replay_s = median_replay_s(journal, runs, &st);
  std::vector<uint8_t> snapshot = index.compact(1'800'000'000'000);
  double snapshot_s = median_replay_s(snapshot, runs, &snap_st);

  std::printf("entries                  %zu (replayed %llu, dropped %llu bytes)\n", entries,
              static_cast<unsigned long long>(st.entries),
              static_cast<unsigned long long>(st.dropped_bytes));
  std::printf("native commits/s         %.0f\n", entries / commit_s);
  std::printf("native lookups/s         %.0f (%.0f ns each, %zu disclosed)\n", lookups / lookup_s,
              lookup_s / lookups * 1e9, disclosed);
  std::printf("native replay log        %.1f ms (%zu bytes, %.1f bytes/entry)\n", replay_s * 1e3,
              journal.size(), static_cast<double>(journal.size()) / entries);
  std::printf("native replay snapshot   %.1f ms (%zu bytes, %.1f bytes/entry)\n", snapshot_s * 1e3,
              snapshot.size(), static_cast<double>(snapshot.size()) / entries);
  std::printf("(replay figures: median of %d fresh Index::open calls)\n", runs);
  return st.entries == entries && snap_st.entries == entries ? 0 : 1;
}
