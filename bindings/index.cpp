// Embind surface of src/index.h for the hub worker: conversions only (hex <-> HashId,
// Uint8Array <-> bytes, plain objects <-> structs, numbers <-> 64-bit). No logic here.
// Numbers: sizes and times are JS numbers (exact below 2^53).
#include "index.h"

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../src/index.h"

using emscripten::val;

namespace {

// A JS Uint8Array copied into the Wasm heap. Not a std::vector: that would zero-fill
// the buffer first (a 6 MB journal: every page touched twice, in Liftoff code at start).
constexpr size_t kFeedBytes = 256 * 1024;  // open()'s buffer; grows for a longer record

struct Bytes {
  std::unique_ptr<uint8_t[]> data;
  size_t size = 0;
};

Bytes bytes_from(const val& array) {
  Bytes out;
  out.size = array["length"].as<size_t>();
  if (out.size == 0) return out;
  out.data.reset(new uint8_t[out.size]);  // default-initialised: no memset
  val(emscripten::typed_memory_view(out.size, out.data.get())).call<void>("set", array);
  return out;
}

val bytes_to(const std::vector<uint8_t>& bytes) {
  // new Uint8Array(view) copies out of the heap, so the result outlives memory growth.
  return val::global("Uint8Array").new_(emscripten::typed_memory_view(bytes.size(), bytes.data()));
}

bool hash_from(const std::string& hex, cosp::HashId* id) {
  return cosp::parse_hash_hex(hex, id) == cosp::Status::kOk;
}

int64_t ms(double v) { return static_cast<int64_t>(v); }
uint64_t count(double v) { return v > 0 ? static_cast<uint64_t>(v) : 0; }

std::vector<std::string> strings_from(const val& array) {
  std::vector<std::string> out;
  if (array.isUndefined() || array.isNull()) return out;
  const size_t n = array["length"].as<size_t>();
  for (size_t i = 0; i < n; ++i) out.push_back(array[i].as<std::string>());
  return out;
}

val strings_to(const std::vector<std::string>& strings) {
  val out = val::array();
  for (const std::string& s : strings) out.call<void>("push", s);
  return out;
}

template <typename T>
void read_field(const val& object, const char* name, T* out) {
  val v = object[name];
  if (!v.isUndefined() && !v.isNull()) *out = static_cast<T>(v.as<double>());
}

class IndexBinding {
 public:
  void set_policy(const val& p) {
    cosp::IndexPolicy policy = index_.policy();
    read_field(p, "probeBudget", &policy.probe_budget);
    read_field(p, "probeWindowMs", &policy.probe_window_ms);
    if (!p["phlEnabled"].isUndefined()) policy.phl_enabled = p["phlEnabled"].as<bool>();
    read_field(p, "greaseRate", &policy.grease_rate);
    read_field(p, "greaseSeed", &policy.grease_seed);
    read_field(p, "quotaBytes", &policy.quota_bytes);
    read_field(p, "perSiteShare", &policy.per_site_share);
    read_field(p, "originsCap", &policy.origins_cap);
    index_.set_policy(policy);
  }

  val policy() const {
    const cosp::IndexPolicy& p = index_.policy();
    val out = val::object();
    out.set("probeBudget", static_cast<double>(p.probe_budget));
    out.set("probeWindowMs", static_cast<double>(p.probe_window_ms));
    out.set("phlEnabled", p.phl_enabled);
    out.set("greaseRate", p.grease_rate);
    out.set("greaseSeed", static_cast<double>(p.grease_seed));
    out.set("quotaBytes", static_cast<double>(p.quota_bytes));
    out.set("perSiteShare", p.per_site_share);
    out.set("originsCap", static_cast<double>(p.origins_cap));
    return out;
  }

  // The journal goes through a small buffer, not copied whole: a 100k-entry file is
  // 6 MB that would be fresh Wasm pages to fault in at start (~3 us each, ~4 ms).
  val open(const val& input) {
    const val u8 = val::global("Uint8Array");
    const val bytes = input.instanceof(u8) ? input : u8.new_(input);
    const size_t total = bytes["length"].as<size_t>();
    index_.open_begin(total);
    size_t cap = total < kFeedBytes ? total : kFeedBytes;
    std::unique_ptr<uint8_t[]> buf(new uint8_t[cap > 0 ? cap : 1]);
    size_t fed = 0, held = 0;  // bytes of `bytes` copied in so far; bytes waiting in buf
    auto refill = [&] {
      if (held == cap) {  // one record longer than the buffer: make room for it
        size_t bigger = cap * 2 < total ? cap * 2 : total;
        std::unique_ptr<uint8_t[]> grown(new uint8_t[bigger]);
        std::memcpy(grown.get(), buf.get(), held);
        buf = std::move(grown);
        cap = bigger;
      }
      size_t n = std::min(cap - held, total - fed);
      val(emscripten::typed_memory_view(n, buf.get() + held))
          .call<void>("set", bytes.call<val>("subarray", fed, fed + n));
      fed += n;
      held += n;
    };
    auto consumed = [&](size_t used) {
      std::memmove(buf.get(), buf.get() + used, held - used);
      held -= used;
    };
    // The first piece is fed apart from the loop on purpose: with two call sites the
    // optimiser (binaryen) keeps open_feed() a function of its own instead of inlining
    // it here. V8 has no on-stack replacement for Wasm, so a record loop inlined into
    // this function would run in baseline code to the end and its TurboFan compile
    // would be wasted; called once per piece, it runs optimised code for later pieces.
    if (total > 0) {
      refill();
      consumed(index_.open_feed(buf.get(), held));
    }
    while (fed < total && !index_.open_stopped()) {
      refill();
      consumed(index_.open_feed(buf.get(), held));
    }
    cosp::OpenStats s = index_.open_end(total);
    val out = val::object();
    out.set("status", static_cast<int32_t>(s.status));
    out.set("entries", static_cast<double>(s.entries));
    out.set("records", static_cast<double>(s.records));
    out.set("validBytes", static_cast<double>(s.valid_bytes));
    out.set("droppedBytes", static_cast<double>(s.dropped_bytes));
    out.set("lastSeq", static_cast<double>(s.last_seq));
    out.set("generation", static_cast<double>(s.generation));
    out.set("snapshot", s.snapshot);
    out.set("snapshotComplete", s.snapshot_complete);
    return out;
  }

  val apply_tail(const val& bytes) {
    Bytes data = bytes_from(bytes);
    cosp::TailStats s = index_.apply_tail(data.data.get(), data.size);
    val out = val::object();
    out.set("status", static_cast<int32_t>(s.status));
    out.set("records", static_cast<double>(s.records));
    out.set("consumedBytes", static_cast<double>(s.consumed_bytes));
    out.set("lastSeq", static_cast<double>(s.last_seq));
    return out;
  }

  val take_pending_journal_bytes() { return bytes_to(index_.take_pending_journal_bytes()); }
  bool has_pending_journal_bytes() const { return index_.has_pending_journal_bytes(); }
  void flush_usage() { index_.flush_usage(); }
  val compact(double now_ms) { return bytes_to(index_.compact(ms(now_ms))); }

  // visibility: {global: bool, origins: [string]}; ceiling: null/undefined, '*', or [string].
  val commit(const std::string& hex, double size, const std::string& content_type,
             const std::string& writer, const val& visibility, const val& ceiling,
             double now_ms) {
    val out = val::object();
    cosp::HashId id;
    if (!hash_from(hex, &id)) {
      out.set("status", static_cast<int32_t>(cosp::Status::kInvalidHashValue));
      out.set("created", false);
      out.set("changed", false);
      return out;
    }
    cosp::VisibilityRequest request;
    if (!visibility.isUndefined() && !visibility.isNull()) {
      request.global = !visibility["global"].isUndefined() && visibility["global"].as<bool>();
      request.origins = strings_from(visibility["origins"]);
    }
    cosp::AllowOriginCeiling allow;
    const cosp::AllowOriginCeiling* allow_ptr = nullptr;
    if (!ceiling.isUndefined() && !ceiling.isNull()) {
      if (ceiling.isString()) {
        allow.any = ceiling.as<std::string>() == "*";
      } else {
        allow.origins = strings_from(ceiling);
      }
      allow_ptr = &allow;
    }
    cosp::CommitResult r =
        index_.commit(id, count(size), content_type, writer, request, allow_ptr, ms(now_ms));
    out.set("status", static_cast<int32_t>(r.status));
    out.set("created", r.created);
    out.set("changed", r.changed);
    return out;
  }

  bool lookup(const std::string& hex, const std::string& reader, double now_ms) {
    cosp::HashId id;
    return hash_from(hex, &id) && index_.lookup(id, reader, ms(now_ms));
  }

  bool is_storer(const std::string& hex, const std::string& origin) const {
    cosp::HashId id;
    return hash_from(hex, &id) && index_.is_storer(id, origin);
  }

  bool contains(const std::string& hex) const {
    cosp::HashId id;
    return hash_from(hex, &id) && index_.contains(id);
  }

  int32_t record_read(const std::string& hex, const std::string& reader, double bytes,
                      double now_ms) {
    cosp::HashId id;
    if (!hash_from(hex, &id)) return static_cast<int32_t>(cosp::Status::kInvalidHashValue);
    return static_cast<int32_t>(index_.record_read(id, reader, count(bytes), ms(now_ms)));
  }

  void begin_read(const std::string& hex) { with_hash(hex, &cosp::Index::begin_read); }
  void end_read(const std::string& hex) { with_hash(hex, &cosp::Index::end_read); }
  void begin_write(const std::string& hex) { with_hash(hex, &cosp::Index::begin_write); }
  void end_write(const std::string& hex) { with_hash(hex, &cosp::Index::end_write); }

  val reserve(double bytes, const std::string& writer) {
    cosp::ReserveResult r = index_.reserve(count(bytes), writer);
    val out = val::object();
    out.set("status", static_cast<int32_t>(r.status));
    val evicted = val::array();
    for (const cosp::HashId& id : r.evicted) evicted.call<void>("push", id.hex());
    out.set("evicted", evicted);
    return out;
  }

  void release(double bytes, const std::string& writer) { index_.release(count(bytes), writer); }
  double used_bytes() const { return static_cast<double>(index_.used_bytes()); }
  double reserved_bytes() const { return static_cast<double>(index_.reserved_bytes()); }

  double forget_origin(const std::string& origin) {
    return static_cast<double>(index_.forget_origin(origin));
  }

  int32_t remove(const std::string& hex) {
    cosp::HashId id;
    if (!hash_from(hex, &id)) return static_cast<int32_t>(cosp::Status::kInvalidHashValue);
    return static_cast<int32_t>(index_.remove(id));
  }

  val load_public_hash_list(const std::string& text) {
    cosp::PhlStats s = index_.load_public_hash_list(text);
    val out = val::object();
    out.set("loaded", static_cast<double>(s.loaded));
    out.set("rejectedLines", static_cast<double>(s.rejected_lines));
    return out;
  }

  val entry(const std::string& hex) const {
    cosp::HashId id;
    if (!hash_from(hex, &id)) return val::null();
    std::optional<cosp::EntryInfo> e = index_.entry(id);
    return e ? entry_to(*e) : val::null();
  }

  val entries() const {
    val out = val::array();
    for (const cosp::EntryInfo& e : index_.entries()) out.call<void>("push", entry_to(e));
    return out;
  }

  val sites() const {
    val out = val::array();
    for (const cosp::SiteInfo& s : index_.sites()) {
      val o = val::object();
      o.set("site", s.site);
      o.set("entriesStored", static_cast<double>(s.entries_stored));
      o.set("bytesStored", static_cast<double>(s.bytes_stored));
      o.set("bytesServed", static_cast<double>(s.bytes_served));
      o.set("hits", static_cast<double>(s.hits));
      o.set("misses", static_cast<double>(s.misses));
      o.set("savedDownloads", static_cast<double>(s.saved_downloads));
      out.call<void>("push", o);
    }
    return out;
  }

  double size() const { return static_cast<double>(index_.size()); }
  double last_seq() const { return static_cast<double>(index_.last_seq()); }
  double generation() const { return static_cast<double>(index_.generation()); }

 private:
  void with_hash(const std::string& hex, void (cosp::Index::*fn)(const cosp::HashId&)) {
    cosp::HashId id;
    if (hash_from(hex, &id)) (index_.*fn)(id);
  }

  static val entry_to(const cosp::EntryInfo& e) {
    val o = val::object();
    o.set("hash", e.id.hex());
    o.set("size", static_cast<double>(e.size));
    o.set("contentType", e.content_type);
    o.set("createdMs", static_cast<double>(e.created_ms));
    o.set("lastAccessMs", static_cast<double>(e.last_access_ms));
    o.set("global", e.global);
    o.set("storers", strings_to(e.storers));
    o.set("listed", strings_to(e.listed));
    val readers = val::array();
    for (const cosp::ReaderInfo& r : e.readers) {
      val x = val::object();
      x.set("origin", r.origin);
      x.set("lastAccessMs", static_cast<double>(r.last_access_ms));
      x.set("count", static_cast<double>(r.count));
      x.set("bytes", static_cast<double>(r.bytes));
      readers.call<void>("push", x);
    }
    o.set("readers", readers);
    o.set("reads", static_cast<double>(e.reads));
    o.set("bytesServed", static_cast<double>(e.bytes_served));
    o.set("pinned", e.pinned);
    return o;
  }

  cosp::Index index_;
};

}  // namespace

void cos_bind_index() {
  using emscripten::class_;
  class_<IndexBinding>("Index")
      .constructor<>()
      .function("setPolicy", &IndexBinding::set_policy)
      .function("policy", &IndexBinding::policy)
      .function("open", &IndexBinding::open)
      .function("applyTail", &IndexBinding::apply_tail)
      .function("takePendingJournalBytes", &IndexBinding::take_pending_journal_bytes)
      .function("hasPendingJournalBytes", &IndexBinding::has_pending_journal_bytes)
      .function("flushUsage", &IndexBinding::flush_usage)
      .function("compact", &IndexBinding::compact)
      .function("commit", &IndexBinding::commit)
      .function("lookup", &IndexBinding::lookup)
      .function("isStorer", &IndexBinding::is_storer)
      .function("contains", &IndexBinding::contains)
      .function("recordRead", &IndexBinding::record_read)
      .function("beginRead", &IndexBinding::begin_read)
      .function("endRead", &IndexBinding::end_read)
      .function("beginWrite", &IndexBinding::begin_write)
      .function("endWrite", &IndexBinding::end_write)
      .function("reserve", &IndexBinding::reserve)
      .function("release", &IndexBinding::release)
      .function("usedBytes", &IndexBinding::used_bytes)
      .function("reservedBytes", &IndexBinding::reserved_bytes)
      .function("forgetOrigin", &IndexBinding::forget_origin)
      .function("remove", &IndexBinding::remove)
      .function("loadPublicHashList", &IndexBinding::load_public_hash_list)
      .function("entry", &IndexBinding::entry)
      .function("entries", &IndexBinding::entries)
      .function("sites", &IndexBinding::sites)
      .function("size", &IndexBinding::size)
      .function("lastSeq", &IndexBinding::last_seq)
      .function("generation", &IndexBinding::generation);
}
