#include "index.h"

#include <cstring>

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "site.h"

namespace cosp {
namespace {

using journal::RecordType;

template <typename List, typename T>
bool contains_value(const List& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// splitmix64: a tiny, well-mixed generator whose whole state is one word.
uint64_t next_random(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

namespace detail {

NodePool::~NodePool() {
  for (void* slab : slabs_) ::operator delete(slab);
}

void NodePool::reserve(size_t slots) {
  if (slot_bytes_ == 0) {
    wanted_ = slots;
    return;
  }
  size_t have = bump_left_ + free_count_;
  if (slots > have) add_slab(slots - have);
}

void NodePool::add_slab(size_t slots) {
  // The bump tail of the current slab is abandoned only if never used: give it to the
  // free list so nothing is lost.
  while (bump_left_ > 0) {
    *static_cast<void**>(static_cast<void*>(bump_)) = free_;
    free_ = bump_;
    ++free_count_;
    bump_ += slot_bytes_;
    --bump_left_;
  }
  slabs_.push_back(::operator new(slots * slot_bytes_));
  bump_ = static_cast<unsigned char*>(slabs_.back());
  bump_left_ = slots;
}

void* NodePool::allocate(size_t bytes, size_t align) {
  if (slot_bytes_ == 0) {
    // Slots are packed: a slab is aligned for anything, each slot for the node's type.
    align = std::max(align, alignof(void*));
    slot_align_ = align;
    slot_bytes_ = (std::max(bytes, sizeof(void*)) + align - 1) / align * align;
    if (wanted_ > 0) add_slab(wanted_);
  }
  if (bytes > slot_bytes_ || slot_bytes_ - bytes >= slot_align_ || align > slot_align_)
    return nullptr;
  if (free_) {
    void* p = free_;
    free_ = *static_cast<void**>(p);
    --free_count_;
    return p;
  }
  if (bump_left_ == 0) {
    add_slab(next_slab_);
    if (next_slab_ < 65536) next_slab_ *= 2;
  }
  void* p = bump_;
  bump_ += slot_bytes_;
  --bump_left_;
  return p;
}

bool NodePool::deallocate(void* p, size_t bytes, size_t align) {
  if (slot_bytes_ == 0 || bytes > slot_bytes_ || slot_bytes_ - bytes >= slot_align_ ||
      align > slot_align_)
    return false;
  *static_cast<void**>(p) = free_;
  free_ = p;
  ++free_count_;
  return true;
}

}  // namespace detail

Index::Index() { set_policy(IndexPolicy{}); }

void Index::set_policy(const IndexPolicy& policy) {
  policy_ = policy;
  if (!(policy_.per_site_share >= 0.0)) policy_.per_site_share = 0.0;  // also NaN
  if (policy_.per_site_share > 1.0) policy_.per_site_share = 1.0;
}

void Index::reset_state() {
  entries_.clear();
  site_cache_.clear();
  lru_head_ = lru_tail_ = nullptr;
  lru_deferred_ = false;
  lru_unsorted_ = false;
  names_.clear();
  name_site_.clear();
  name_ids_.clear();
  reader_cache_.clear();
  sites_.clear();
  dirty_readers_.clear();
  dirty_probes_.clear();
  name_to_journal_.clear();
  journal_to_name_.clear();
  used_bytes_ = 0;
  reserved_bytes_ = 0;
  seq_ = 0;
  generation_ = 0;
  header_written_ = false;
  pending_.clear();
}

// ---------------------------------------------------------------- names

Index::NameId Index::intern(const std::string& text) {
  auto it = name_ids_.find(text);
  if (it != name_ids_.end()) return it->second;
  NameId id = static_cast<NameId>(names_.size());
  names_.push_back(text);
  name_site_.push_back(kNoName);
  name_to_journal_.push_back(kNoName);
  name_ids_.emplace(text, id);
  reader_cache_.clear();  // a cached "unknown origin" may now be known
  return id;
}

Index::NameId Index::intern_origin(const Origin& origin) {
  NameId site = intern(site_of(origin));
  NameId id = intern(origin.serialize());
  name_site_[id] = site;
  return id;
}

Index::NameId Index::derive_origin_site(NameId origin) {
  // A name read back from the journal: derive its site once. The index wrote it, so it
  // is normally canonical and the cheap path takes it (no WHATWG parser, which V8 would
  // otherwise tier up during a cold start); anything else gets the full parser.
  Origin parsed;
  if (!parse_canonical_origin(names_[origin], &parsed) &&
      parse_origin(names_[origin], &parsed) != Status::kOk) {
    return kNoName;
  }
  NameId site = intern(site_of(parsed));
  name_site_[origin] = site;
  return site;
}

bool Index::find_origin(std::string_view text, ResolvedOrigin* out) const {
  auto it = name_ids_.find(text);
  if (it == name_ids_.end()) {
    Origin parsed;
    if (parse_origin(text, &parsed) != Status::kOk) return false;
    it = name_ids_.find(parsed.serialize());
    if (it == name_ids_.end()) {
      out->origin = kNoName;
      return true;
    }
  }
  out->origin = it->second;
  return true;
}

bool Index::resolve(std::string_view text, ResolvedOrigin* out) {
  auto known = name_ids_.find(text);
  if (known != name_ids_.end()) {
    out->origin = known->second;
    out->site = origin_site(known->second);
    return out->site != kNoName;  // a content type or junk name is not an origin
  }
  auto cached = reader_cache_.find(text);
  if (cached != reader_cache_.end()) {
    *out = cached->second;
    return true;
  }
  Origin parsed;
  if (parse_origin(text, &parsed) != Status::kOk) return false;
  auto canonical = name_ids_.find(parsed.serialize());
  ResolvedOrigin r;
  if (canonical != name_ids_.end()) {
    r.origin = canonical->second;
    r.site = origin_site(canonical->second);
  } else {
    // Readers that never stored and are never listed are not interned (an attacker with
    // many subdomains cannot grow the table); only their site is, for the probe budget.
    r.site = intern(site_of(parsed));
  }
  if (reader_cache_.size() >= kReaderCacheLimit) reader_cache_.clear();
  reader_cache_.emplace(std::string(text), r);
  *out = r;
  return true;
}

uint32_t Index::journal_name(NameId id) {
  if (name_to_journal_[id] != kNoName) return name_to_journal_[id];
  uint32_t jid = static_cast<uint32_t>(journal_to_name_.size());
  journal_to_name_.push_back(id);
  name_to_journal_[id] = jid;
  std::vector<uint8_t> payload;
  journal::encode(journal::NameRecord{jid, names_[id]}, &payload);
  emit(RecordType::kName, payload);
  return jid;
}

// ---------------------------------------------------------------- appliers

Index::SiteState& Index::site_state_slow(NameId site) {
  if (site >= names_.size()) return sites_[site];  // not a name: never cached
  if (site >= site_cache_.size()) site_cache_.resize(names_.size(), nullptr);
  SiteState* s = &sites_[site];  // map nodes never move and sites_ only grows
  site_cache_[site] = s;
  return *s;
}

void Index::set_storer_sites(Entry* e, const IdList& sites, uint64_t size) {
  for (NameId s : e->storer_sites) {
    SiteState& st = site_state(s);
    st.entries_stored -= 1;
    st.bytes_stored -= e->size;
  }
  for (NameId s : sites) {
    SiteState& st = site_state(s);
    st.entries_stored += 1;
    st.bytes_stored += size;
  }
  e->storer_sites = sites;
}

void Index::apply_put(const HashId& id, const journal::PutRecord& put) {
  auto [it, inserted] = entries_.try_emplace(id);
  Entry& e = it->second;
  // The update of an existing entry is a function of its own (forget_origin calls it too,
  // so binaryen does not inline it back): this function, which replay calls per Put,
  // stays small, and V8 compiles it with TurboFan sooner.
  if (!inserted) {
    update_entry(&e, put);
    return;
  }
  // A new entry (nearly every Put of a replay): fill it in place, no temporaries.
  e.id = &it->first;
  e.size = put.size;
  e.created_ms = put.created_ms;
  e.last_access_ms = put.last_access_ms;
  e.content_type = put.content_type == 0 ? kNoName : put.content_type - 1;
  e.global = put.global;
  lru_link(&e);
  used_bytes_ += put.size;
  e.storers.assign(put.storers.begin(), put.storers.end());
  e.listed.assign(put.listed.begin(), put.listed.end());
  for (NameId o : put.storers) {
    NameId s = origin_site(o);
    if (s == kNoName) s = o;  // only a hostile journal names a non-origin as storer
    if (contains_value(e.storer_sites, s)) continue;
    e.storer_sites.push_back(s);
    SiteState& st = site_state(s);
    st.entries_stored += 1;
    st.bytes_stored += put.size;
  }
}

void Index::update_entry(Entry* entry, const journal::PutRecord& put) {
  Entry& e = *entry;
  IdList sites;
  for (NameId o : put.storers) {
    NameId s = origin_site(o);
    if (s == kNoName) s = o;  // only a hostile journal names a non-origin as storer
    if (!contains_value(sites, s)) sites.push_back(s);
  }
  used_bytes_ -= e.size;
  touch(&e, put.last_access_ms);
  set_storer_sites(&e, sites, put.size);
  e.size = put.size;
  used_bytes_ += e.size;
  e.content_type = put.content_type == 0 ? kNoName : put.content_type - 1;
  e.global = put.global;
  e.storers.assign(put.storers.begin(), put.storers.end());
  e.listed.assign(put.listed.begin(), put.listed.end());
}

void Index::apply_remove(const HashId& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  set_storer_sites(&e, IdList{}, 0);
  used_bytes_ -= e.size;
  lru_unlink(&e);
  dirty_readers_.erase(id);
  entries_.erase(it);
}

namespace {
template <typename E>
bool lru_before(const E* a, const E* b) {  // a sorts before b: (last access, digest)
  if (a->last_access_ms != b->last_access_ms) return a->last_access_ms < b->last_access_ms;
  return a->id->digest < b->id->digest;
}
}  // namespace

void Index::lru_link(Entry* e) {
  // Walk back from the most recent: O(1) when the clock moves forward, as it does.
  Entry* after = lru_tail_;
  if (lru_deferred_) {
    if (after && lru_before(e, after)) lru_unsorted_ = true;
  } else {
    while (after && lru_before(e, after)) after = after->lru_prev;
  }
  e->lru_prev = after;
  e->lru_next = after ? after->lru_next : lru_head_;
  if (e->lru_next)
    e->lru_next->lru_prev = e;
  else
    lru_tail_ = e;
  if (after)
    after->lru_next = e;
  else
    lru_head_ = e;
}

void Index::lru_unlink(Entry* e) {
  (e->lru_prev ? e->lru_prev->lru_next : lru_head_) = e->lru_next;
  (e->lru_next ? e->lru_next->lru_prev : lru_tail_) = e->lru_prev;
  e->lru_prev = e->lru_next = nullptr;
}

void Index::lru_sort() {
  lru_deferred_ = false;
  // Unlinking keeps a sorted list sorted, so only an append out of order unsorts it.
  if (!lru_unsorted_) return;
  lru_unsorted_ = false;
  std::vector<Entry*> order;
  order.reserve(entries_.size());
  for (Entry* e = lru_head_; e; e = e->lru_next) order.push_back(e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) { return lru_before(a, b); });
  lru_head_ = lru_tail_ = nullptr;
  for (Entry* e : order) {
    e->lru_prev = lru_tail_;
    e->lru_next = nullptr;
    (lru_tail_ ? lru_tail_->lru_next : lru_head_) = e;
    lru_tail_ = e;
  }
}

void Index::touch(Entry* e, int64_t at_ms) {
  if (at_ms <= e->last_access_ms) return;
  lru_unlink(e);
  e->last_access_ms = at_ms;
  lru_link(e);
}

void Index::apply_reader(const HashId& id, NameId origin, int64_t last, uint64_t count,
                         uint64_t bytes) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  auto r = std::find_if(e.readers.begin(), e.readers.end(),
                        [origin](const Reader& x) { return x.origin == origin; });
  touch(&e, last);  // a forgotten reader's access still happened
  if (count == 0) {
    if (r != e.readers.end()) e.readers.erase(r);
    return;
  }
  if (r == e.readers.end()) {
    if (e.readers.size() >= kMaxReadersPerEntry) {
      // Keep the most recent readers: drop the one seen longest ago.
      auto oldest = std::min_element(e.readers.begin(), e.readers.end(),
                                     [](const Reader& a, const Reader& b) {
                                       return a.last_access_ms < b.last_access_ms;
                                     });
      e.readers.erase(oldest);
    }
    e.readers.push_back(Reader{origin, last, count, bytes});
  } else {
    r->last_access_ms = last;
    r->count = count;
    r->bytes = bytes;
  }
}

void Index::apply_probe(NameId site, const HashId& id, int64_t at_ms) {
  SiteState& s = site_state(site);
  if (s.probed.insert(id).second) s.probes.emplace_back(at_ms, id);
}

// ---------------------------------------------------------------- journal out

void Index::emit(RecordType type, const std::vector<uint8_t>& payload) {
  journal::append_frame(type, ++seq_, payload, &pending_);
}

void Index::emit_put(const HashId& id, const Entry& e) {
  journal::PutRecord put;
  put.digest = id.digest;
  put.size = e.size;
  put.created_ms = e.created_ms;
  put.last_access_ms = e.last_access_ms;
  put.content_type = e.content_type == kNoName ? 0 : journal_name(e.content_type) + 1;
  put.global = e.global;
  put.storers.reserve(e.storers.size());
  for (NameId o : e.storers) put.storers.push_back(journal_name(o));
  put.listed.reserve(e.listed.size());
  for (NameId o : e.listed) put.listed.push_back(journal_name(o));
  std::vector<uint8_t> payload;
  journal::encode(put, &payload);
  emit(RecordType::kPut, payload);
}

void Index::emit_remove(const HashId& id) {
  std::vector<uint8_t> payload;
  journal::encode(journal::RemoveRecord{id.digest}, &payload);
  emit(RecordType::kRemove, payload);
}

void Index::emit_reader(const HashId& id, const Reader& r) {
  journal::ReaderUsageRecord rec{id.digest, journal_name(r.origin), r.last_access_ms, r.count,
                                 r.bytes};
  std::vector<uint8_t> payload;
  journal::encode(rec, &payload);
  emit(RecordType::kReaderUsage, payload);
}

void Index::emit_site(NameId site, const SiteState& s) {
  journal::SiteUsageRecord rec{journal_name(site), s.hits, s.misses, s.bytes_served,
                               s.saved_downloads};
  std::vector<uint8_t> payload;
  journal::encode(rec, &payload);
  emit(RecordType::kSiteUsage, payload);
}

void Index::emit_probe(NameId site, const HashId& id, int64_t at_ms) {
  journal::ProbeRecord rec{journal_name(site), id.digest, at_ms};
  std::vector<uint8_t> payload;
  journal::encode(rec, &payload);
  emit(RecordType::kProbe, payload);
}

void Index::remove_entry(const HashId& id) {
  apply_remove(id);
  emit_remove(id);
}

std::vector<uint8_t> Index::take_pending_journal_bytes() {
  std::vector<uint8_t> out;
  if (pending_.empty()) return out;
  if (!header_written_) {
    journal::encode_header(journal::Header{generation_}, &out);
    header_written_ = true;
  }
  out.insert(out.end(), pending_.begin(), pending_.end());
  pending_.clear();
  return out;
}

void Index::flush_usage() {
  std::vector<HashId> ids(dirty_readers_.begin(), dirty_readers_.end());
  std::sort(ids.begin(), ids.end());
  for (const HashId& id : ids) {
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    for (const Reader& r : it->second.readers) emit_reader(id, r);
  }
  dirty_readers_.clear();
  std::vector<NameId> dirty_sites;
  for (auto& [site, s] : sites_)
    if (s.dirty) dirty_sites.push_back(site);
  std::sort(dirty_sites.begin(), dirty_sites.end());
  for (NameId site : dirty_sites) {
    emit_site(site, site_state(site));
    site_state(site).dirty = false;
  }
  for (const journal::ProbeRecord& p : dirty_probes_) {
    HashId id;
    id.digest = p.digest;
    emit_probe(p.site, id, p.at_ms);
  }
  dirty_probes_.clear();
}

std::vector<uint8_t> Index::compact(int64_t now_ms) {
  ++generation_;
  std::fill(name_to_journal_.begin(), name_to_journal_.end(), kNoName);
  journal_to_name_.clear();
  pending_.clear();
  dirty_readers_.clear();
  dirty_probes_.clear();

  emit(RecordType::kSnapshotBegin, {});
  uint64_t begin_seq = seq_;
  for (const Entry* e = lru_head_; e; e = e->lru_next) {  // oldest first: replay keeps it
    emit_put(*e->id, *e);
    for (const Reader& r : e->readers) emit_reader(*e->id, r);
  }
  std::vector<NameId> site_ids;
  for (auto& [site, s] : sites_) site_ids.push_back(site);
  std::sort(site_ids.begin(), site_ids.end());
  for (NameId site : site_ids) {
    SiteState& s = site_state(site);
    s.dirty = false;
    if (s.hits || s.misses || s.bytes_served || s.saved_downloads) emit_site(site, s);
    for (const auto& [at, id] : s.probes)
      if (policy_.probe_window_ms <= 0 || at > now_ms - policy_.probe_window_ms)
        emit_probe(site, id, at);
  }
  std::vector<uint8_t> end;
  journal::encode(journal::SnapshotEndRecord{seq_ - begin_seq}, &end);
  emit(RecordType::kSnapshotEnd, end);

  std::vector<uint8_t> out;
  journal::encode_header(journal::Header{generation_}, &out);
  out.insert(out.end(), pending_.begin(), pending_.end());
  pending_.clear();
  header_written_ = true;
  return out;
}

// ---------------------------------------------------------------- journal in

Status Index::apply_record(const journal::RecordView& rec) {
  const uint8_t* p = rec.payload;
  size_t n = rec.payload_size;
  auto name = [this](uint32_t jid, NameId* out) {
    if (jid >= journal_to_name_.size()) return false;
    *out = journal_to_name_[jid];
    return true;
  };
  switch (rec.type) {
    case RecordType::kName: {
      journal::NameRecord r;
      if (!journal::decode(p, n, &r) || r.id != journal_to_name_.size()) return Status::kCorrupt;
      NameId id = intern(r.text);
      journal_to_name_.push_back(id);
      name_to_journal_[id] = r.id;
      return Status::kOk;
    }
    case RecordType::kPut: {
      journal::PutRecord& r = scratch_put_;  // no allocation per record once warmed up
      if (!journal::decode(p, n, &r)) return Status::kCorrupt;
      for (auto* list : {&r.storers, &r.listed})
        for (uint32_t& jid : *list)
          if (!name(jid, &jid)) return Status::kCorrupt;
      if (r.content_type != 0) {
        NameId type;
        if (!name(r.content_type - 1, &type)) return Status::kCorrupt;
        r.content_type = type + 1;
      }
      HashId id;
      id.digest = r.digest;
      apply_put(id, r);
      return Status::kOk;
    }
    case RecordType::kRemove: {
      journal::RemoveRecord r;
      if (!journal::decode(p, n, &r)) return Status::kCorrupt;
      HashId id;
      id.digest = r.digest;
      apply_remove(id);
      return Status::kOk;
    }
    case RecordType::kReaderUsage: {
      journal::ReaderUsageRecord r;
      NameId origin;
      if (!journal::decode(p, n, &r) || !name(r.origin, &origin)) return Status::kCorrupt;
      HashId id;
      id.digest = r.digest;
      apply_reader(id, origin, r.last_access_ms, r.count, r.bytes);
      return Status::kOk;
    }
    case RecordType::kSiteUsage: {
      journal::SiteUsageRecord r;
      NameId site;
      if (!journal::decode(p, n, &r) || !name(r.site, &site)) return Status::kCorrupt;
      SiteState& s = site_state(site);
      s.hits = r.hits;
      s.misses = r.misses;
      s.bytes_served = r.bytes_served;
      s.saved_downloads = r.saved_downloads;
      return Status::kOk;
    }
    case RecordType::kProbe: {
      journal::ProbeRecord r;
      NameId site;
      if (!journal::decode(p, n, &r) || !name(r.site, &site)) return Status::kCorrupt;
      HashId id;
      id.digest = r.digest;
      apply_probe(site, id, r.at_ms);
      return Status::kOk;
    }
    case RecordType::kSnapshotBegin:
      return n == 0 ? Status::kOk : Status::kCorrupt;
    case RecordType::kSnapshotEnd: {
      journal::SnapshotEndRecord r;
      return journal::decode(p, n, &r) ? Status::kOk : Status::kCorrupt;
    }
  }
  return Status::kCorrupt;  // a type this version does not know
}

OpenStats Index::open(const uint8_t* data, size_t size) {
  open_begin(size);
  open_feed(data, size);
  return open_end(size);
}

void Index::open_begin(size_t size_hint) {
  reset_state();
  replay_ = ReplayState{};
  // A Put is at least ~64 bytes with its frame: sizing the table once avoids rebuilding
  // it during replay, and the node pool takes one slab.
  entries_.reserve(size_hint / 64);
  // Records append to the LRU list as they come; one sort at the end if they came out
  // of order (a log's usage records are flushed in digest order), never O(n) per record.
  lru_deferred_ = true;
}

size_t Index::open_feed(const uint8_t* data, size_t size) {
  ReplayState& rs = replay_;
  OpenStats& st = rs.stats;
  if (rs.stopped || size == 0) return 0;
  size_t pos = 0;
  if (!rs.header_done) {
    journal::Header header;
    Status hs = journal::decode_header(data, size, &header);
    if (hs == Status::kNotFound) return 0;  // torn so far: wait for more bytes (or the end)
    if (hs != Status::kOk) {
      rs.stopped = true;  // not a journal of ours: open_end() reports it
      return 0;
    }
    rs.header_done = true;
    header_written_ = true;
    generation_ = header.generation;
    st.generation = header.generation;
    pos = journal::kHeaderBytes;
  }
  while (pos < size) {
    journal::RecordView rec;
    size_t consumed = 0;
    journal::FrameResult fr = journal::decode_frame(data + pos, size - pos, &rec, &consumed);
    if (fr == journal::FrameResult::kIncomplete) break;  // more bytes may complete it
    bool good = fr == journal::FrameResult::kOk;
    if (good && st.records > 0 && rec.seq != seq_ + 1) good = false;  // foreign or stale
    if (good && rec.type == RecordType::kSnapshotBegin && st.records > 0) good = false;
    if (good && rec.type == RecordType::kSnapshotEnd) {
      journal::SnapshotEndRecord end;
      good = st.snapshot && journal::decode(rec.payload, rec.payload_size, &end) &&
             end.records == rec.seq - rs.snapshot_begin_seq - 1;
    }
    if (good) good = apply_record(rec) == Status::kOk;
    if (!good) {
      rs.stopped = true;
      break;
    }
    if (rec.type == RecordType::kSnapshotBegin) {
      st.snapshot = true;
      rs.snapshot_begin_seq = rec.seq;
    }
    if (rec.type == RecordType::kSnapshotEnd) st.snapshot_complete = true;
    seq_ = rec.seq;
    pos += consumed;
    ++st.records;
  }
  rs.consumed += pos;
  return pos;
}

OpenStats Index::open_end(size_t size) {
  ReplayState& rs = replay_;
  OpenStats st = rs.stats;
  lru_sort();
  // Replay is not usage: nothing it rebuilt needs to be written again.
  dirty_readers_.clear();
  dirty_probes_.clear();
  for (auto& [site, s] : sites_) s.dirty = false;
  if (!rs.header_done) {
    // A torn header is a journal that was never written (kOk, empty); a wrong one is
    // not ours (kCorrupt). Either way no byte of it is valid.
    st.status = size == 0 || !rs.stopped ? Status::kOk : Status::kCorrupt;
    st.dropped_bytes = size;
    return st;
  }
  st.entries = entries_.size();
  st.valid_bytes = rs.consumed;
  st.dropped_bytes = size - rs.consumed;
  st.last_seq = seq_;
  return st;
}

TailStats Index::apply_tail(const uint8_t* data, size_t size) {
  TailStats st;
  st.last_seq = seq_;
  if (!pending_.empty()) {
    st.status = Status::kInvalidState;
    return st;
  }
  size_t pos = 0;
  // A tail read from offset 0 starts with the header (the other instance created the
  // file). Its magic, read as a record length, is far over kMaxBodyBytes, so it cannot be
  // mistaken for a record.
  if (size >= 4 && std::equal(data, data + 4, journal::kMagic)) {
    journal::Header header;
    Status hs = journal::decode_header(data, size, &header);
    if (hs == Status::kNotFound) {
      st.consumed_bytes = 0;
      return st;
    }
    if (hs != Status::kOk || (header_written_ && header.generation != generation_)) {
      st.status = Status::kInvalidState;  // another generation: reopen the file
      return st;
    }
    header_written_ = true;
    generation_ = header.generation;
    pos = journal::kHeaderBytes;
  }
  while (pos < size) {
    journal::RecordView rec;
    size_t consumed = 0;
    journal::FrameResult fr = journal::decode_frame(data + pos, size - pos, &rec, &consumed);
    if (fr == journal::FrameResult::kIncomplete) break;
    if (fr == journal::FrameResult::kCorrupt) {
      st.status = Status::kCorrupt;
      break;
    }
    if (rec.seq <= seq_) {  // ours, or already applied
      pos += consumed;
      continue;
    }
    if (rec.seq != seq_ + 1 || rec.type == RecordType::kSnapshotBegin) {
      st.status = Status::kInvalidState;  // compacted or lost records: reopen the file
      break;
    }
    Status s = apply_record(rec);
    if (s != Status::kOk) {
      st.status = s;
      break;
    }
    seq_ = rec.seq;
    pos += consumed;
    ++st.records;
  }
  dirty_readers_.clear();  // what another instance wrote is already durable
  st.consumed_bytes = pos;
  st.last_seq = seq_;
  return st;
}

// ---------------------------------------------------------------- commit and read

CommitResult Index::commit(const HashId& id, uint64_t size, std::string_view content_type,
                           std::string_view writer_origin, const VisibilityRequest& request,
                           const AllowOriginCeiling* ceiling, int64_t now_ms) {
  CommitResult result;
  Origin writer;
  if (Status s = parse_origin(writer_origin, &writer); s != Status::kOk) {
    result.status = s;
    return result;
  }
  if (request.origins.size() > policy_.origins_cap) {
    result.status = Status::kTooManyOrigins;
    return result;
  }
  std::vector<Origin> requested(request.origins.size());
  for (size_t i = 0; i < request.origins.size(); ++i) {
    if (Status s = parse_origin(request.origins[i], &requested[i]); s != Status::kOk) {
      result.status = s;
      return result;
    }
  }
  auto existing = entries_.find(id);
  if (existing != entries_.end() && existing->second.size != size) {
    result.status = Status::kInvalidState;  // one SHA-256, two sizes: a caller bug
    return result;
  }
  if (content_type.size() > journal::kMaxContentTypeBytes) content_type = {};

  std::vector<std::string> allowed;  // canonical ceiling origins
  if (ceiling && !ceiling->any) {
    for (const std::string& text : ceiling->origins) {
      Origin o;
      if (parse_origin(text, &o) == Status::kOk) allowed.push_back(o.serialize());
    }
  }

  journal::PutRecord next;
  next.digest = id.digest;
  next.size = size;
  if (existing != entries_.end()) {
    const Entry& e = existing->second;
    next.created_ms = e.created_ms;
    next.last_access_ms = e.last_access_ms;
    next.content_type = e.content_type == kNoName ? 0 : e.content_type + 1;
    next.global = e.global;
    next.storers.assign(e.storers.begin(), e.storers.end());
    next.listed.assign(e.listed.begin(), e.listed.end());
  } else {
    next.created_ms = now_ms;
    next.last_access_ms = now_ms;
    next.content_type = content_type.empty() ? 0 : intern(std::string(content_type)) + 1;
    result.created = true;
  }
  bool changed = result.created;

  NameId writer_id = intern_origin(writer);
  if (!contains_value(next.storers, writer_id)) {
    next.storers.push_back(writer_id);
    changed = true;
  }
  for (const Origin& o : requested) {
    if (ceiling && !ceiling->any && !is_same_site(o, writer) &&
        !contains_value(allowed, o.serialize()))
      continue;  // the writing document's header does not allow this cross-site origin
    auto known = name_ids_.find(o.serialize());
    if (known != name_ids_.end() && contains_value(next.listed, known->second)) continue;
    if (next.listed.size() >= policy_.origins_cap) break;  // growth past the cap: dropped
    next.listed.push_back(intern_origin(o));
    changed = true;
  }
  if (request.global && !next.global) {
    next.global = true;
    changed = true;
  }

  if (changed) {
    apply_put(id, next);
    emit_put(id, entries_.at(id));
  }
  // Last access is max(created, served reads): both are durable, so the LRU order
  // after a replay is the order before it.
  result.changed = changed;
  return result;
}

bool Index::charge_probe(NameId site, const HashId& id, int64_t now_ms) {
  if (policy_.probe_budget == 0) return true;
  SiteState& s = site_state(site);
  if (policy_.probe_window_ms > 0) {
    while (!s.probes.empty() && s.probes.front().first <= now_ms - policy_.probe_window_ms) {
      s.probed.erase(s.probes.front().second);
      s.probes.pop_front();
    }
  }
  if (s.probed.count(id)) return true;  // repeats of one hash are free
  if (s.probed.size() >= policy_.probe_budget) return false;
  s.probed.insert(id);
  s.probes.emplace_back(now_ms, id);
  dirty_probes_.push_back(journal::ProbeRecord{site, id.digest, now_ms});
  return true;
}

// One answer per (seed, reader site, hash): if GREASE drew afresh on every lookup, free
// repeats of one probe would turn a refusal rate r into r^k and undo it. The hub picks a
// new seed at every start, so answers still differ between starts.
bool Index::grease_refuses(NameId site, const HashId& id) const {
  if (!(policy_.grease_rate > 0.0)) return false;
  uint64_t state = policy_.grease_seed;
  for (unsigned char c : names_[site]) state = (state ^ c) * 0x100000001B3ull;  // FNV-1a step
  uint64_t word;
  for (size_t i = 0; i < id.digest.size(); i += sizeof word) {
    std::memcpy(&word, id.digest.data() + i, sizeof word);
    state ^= next_random(&word);
  }
  double u = static_cast<double>(next_random(&state) >> 11) * 0x1.0p-53;
  return u < policy_.grease_rate;
}

bool Index::lookup(const HashId& id, std::string_view reader_origin, int64_t now_ms) {
  ResolvedOrigin reader;
  if (!resolve(reader_origin, &reader)) return false;
  auto it = entries_.find(id);
  Entry* e = it == entries_.end() ? nullptr : &it->second;
  bool disclosed = false;
  if (e && reader.origin != kNoName && contains_value(e->storers, reader.origin)) {
    disclosed = true;  // a storer: deterministic, never charged, never greased
  } else {
    bool site_stores = e && contains_value(e->storer_sites, reader.site);
    // Missing, in-flight and invisible hashes are charged alike, before anything else.
    if (site_stores || charge_probe(reader.site, id, now_ms)) {
      bool authorized =
          e && (site_stores ||
                (reader.origin != kNoName && contains_value(e->listed, reader.origin)) ||
                (e->global && (!policy_.phl_enabled || phl_.count(id) != 0)));
      disclosed = authorized && !grease_refuses(reader.site, id);
    }
  }
  SiteState& counted = site_state(reader.site);
  if (disclosed)
    ++counted.hits;
  else
    ++counted.misses;
  counted.dirty = true;
  return disclosed;
}

bool Index::is_storer(const HashId& id, std::string_view origin) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  ResolvedOrigin o;
  if (!find_origin(origin, &o) || o.origin == kNoName) return false;
  return contains_value(it->second.storers, o.origin);
}

Status Index::record_read(const HashId& id, std::string_view reader_origin, uint64_t bytes,
                          int64_t now_ms) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return Status::kNotFound;
  Origin parsed;
  if (Status s = parse_origin(reader_origin, &parsed); s != Status::kOk) return s;
  NameId origin = intern_origin(parsed);
  NameId site = origin_site(origin);
  Entry& e = it->second;
  uint64_t count = 1, total = bytes;
  for (const Reader& r : e.readers) {
    if (r.origin == origin) {
      count = r.count + 1;
      total = r.bytes + bytes;
    }
  }
  apply_reader(id, origin, std::max(now_ms, e.last_access_ms), count, total);
  dirty_readers_.insert(id);
  SiteState& s = site_state(site);
  s.bytes_served += bytes;
  if (!contains_value(e.storer_sites, site)) ++s.saved_downloads;
  s.dirty = true;
  return Status::kOk;
}

void Index::end_read(const HashId& id) {
  auto it = pins_.find(id);
  if (it == pins_.end()) return;
  if (it->second.reads > 0) --it->second.reads;
  if (it->second.reads == 0 && it->second.writes == 0) pins_.erase(it);
}

void Index::end_write(const HashId& id) {
  auto it = pins_.find(id);
  if (it == pins_.end()) return;
  if (it->second.writes > 0) --it->second.writes;
  if (it->second.reads == 0 && it->second.writes == 0) pins_.erase(it);
}

// ---------------------------------------------------------------- quota

ReserveResult Index::reserve(uint64_t bytes, std::string_view writer_origin) {
  ReserveResult result;
  ResolvedOrigin writer;
  if (!resolve(writer_origin, &writer)) {
    result.status = Status::kInvalidOrigin;
    return result;
  }
  SiteState& site = site_state(writer.site);
  if (policy_.quota_bytes == 0) {
    reserved_bytes_ += bytes;
    site.reserved += bytes;
    return result;
  }
  const uint64_t quota = policy_.quota_bytes;
  const uint64_t site_limit =
      static_cast<uint64_t>(std::floor(policy_.per_site_share * static_cast<double>(quota)));
  if (bytes > quota || bytes > site_limit) {
    result.status = Status::kQuotaExceeded;
    return result;
  }
  std::vector<HashId> victims;
  std::unordered_set<HashId, HashIdHash> chosen;
  auto pick = [&](auto&& eligible, uint64_t need) {
    uint64_t freed = 0;
    for (const Entry* lru = lru_head_; lru; lru = lru->lru_next) {
      if (freed >= need) break;
      const HashId& id = *lru->id;
      if (chosen.count(id) || pins_.count(id)) continue;
      const Entry& e = *lru;
      if (!eligible(e)) continue;
      chosen.insert(id);
      victims.push_back(id);
      freed += e.size;
    }
    return freed;
  };

  // The site's share: only entries that this site alone keeps may go for it.
  uint64_t site_used = site.bytes_stored + site.reserved;
  uint64_t freed_total = 0;
  if (site_used + bytes > site_limit) {
    uint64_t need = site_used + bytes - site_limit;
    NameId s = writer.site;
    uint64_t freed = pick(
        [s](const Entry& e) { return e.storer_sites.size() == 1 && e.storer_sites[0] == s; },
        need);
    if (freed < need) {
      result.status = Status::kQuotaExceeded;
      return result;
    }
    freed_total += freed;
  }
  // The total: entries no origin stores any more go first, then the least recently used.
  uint64_t total_used = used_bytes_ + reserved_bytes_ - freed_total;
  if (total_used + bytes > quota) {
    uint64_t need = total_used + bytes - quota;
    uint64_t freed = pick([](const Entry& e) { return e.storers.empty(); }, need);
    if (freed < need) freed += pick([](const Entry&) { return true; }, need - freed);
    if (freed < need) {
      result.status = Status::kQuotaExceeded;
      return result;
    }
  }
  for (const HashId& id : victims) remove_entry(id);
  reserved_bytes_ += bytes;
  site_state(writer.site).reserved += bytes;
  result.evicted = std::move(victims);
  return result;
}

void Index::release(uint64_t bytes, std::string_view writer_origin) {
  ResolvedOrigin writer;
  if (!resolve(writer_origin, &writer)) return;
  SiteState& site = site_state(writer.site);
  uint64_t site_part = std::min(bytes, site.reserved);
  site.reserved -= site_part;
  reserved_bytes_ -= std::min(bytes, reserved_bytes_);
}

// ---------------------------------------------------------------- management

uint64_t Index::forget_origin(std::string_view origin_text) {
  ResolvedOrigin o;
  if (!find_origin(origin_text, &o) || o.origin == kNoName) return 0;
  std::vector<HashId> ids;
  ids.reserve(entries_.size());
  for (const auto& [id, e] : entries_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());  // a deterministic record order
  uint64_t touched = 0;
  for (const HashId& id : ids) {
    Entry& e = entries_.at(id);
    bool hit = false;
    auto r = std::find_if(e.readers.begin(), e.readers.end(),
                          [&](const Reader& x) { return x.origin == o.origin; });
    if (r != e.readers.end()) {
      Reader gone = *r;
      gone.count = 0;
      gone.bytes = 0;
      apply_reader(id, o.origin, gone.last_access_ms, 0, 0);
      emit_reader(id, gone);
      hit = true;
    }
    if (contains_value(e.storers, o.origin)) {
      journal::PutRecord next;
      next.digest = id.digest;
      next.size = e.size;
      next.created_ms = e.created_ms;
      next.last_access_ms = e.last_access_ms;
      next.content_type = e.content_type == kNoName ? 0 : e.content_type + 1;
      next.global = e.global;
      next.listed.assign(e.listed.begin(), e.listed.end());
      for (NameId s : e.storers)
        if (s != o.origin) next.storers.push_back(s);
      update_entry(&e, next);
      emit_put(id, entries_.at(id));
      hit = true;
    }
    touched += hit ? 1 : 0;
  }
  return touched;
}

Status Index::remove(const HashId& id) {
  if (!entries_.count(id)) return Status::kNotFound;
  if (pins_.count(id)) return Status::kInvalidState;
  remove_entry(id);
  return Status::kOk;
}

PhlStats Index::load_public_hash_list(std::string_view text) {
  PhlStats st;
  phl_.clear();
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    HashId id;
    if (parse_hash_hex(line, &id) == Status::kOk) {
      phl_.insert(id);
    } else {
      ++st.rejected_lines;
    }
  }
  st.loaded = phl_.size();
  return st;
}

EntryInfo Index::describe(const HashId& id, const Entry& e) const {
  EntryInfo info;
  info.id = id;
  info.size = e.size;
  if (e.content_type != kNoName) info.content_type = names_[e.content_type];
  info.created_ms = e.created_ms;
  info.last_access_ms = e.last_access_ms;
  info.global = e.global;
  for (NameId o : e.storers) info.storers.push_back(names_[o]);
  for (NameId o : e.listed) info.listed.push_back(names_[o]);
  for (const Reader& r : e.readers) {
    info.readers.push_back(ReaderInfo{names_[r.origin], r.last_access_ms, r.count, r.bytes});
    info.reads += r.count;
    info.bytes_served += r.bytes;
  }
  std::sort(info.readers.begin(), info.readers.end(),
            [](const ReaderInfo& a, const ReaderInfo& b) { return a.origin < b.origin; });
  info.pinned = pins_.count(id) != 0;
  return info;
}

std::vector<EntryInfo> Index::entries() const {
  std::vector<EntryInfo> out;
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) out.push_back(describe(id, e));
  std::sort(out.begin(), out.end(),
            [](const EntryInfo& a, const EntryInfo& b) { return a.id < b.id; });
  return out;
}

std::optional<EntryInfo> Index::entry(const HashId& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return describe(id, it->second);
}

std::vector<SiteInfo> Index::sites() const {
  std::vector<SiteInfo> out;
  for (const auto& [site, s] : sites_) {
    if (!s.entries_stored && !s.hits && !s.misses && !s.bytes_served && !s.saved_downloads)
      continue;
    out.push_back(SiteInfo{names_[site], s.entries_stored, s.bytes_stored, s.bytes_served,
                           s.hits, s.misses, s.saved_downloads});
  }
  std::sort(out.begin(), out.end(),
            [](const SiteInfo& a, const SiteInfo& b) { return a.site < b.site; });
  return out;
}

}  // namespace cosp
