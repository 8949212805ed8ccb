// detail::EntryTable, the open-addressing table of the index's entries, against
// std::map: inserts, finds and erases in random order, including long probe runs that
// wrap around the end of the slot array (digests that share their first word).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>

#include "index.h"

namespace cosp {
namespace {

// Ids whose first 8 bytes come from a few values: they collide in the table on purpose.
HashId Id(uint32_t n, uint32_t bucket) {
  HashId id;
  uint64_t first = 0x0123456789ABCDEFull * (bucket % 5);
  std::memcpy(id.digest.data(), &first, sizeof first);
  std::memcpy(id.digest.data() + 8, &n, sizeof n);
  return id;
}

TEST(IndexEntryTable, MatchesAMapUnderRandomInsertsAndErases) {
  detail::EntryTable<int> table;
  std::map<HashId, int> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    uint32_t n = rng() % 600;
    HashId id = Id(n, rng() % 7 == 0 ? n : 0);
    if (rng() % 3 == 0) {
      auto it = table.find(id);
      ASSERT_EQ(it != table.end(), model.count(id) == 1);
      if (it != table.end()) {
        table.erase(it);
        model.erase(id);
      }
    } else {
      auto [it, inserted] = table.try_emplace(id);
      ASSERT_EQ(inserted, model.count(id) == 0);
      if (inserted) it->second = static_cast<int>(n);
      model[id] = static_cast<int>(n);
      ASSERT_EQ(it->first, id);
    }
    ASSERT_EQ(table.size(), model.size());
    if (step % 997 == 0) {
      size_t seen = 0;
      for (const auto& [key, value] : table) {
        ASSERT_EQ(model.at(key), value);
        ++seen;
      }
      ASSERT_EQ(seen, model.size());
      for (const auto& [key, value] : model) ASSERT_EQ(table.at(key), value);
    }
  }
  table.clear();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.begin() == table.end());
  EXPECT_TRUE(table.find(Id(1, 0)) == table.end());
}

TEST(IndexEntryTable, NodesDoNotMoveWhenTheTableGrows) {
  detail::EntryTable<int> table;
  auto [first, inserted] = table.try_emplace(Id(1, 1));
  ASSERT_TRUE(inserted);
  const HashId* key = &first->first;
  for (uint32_t n = 2; n < 5000; ++n) table.try_emplace(Id(n, n));
  EXPECT_EQ(&table.find(Id(1, 1))->first, key);
  table.reserve(100000);
  EXPECT_EQ(&table.find(Id(1, 1))->first, key);
  EXPECT_EQ(table.size(), 4999u);
}

}  // namespace
}  // namespace cosp
