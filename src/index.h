// The content-addressed index of the hub: one entry per verified hash, who stored it,
// who may read it (SPEC §5), probe budget, Public Hash List, GREASE, quota with LRU
// eviction, and usage. Pure and deterministic: the caller passes the time and the
// GREASE seed; every durable change is emitted as journal bytes (src/journal.h) that
// the hub worker appends to its OPFS file. Design notes: docs/index.md, docs/journal.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "hash_id.h"
#include "journal.h"
#include "origin.h"
#include "status.h"

namespace cosp {

namespace detail {

// Fixed-size slots carved from large slabs, with a free list: the entries' nodes come
// from here instead of one malloc each. Replay sizes the first slab from the
// journal's length (reserve), so the heap (and the Wasm memory) grows once, not per
// entry. Slabs live as long as the pool; freed slots are reused.
class NodePool {
 public:
  NodePool() = default;
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;
  ~NodePool();
  // Makes room for `slots` more allocations in one slab (when the slot size is known).
  void reserve(size_t slots);
  // nullptr / false: not this pool's size (fixed by the first call), use operator new.
  void* allocate(size_t bytes, size_t align);
  bool deallocate(void* p, size_t bytes, size_t align);

 private:
  void add_slab(size_t slots);
  size_t slot_bytes_ = 0;   // fixed by the first allocation
  size_t slot_align_ = 0;
  size_t wanted_ = 0;       // a reserve() made before the slot size was known
  size_t next_slab_ = 64;   // slots in the next slab when no reserve asks for more
  std::vector<void*> slabs_;
  unsigned char* bump_ = nullptr;
  size_t bump_left_ = 0;    // slots left in the current slab
  void* free_ = nullptr;    // singly linked through the freed slots
  size_t free_count_ = 0;
};

// The entries: open addressing (linear probing, power-of-two capacity, at most half
// full) over pointers to nodes carved from a NodePool. A node never moves, so pointers
// to its key and value stay valid; only the slot array is rebuilt when it grows.
// Compared with std::unordered_map: no bucket chains, no per-insert load-factor
// arithmetic, one probe for most lookups, and less code for V8's baseline compiler to
// run at start (replay is mostly inserts). The subset of the map API the index uses.
template <typename V>
class EntryTable {
 public:
  using value_type = std::pair<const HashId, V>;

  class iterator {
   public:
    iterator(value_type* const* slot, value_type* const* end) : slot_(slot), end_(end) { skip(); }
    value_type& operator*() const { return **slot_; }
    value_type* operator->() const { return *slot_; }
    iterator& operator++() {
      ++slot_;
      skip();
      return *this;
    }
    bool operator==(const iterator& o) const { return slot_ == o.slot_; }
    bool operator!=(const iterator& o) const { return slot_ != o.slot_; }

   private:
    friend class EntryTable;
    void skip() {
      while (slot_ != end_ && !*slot_) ++slot_;
    }
    value_type* const* slot_;
    value_type* const* end_;
  };
  using const_iterator = iterator;

  EntryTable() = default;
  EntryTable(const EntryTable&) = delete;
  EntryTable& operator=(const EntryTable&) = delete;
  ~EntryTable() {
    clear();
    delete[] slots_;
  }

  size_t size() const { return size_; }
  iterator begin() const { return iterator(slots_, slots_ + cap_); }
  iterator end() const { return iterator(slots_ + cap_, slots_ + cap_); }

  iterator find(const HashId& id) const {
    if (size_ == 0) return end();
    for (size_t i = home(id);; i = (i + 1) & (cap_ - 1)) {
      value_type* n = slots_[i];
      if (!n) return end();
      if (n->first == id) return at_slot(i);
    }
  }
  size_t count(const HashId& id) const { return find(id) != end() ? 1 : 0; }
  V& at(const HashId& id) const { return find(id)->second; }  // the id must be there

  std::pair<iterator, bool> try_emplace(const HashId& id) {
    if ((size_ + 1) * 2 > cap_) rehash(cap_ ? cap_ * 2 : 16);
    size_t i = home(id);
    for (; slots_[i]; i = (i + 1) & (cap_ - 1))
      if (slots_[i]->first == id) return {at_slot(i), false};
    void* mem = pool_.allocate(sizeof(value_type), alignof(value_type));
    if (!mem) mem = ::operator new(sizeof(value_type));  // not reached: one node size
    slots_[i] = new (mem) value_type(std::piecewise_construct, std::forward_as_tuple(id),
                                     std::forward_as_tuple());
    ++size_;
    return {at_slot(i), true};
  }

  void erase(iterator it) {
    size_t i = static_cast<size_t>(it.slot_ - slots_);
    release(slots_[i]);
    --size_;
    // Backward-shift deletion: move later members of the probe run into the hole so
    // that no lookup stops early, and no tombstones are needed.
    for (size_t j = (i + 1) & (cap_ - 1); slots_[j]; j = (j + 1) & (cap_ - 1)) {
      size_t h = home(slots_[j]->first);
      // slots_[j] may move to the hole at i unless its home lies cyclically in (i, j].
      bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = nullptr;
  }

  // Room for `n` entries with neither a slot rebuild nor more than one node slab.
  void reserve(size_t n) {
    size_t want = 16;
    while (want < n * 2) want *= 2;
    if (want > cap_) rehash(want);
    if (n > size_) pool_.reserve(n - size_);
  }

  void clear() {
    for (size_t i = 0; i < cap_; ++i) {
      if (slots_[i]) release(slots_[i]);
      slots_[i] = nullptr;
    }
    size_ = 0;
  }

 private:
  // The digest is uniformly distributed already; the multiply spreads its first word
  // over the high bits, which index the table (Fibonacci hashing).
  size_t home(const HashId& id) const {
    uint64_t w;
    std::memcpy(&w, id.digest.data(), sizeof w);
    return static_cast<size_t>((w * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  iterator at_slot(size_t i) const { return iterator(slots_ + i, slots_ + cap_); }
  void release(value_type* n) {
    n->~value_type();
    if (!pool_.deallocate(n, sizeof(value_type), alignof(value_type))) ::operator delete(n);
  }
  void rehash(size_t cap) {
    value_type** old = slots_;
    size_t old_cap = cap_;
    slots_ = new value_type*[cap]();
    cap_ = cap;
    shift_ = 64;
    for (size_t c = cap; c > 1; c >>= 1) --shift_;
    for (size_t i = 0; i < old_cap; ++i) {
      if (!old[i]) continue;
      size_t j = home(old[i]->first);
      while (slots_[j]) j = (j + 1) & (cap_ - 1);
      slots_[j] = old[i];
    }
    delete[] old;
  }

  NodePool pool_;  // declared first: destroyed after the nodes are released
  value_type** slots_ = nullptr;
  size_t cap_ = 0;
  size_t size_ = 0;
  unsigned shift_ = 64;
};

}  // namespace detail

struct IndexPolicy {
  uint32_t probe_budget = 100;                      // distinct non-stored hashes per site
  int64_t probe_window_ms = 24LL * 60 * 60 * 1000;  // sliding window of the budget
  bool phl_enabled = false;   // '*' entries reach non-storers only if on the PHL
  double grease_rate = 0.0;   // probability of refusing an authorized non-storer read
  uint64_t grease_seed = 0;   // with the reader's site and the hash, decides each refusal
  uint64_t quota_bytes = 0;   // 0: no total budget
  double per_site_share = 1.0;  // fraction of quota_bytes one site's stored entries may take
  uint32_t origins_cap = 100;   // listed origins kept per entry (SPEC §2 cap)
};

// The `origins` option of a verified write: '*' and a list may come together.
struct VisibilityRequest {
  bool global = false;
  std::vector<std::string> origins;
};

// Cross-Origin-Storage-Allow-Origin of the writing document: when present it caps
// which cross-site origins a list may name ('*' in the header allows any).
struct AllowOriginCeiling {
  bool any = false;
  std::vector<std::string> origins;
};

struct CommitResult {
  Status status = Status::kOk;
  bool created = false;  // the entry did not exist before
  bool changed = false;  // storers or visibility changed (so a journal record was emitted)
};

struct ReserveResult {
  Status status = Status::kOk;
  std::vector<HashId> evicted;  // removed from the index; the worker deletes their blobs
};

struct OpenStats {
  Status status = Status::kOk;
  uint64_t entries = 0;
  uint64_t records = 0;         // records applied
  uint64_t valid_bytes = 0;     // truncate the file to this length before appending
  uint64_t dropped_bytes = 0;   // torn or corrupt bytes after the last good record
  uint64_t last_seq = 0;
  uint64_t generation = 0;
  bool snapshot = false;           // the file starts with a compacted snapshot
  bool snapshot_complete = false;  // ... and its SnapshotEnd record is there
};

struct TailStats {
  Status status = Status::kOk;  // kInvalidState: a sequence gap, reopen from the file
  uint64_t records = 0;         // records applied (already-seen ones are skipped)
  uint64_t consumed_bytes = 0;  // whole records read; a torn record is left for later
  uint64_t last_seq = 0;
};

struct ReaderInfo {
  std::string origin;
  int64_t last_access_ms = 0;
  uint64_t count = 0;
  uint64_t bytes = 0;
};

struct EntryInfo {
  HashId id;
  uint64_t size = 0;
  std::string content_type;
  int64_t created_ms = 0;
  int64_t last_access_ms = 0;
  bool global = false;
  std::vector<std::string> storers;
  std::vector<std::string> listed;
  std::vector<ReaderInfo> readers;
  uint64_t reads = 0;
  uint64_t bytes_served = 0;
  bool pinned = false;
};

struct SiteInfo {
  std::string site;
  uint64_t entries_stored = 0;
  uint64_t bytes_stored = 0;
  uint64_t bytes_served = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t saved_downloads = 0;
};

struct PhlStats {
  uint64_t loaded = 0;
  uint64_t rejected_lines = 0;
};

class Index {
 public:
  Index();
  Index(const Index&) = delete;  // entries live in a pool owned by this object
  Index& operator=(const Index&) = delete;

  void set_policy(const IndexPolicy& policy);
  const IndexPolicy& policy() const { return policy_; }

  // Rebuilds the whole index from a journal file (header + records). Pins, policy and
  // the Public Hash List survive; everything else is replaced.
  OpenStats open(const uint8_t* data, size_t size);
  // The same replay fed in pieces, for a caller that holds the file outside this
  // memory (the Wasm binding copies it through a small buffer instead of all at once:
  // fewer fresh pages to fault in at start). open_begin(), then open_feed() with the
  // bytes that follow what it consumed so far: it applies every whole record it is
  // given and returns how many bytes it consumed (the header counts); the rest must be
  // fed again with more bytes behind it. Stop feeding when open_stopped() or the file
  // ends; open_end(file size) gives what open() would have returned.
  void open_begin(size_t size_hint);
  size_t open_feed(const uint8_t* data, size_t size);
  bool open_stopped() const { return replay_.stopped; }
  OpenStats open_end(size_t size);
  // Records another instance appended after our last_seq (no header). Must be called
  // with no pending bytes of our own (kInvalidState otherwise).
  TailStats apply_tail(const uint8_t* data, size_t size);
  // Records to append to the journal file since the last call (with the file header
  // first when the journal is new).
  std::vector<uint8_t> take_pending_journal_bytes();
  bool has_pending_journal_bytes() const { return !pending_.empty(); }
  // Queues usage counters, reader records and probe spends changed since the last
  // flush. Until then they live in memory only (approximate after a crash).
  void flush_usage();
  // A whole new journal file (new generation) holding the current state; pending bytes
  // are dropped because the snapshot contains them. Expired probes are left out.
  std::vector<uint8_t> compact(int64_t now_ms);

  // Called only after the caller verified that the bytes hash to `id`.
  CommitResult commit(const HashId& id, uint64_t size, std::string_view content_type,
                      std::string_view writer_origin, const VisibilityRequest& request,
                      const AllowOriginCeiling* ceiling, int64_t now_ms);

  // Disclose or not. Every "no" looks the same to the caller.
  bool lookup(const HashId& id, std::string_view reader_origin, int64_t now_ms);
  bool is_storer(const HashId& id, std::string_view origin) const;
  bool contains(const HashId& id) const { return entries_.count(id) != 0; }

  // A served read: usage, LRU position, saved download.
  Status record_read(const HashId& id, std::string_view reader_origin, uint64_t bytes,
                     int64_t now_ms);

  // Pins: pinned hashes are never evicted nor removed. A write pin on a hash that has
  // no entry yet changes nothing a reader can see.
  void begin_read(const HashId& id) { ++pins_[id].reads; }
  void end_read(const HashId& id);
  void begin_write(const HashId& id) { ++pins_[id].writes; }
  void end_write(const HashId& id);
  bool is_pinned(const HashId& id) const { return pins_.count(id) != 0; }

  // Quota: holds `bytes` for an in-flight write, evicting LRU entries if needed.
  ReserveResult reserve(uint64_t bytes, std::string_view writer_origin);
  void release(uint64_t bytes, std::string_view writer_origin);
  uint64_t used_bytes() const { return used_bytes_; }
  uint64_t reserved_bytes() const { return reserved_bytes_; }

  // Drops the origin's reader records and storer status everywhere. Returns the number
  // of entries touched. Entries left with no storer are evicted first.
  uint64_t forget_origin(std::string_view origin);
  // Explicit removal (management page): kNotFound, kInvalidState when pinned.
  Status remove(const HashId& id);

  // One hash per line (64 lowercase hex); blank lines and '#' comments are skipped.
  PhlStats load_public_hash_list(std::string_view text);

  std::vector<EntryInfo> entries() const;  // sorted by hash
  std::optional<EntryInfo> entry(const HashId& id) const;
  std::vector<SiteInfo> sites() const;     // sorted by site
  size_t size() const { return entries_.size(); }
  uint64_t last_seq() const { return seq_; }
  uint64_t generation() const { return generation_; }

 private:
  using NameId = uint32_t;
  static constexpr NameId kNoName = UINT32_MAX;
  static constexpr size_t kMaxReadersPerEntry = 64;
  static constexpr size_t kReaderCacheLimit = 4096;

  struct Reader {
    NameId origin;
    int64_t last_access_ms;
    uint64_t count;
    uint64_t bytes;
  };
  // A short list of NameIds kept inline: an entry usually has one storer, one storing
  // site and zero to two listed origins, so these need no allocation of their own.
  class IdList {
   public:
    static constexpr uint32_t kInline = 2;
    IdList() = default;
    IdList(const IdList& o) { assign(o.begin(), o.end()); }
    IdList& operator=(const IdList& o) {
      if (this != &o) assign(o.begin(), o.end());
      return *this;
    }
    ~IdList() {
      if (cap_ > kInline) delete[] heap_;
    }
    const NameId* begin() const { return cap_ > kInline ? heap_ : inline_; }
    const NameId* end() const { return begin() + size_; }
    NameId* begin() { return cap_ > kInline ? heap_ : inline_; }
    NameId* end() { return begin() + size_; }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    NameId operator[](size_t i) const { return begin()[i]; }
    void clear() { size_ = 0; }
    void push_back(NameId v) {
      if (size_ == cap_) grow(cap_ * 2);
      begin()[size_++] = v;
    }
    template <typename It>
    void assign(It first, It last) {
      size_t n = static_cast<size_t>(last - first);
      size_ = 0;
      if (n > cap_) grow(static_cast<uint32_t>(n));
      NameId* d = begin();
      for (; first != last; ++first) *d++ = *first;
      size_ = static_cast<uint32_t>(n);
    }

   private:
    void grow(uint32_t cap) {
      NameId* fresh = new NameId[cap];
      std::copy(begin(), end(), fresh);
      if (cap_ > kInline) delete[] heap_;
      heap_ = fresh;
      cap_ = cap;
    }
    uint32_t size_ = 0;
    uint32_t cap_ = kInline;
    union {
      NameId inline_[kInline];
      NameId* heap_;
    };
  };
  // apply_put() sets every scalar of a new entry: no initialisers here, so creating one
  // during replay is a few stores, not a call to memset (which Liftoff runs slowly).
  struct Entry {
    Entry() {}  // user-provided: value-initialisation must not zero-fill the node first
    uint64_t size;
    int64_t created_ms;
    int64_t last_access_ms;
    // The LRU order is an intrusive doubly-linked list through the entries, oldest
    // first, ordered by (last access, digest). `id` points at the map's key (stable).
    Entry* lru_prev;
    Entry* lru_next;
    const HashId* id;
    NameId content_type;
    bool global;
    IdList storers;
    IdList storer_sites;  // the same-site baseline, derived from storers
    IdList listed;
    std::vector<Reader> readers;
  };
  struct Pin {
    uint32_t reads = 0;
    uint32_t writes = 0;
  };
  struct SiteState {
    uint64_t hits = 0, misses = 0, bytes_served = 0, saved_downloads = 0;
    bool dirty = false;
    uint64_t entries_stored = 0, bytes_stored = 0;  // derived from storer_sites
    uint64_t reserved = 0;
    std::deque<std::pair<int64_t, HashId>> probes;  // oldest first
    std::unordered_set<HashId, HashIdHash> probed;
  };
  struct ResolvedOrigin {
    NameId origin = kNoName;  // interned origin, or kNoName when never stored/listed
    NameId site = kNoName;
  };

  // Names (origins and sites) interned in memory; journal ids map to them.
  NameId intern(const std::string& text);
  NameId intern_origin(const Origin& origin);  // also interns and remembers its site
  // The site of an origin name, derived once; kNoName when the name is not an origin.
  NameId origin_site(NameId origin) {  // the derived site is cached: inline for replay
    NameId site = name_site_[origin];
    return site != kNoName ? site : derive_origin_site(origin);
  }
  NameId derive_origin_site(NameId origin);
  bool resolve(std::string_view origin_text, ResolvedOrigin* out);
  bool find_origin(std::string_view origin_text, ResolvedOrigin* out) const;
  uint32_t journal_name(NameId id);  // emits a Name record the first time

  // Every durable change goes through these appliers, for live calls and replay alike.
  void apply_put(const HashId& id, const journal::PutRecord& put);  // put holds NameIds
  void update_entry(Entry* e, const journal::PutRecord& put);       // a Put on an existing entry
  void apply_remove(const HashId& id);
  void apply_reader(const HashId& id, NameId origin, int64_t last, uint64_t count, uint64_t bytes);
  void apply_probe(NameId site, const HashId& id, int64_t at_ms);
  SiteState& site_state(NameId site) {  // sites_[site], without hashing on the hot paths
    if (site < site_cache_.size() && site_cache_[site]) return *site_cache_[site];
    return site_state_slow(site);
  }
  SiteState& site_state_slow(NameId site);
  void set_storer_sites(Entry* e, const IdList& sites, uint64_t size);
  void touch(Entry* e, int64_t at_ms);  // moves it in the LRU order
  // LRU list: link in order (or at the tail while replay defers the ordering), unlink.
  void lru_link(Entry* e);
  void lru_unlink(Entry* e);
  void lru_sort();  // restores (last access, digest) order after a deferred replay

  void emit(journal::RecordType type, const std::vector<uint8_t>& payload);
  void emit_put(const HashId& id, const Entry& e);
  void emit_remove(const HashId& id);
  void emit_reader(const HashId& id, const Reader& r);
  void emit_site(NameId site, const SiteState& s);
  void emit_probe(NameId site, const HashId& id, int64_t at_ms);
  void remove_entry(const HashId& id);  // apply + emit

  Status apply_record(const journal::RecordView& record);
  bool charge_probe(NameId site, const HashId& id, int64_t now_ms);
  bool grease_refuses(NameId site, const HashId& id) const;
  void reset_state();
  EntryInfo describe(const HashId& id, const Entry& e) const;

  // Heterogeneous lookup: an origin string_view finds its name without a copy.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  IndexPolicy policy_;

  detail::EntryTable<Entry> entries_;
  Entry* lru_head_ = nullptr;  // least recently used
  Entry* lru_tail_ = nullptr;  // most recently used
  bool lru_deferred_ = false;  // open() appends at the tail; lru_sort() fixes the order
  bool lru_unsorted_ = false;  // an append while deferred broke the order
  struct ReplayState {
    OpenStats stats;
    bool header_done = false;
    bool stopped = false;          // a bad header or record: nothing more is applied
    uint64_t consumed = 0;         // header and whole good records so far
    uint64_t snapshot_begin_seq = 0;
  };
  ReplayState replay_;
  journal::PutRecord scratch_put_;  // reused by replay: its id lists keep their capacity
  std::unordered_map<HashId, Pin, HashIdHash> pins_;
  std::unordered_set<HashId, HashIdHash> phl_;

  std::vector<std::string> names_;
  std::vector<NameId> name_site_;  // for origin names: their site; kNoName for sites
  StringMap<NameId> name_ids_;
  StringMap<ResolvedOrigin> reader_cache_;  // unknown readers
  std::unordered_map<NameId, SiteState> sites_;
  std::vector<SiteState*> site_cache_;  // NameId -> its node in sites_, filled on use
  std::unordered_set<HashId, HashIdHash> dirty_readers_;
  std::vector<journal::ProbeRecord> dirty_probes_;  // site holds a NameId

  std::vector<uint32_t> name_to_journal_;  // NameId -> journal id or kNoName
  std::vector<NameId> journal_to_name_;     // journal id -> NameId

  uint64_t used_bytes_ = 0;
  uint64_t reserved_bytes_ = 0;
  uint64_t seq_ = 0;
  uint64_t generation_ = 0;
  bool header_written_ = false;
  std::vector<uint8_t> pending_;
};

}  // namespace cosp
