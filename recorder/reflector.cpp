#include "recorder/reflector.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <thread>
#include <utility>

#include "formats/json.hpp"
#include "formats/patch.hpp"

namespace ktape::recorder {

namespace {

using namespace std::chrono;
using formats::Method;
using formats::Value;

std::string object_key(const Value& object) {
  auto ns = object.string_at({"metadata", "namespace"});
  auto name = object.string_at({"metadata", "name"});
  return ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name);
}

// Typed lists carry apiVersion and kind once, not on their items; a recording needs them on
// every object. They go first, where kubectl prints them.
void ensure_type_meta(Value& object, const ResourceRef& ref) {
  if (!object.is_object() || (object.contains("apiVersion") && object.contains("kind"))) return;
  auto& members = object.as_object();
  members.erase(
      std::remove_if(members.begin(), members.end(),
                     [](const formats::Member& m) { return m.key == "apiVersion" || m.key == "kind"; }),
      members.end());
  members.insert(members.begin(), formats::Member{"kind", Value(ref.kind)});
  members.insert(members.begin(), formats::Member{"apiVersion", Value(ref.gvr.api_version())});
}

bool empty_patch(const Value& patch) { return patch.is_object() && patch.size() == 0; }

// The text of member i ("key":value) in a state's JSON.
template <typename State>
std::string_view member_text(const State& state, std::size_t i) {
  std::size_t begin = i == 0 ? 1 : state.ends[i - 1] + 1;  // after "{" or ","
  return std::string_view(state.json).substr(begin, state.ends[i] - begin);
}

// The patch from `before` to `after`; nullopt when no strategic diff exists (a merge-list element
// without its key).
std::optional<Value> diff(const Value& before, const Value& after, bool strategic) {
  if (!strategic) return formats::create_merge_patch(before, after);
  auto smp = formats::create_strategic_merge_patch(before, after);
  if (!smp) return std::nullopt;
  return std::move(*smp);
}

// The patch from the recorded `old` state to the new object (whose state is `now`), as diff() of
// the whole objects would make it. A top-level member whose text is the same in both adds nothing
// to a diff, so it is left out of both sides (except apiVersion and kind, which choose the patch
// metadata); only the changed members of the old state are parsed back, and only the changed
// members of the new object are taken for the diff (and given back after it). `members` is the
// new object's: size(), key(i), take(i) (nullopt: unreadable, which sets `unreadable`) and
// give(i, value). nullopt: no strategic diff exists. An empty object when a state cannot be read
// back (our own text: it cannot happen) or a new member is unreadable.
template <typename State, typename Members>
std::optional<Value> diff_members(const State& old, const State& now, Members& members, bool strategic) {
  std::vector<bool> old_matched(old.ends.size(), false);
  std::vector<std::size_t> moved;  // members taken into `after`, in order
  Value before = Value::object();
  Value after = Value::object();
  bool readable = true;
  std::string prefix;
  for (std::size_t i = 0; i < members.size() && readable; ++i) {
    const std::string& key = members.key(i);
    prefix.clear();
    formats::append_json_string(prefix, key);
    prefix.push_back(':');
    std::size_t j = i < old.ends.size() && member_text(old, i).starts_with(prefix) ? i : old.ends.size();
    for (std::size_t k = 0; j == old.ends.size() && k < old.ends.size(); ++k)
      if (!old_matched[k] && member_text(old, k).starts_with(prefix)) j = k;
    bool type_meta = key == "apiVersion" || key == "kind";
    if (j < old.ends.size()) {
      old_matched[j] = true;
      std::string_view text = member_text(old, j);
      if (text == member_text(now, i) && !type_meta) continue;
      auto value = formats::parse_json(text.substr(prefix.size()));
      if (!value) {
        readable = false;
        break;
      }
      before.as_object().push_back(formats::Member{key, std::move(*value)});
    }
    auto value = members.take(i);
    if (!value) {
      readable = false;
      break;
    }
    after.as_object().push_back(formats::Member{key, std::move(*value)});
    moved.push_back(i);
  }
  // What the object no longer has, in the old order.
  for (std::size_t j = 0; j < old.ends.size() && readable; ++j) {
    if (old_matched[j]) continue;
    std::string text = "{";
    text += member_text(old, j);
    text += "}";
    auto member = formats::parse_json(text);
    if (!member || member->size() != 1) {
      readable = false;
      break;
    }
    before.as_object().push_back(std::move(member->as_object().front()));
  }
  std::optional<Value> patch =
      readable ? diff(before, after, strategic) : std::optional<Value>(Value::object());
  auto& back = after.as_object();
  for (std::size_t k = 0; k < moved.size(); ++k) members.give(moved[k], std::move(back[k].value));
  return patch;
}

// The members of a decoded object, moved out for the diff and back after it.
struct ValueMembers {
  std::vector<formats::Member>& members;
  std::size_t size() const { return members.size(); }
  const std::string& key(std::size_t i) const { return members[i].key; }
  std::optional<Value> take(std::size_t i) { return std::move(members[i].value); }
  void give(std::size_t i, Value&& v) { members[i].value = std::move(v); }
};

// The members of an object as received: each parsed from its text when the diff needs it;
// metadata, already decoded (and stripped), copied.
struct TextMembers {
  const std::vector<formats::JsonMember>& members;
  std::size_t metadata;  // its index
  const Value& meta;
  bool unreadable = false;
  std::size_t size() const { return members.size(); }
  const std::string& key(std::size_t i) const { return members[i].key; }
  std::optional<Value> take(std::size_t i) {
    if (i == metadata) return meta;
    auto v = formats::parse_json(members[i].value);
    if (!v) {
      unreadable = true;
      return std::nullopt;
    }
    return std::move(*v);
  }
  void give(std::size_t, Value&&) {}
};

// diff_members for a decoded object; also takes states without member ends.
template <typename State>
std::optional<Value> diff_changed(const State& old, const State& now, Value& object, bool strategic) {
  if (old.ends.empty() || now.ends.empty()) {
    auto before = formats::parse_json(old.json);
    if (!before) return Value::object();
    return diff(*before, object, strategic);
  }
  ValueMembers members{object.as_object()};
  return diff_members(old, now, members, strategic);
}

}  // namespace

ListWatchLoop::ListWatchLoop(ResourceRef ref, Source& source, kube::Clock& clock, Stamp stamp, Emit emit,
                             Report report, LoopOptions options)
    : m_ref(std::move(ref)),
      m_source(source),
      m_clock(clock),
      m_stamp(std::move(stamp)),
      m_emit(std::move(emit)),
      m_report(std::move(report)),
      m_options(std::move(options)),
      m_random(m_options.seed ? m_options.seed : std::random_device{}()),
      m_backoff(m_options.initial_backoff) {
  std::size_t shards = std::max(1u, m_options.workers);
  for (std::size_t i = 0; i < shards; ++i) m_shards.push_back(std::make_unique<Shard>());
}

ListWatchLoop::~ListWatchLoop() { stop_workers(); }

struct ListWatchLoop::Shard {
  States states;
  std::mutex mutex;
  std::condition_variable wake;  // work arrived, or the worker is to quit
  std::condition_variable room;  // the queue has room again, or went idle
  std::vector<Work> queue;
  std::vector<Work> done;  // processed, for the loop's thread to free
  bool busy = false;       // the worker is processing a batch taken from the queue
  bool quit = false;
  std::thread thread;
};

namespace {
// Events waiting for one worker at most: about a few milliseconds of work.
constexpr std::size_t k_queue_limit = 256;
}  // namespace

void ListWatchLoop::run() {
  bool first = true;
  while (!stopped()) {
    auto items = list_all();
    if (!items) {
      if (is_cancelled(items.error()) || stopped()) break;
      failed(items.error());
      backoff();
      continue;
    }
    succeeded();
    ListMode mode =
        first ? (m_options.initial_as_snapshot ? ListMode::snapshot : ListMode::creates) : ListMode::resync;
    apply_list(std::move(*items), mode);
    if (first) m_emit(Record{Record::Kind::listed, {}, {}, m_ref.display, {}});
    first = false;
    if (!m_options.watch) break;
    if (watch_until_relist() == WatchEnd::stopped) break;
    drain();  // a relist compares with every state: the workers first finish what was received
    m_undecodable.store(false, std::memory_order_release);  // the relist records what it missed
    std::lock_guard lock(m_stats_mutex);
    ++m_stats.relists;
  }
  stop_workers();  // what was received is recorded
}

void ListWatchLoop::stop() {
  m_stop.store(true, std::memory_order_release);
  std::lock_guard lock(m_stream_mutex);
  if (m_stream) m_stream->cancel();
}

LoopStats ListWatchLoop::stats() const {
  std::lock_guard lock(m_stats_mutex);
  return m_stats;
}

std::size_t ListWatchLoop::shard_index(const std::string& key) const {
  return m_shards.size() == 1 ? 0 : std::hash<std::string>{}(key) % m_shards.size();
}

void ListWatchLoop::start_worker(Shard& shard) {
  shard.quit = false;
  shard.thread = std::thread([this, s = &shard] { work(*s); });
}

void ListWatchLoop::work(Shard& shard) {
  std::vector<Work> batch;
  std::unique_lock lock(shard.mutex);
  for (;;) {
    shard.wake.wait(lock, [&] { return !shard.queue.empty() || shard.quit; });
    if (shard.queue.empty()) return;  // quitting, and everything is processed
    batch.swap(shard.queue);
    shard.busy = true;
    lock.unlock();
    shard.room.notify_all();
    for (auto& w : batch) process(shard.states, w);
    lock.lock();
    // The events go back to the loop's thread to be freed there: the memory of a decoded object
    // is that thread's, and freeing it here would contend with it on the allocator.
    if (shard.done.empty()) {
      shard.done.swap(batch);
    } else {
      std::move(batch.begin(), batch.end(), std::back_inserter(shard.done));
    }
    batch.clear();
    shard.busy = false;
    if (shard.queue.empty()) shard.room.notify_all();  // idle: drain() may be waiting
  }
}

void ListWatchLoop::submit(Work work) {
  Shard& shard = *m_shards[shard_index(work.key)];
  if (!shard.thread.joinable()) {
    if (m_options.workers == 0 || !m_options.watch) return process(shard.states, work);
    start_worker(shard);  // at the first event: a resource that has none costs no thread
  }
  std::unique_lock lock(shard.mutex);
  shard.room.wait(lock, [&] { return shard.queue.size() < k_queue_limit; });
  bool was_empty = shard.queue.empty();
  shard.queue.push_back(std::move(work));
  m_freeing.swap(shard.done);
  lock.unlock();
  if (was_empty) shard.wake.notify_one();
  m_freeing.clear();
}

void ListWatchLoop::drain() {
  for (auto& shard : m_shards) {
    std::unique_lock lock(shard->mutex);
    shard->room.wait(lock,
                     [&] { return !shard->thread.joinable() || (shard->queue.empty() && !shard->busy); });
  }
}

void ListWatchLoop::stop_workers() {
  for (auto& shard : m_shards) {
    if (!shard->thread.joinable()) continue;
    {
      std::lock_guard lock(shard->mutex);
      shard->quit = true;
    }
    shard->wake.notify_one();
    shard->thread.join();
  }
}

Result<std::vector<Value>> ListWatchLoop::list_all() {
  std::vector<Value> items;
  std::string token;
  bool restarted = false;
  do {
    if (stopped()) return fail(ErrorKind::cancelled, "stopped");
    auto page = m_source.list(token, m_options.page_size);
    if (!page && is_expired(page.error()) && !token.empty() && !restarted) {
      // The continue token outlived the server's history: start the list again, once.
      items.clear();
      token.clear();
      restarted = true;
      continue;
    }
    if (!page) return fail(page.error());
    for (auto& item : page->items) items.push_back(std::move(item));
    m_resource_version = page->resource_version;
    token = page->continue_token;
  } while (!token.empty());
  std::lock_guard lock(m_stats_mutex);
  ++m_stats.lists;
  return items;
}

bool ListWatchLoop::prepare(Value& object) {
  ensure_type_meta(object, m_ref);
  if (m_options.accept && !m_options.accept(object)) return false;
  formats::strip_for_snapshot(object, m_options.keep_managed_fields);
  if (m_options.transform) m_options.transform(object);
  return true;
}

void ListWatchLoop::apply_list(std::vector<Value> items, ListMode mode) {
  std::vector<States> seen(m_shards.size());
  for (auto& object : items) {
    if (!prepare(object)) continue;
    std::string key = object_key(object);
    std::size_t index = shard_index(key);
    if (mode == ListMode::snapshot) {
      seen[index][key] = state_of(object);
      {
        std::lock_guard lock(m_stats_mutex);
        ++m_stats.objects;
      }
      Record record{Record::Kind::snapshot_object, std::move(object), {}, m_ref.display, {}};
      record.event.resource = m_ref.gvr;  // lets the pipeline turn it into a create if the section closed
      m_emit(std::move(record));
      continue;
    }
    States& states = m_shards[index]->states;
    record_upsert(states, key, object, mode == ListMode::resync, -1);
    seen[index][key] = states[key];
  }
  for (std::size_t i = 0; i < m_shards.size(); ++i) {
    States& states = m_shards[i]->states;
    if (mode == ListMode::resync) {
      // What vanished while the watch was down.
      for (const auto& [key, state] : states) {
        if (seen[i].count(key)) continue;
        auto object = formats::parse_json(state.json);
        if (object) emit_event(Method::remove, *object, Value(), true, -1);
      }
    }
    states = std::move(seen[i]);
  }
}

ListWatchLoop::WatchEnd ListWatchLoop::watch_until_relist() {
  while (!stopped()) {
    if (take_undecodable()) return WatchEnd::relist;
    auto min = m_options.min_watch_timeout;
    auto timeout =
        min + seconds(std::uniform_int_distribution<long>(0, std::max<long>(min.count() - 1, 0))(m_random));
    {
      std::lock_guard lock(m_stats_mutex);
      ++m_stats.watches;
    }
    auto stream = m_source.watch(m_resource_version, timeout);
    if (!stream) {
      if (is_expired(stream.error())) return WatchEnd::relist;
      if (is_cancelled(stream.error()) || stopped()) return WatchEnd::stopped;
      failed(stream.error());
      backoff();
      continue;
    }
    {
      std::lock_guard lock(m_stream_mutex);
      m_stream = stream->get();
    }
    if (stopped()) (*stream)->cancel();
    auto started = m_clock.now();
    std::size_t count = 0;
    auto result = consume(**stream, count);
    {
      std::lock_guard lock(m_stream_mutex);
      m_stream = nullptr;
    }
    if (result) drain();  // before watching on from here, the workers read what this watch brought
    if (take_undecodable()) return WatchEnd::relist;
    if (!result) {
      if (is_expired(result.error())) return WatchEnd::relist;
      if (is_cancelled(result.error()) || stopped()) return WatchEnd::stopped;
      failed(result.error());
      backoff();
      continue;
    }
    if (count == 0 && m_clock.now() - started < m_options.min_watch_life) {
      // Closed at once with nothing in it: treat as a failure so a broken server is no hot loop.
      failed(Error{ErrorKind::transport, "watch closed at once without events", 0, {}});
      backoff();
      continue;
    }
    succeeded();
  }
  return WatchEnd::stopped;
}

Result<bool> ListWatchLoop::consume(WatchStream& stream, std::size_t& count) {
  for (;;) {
    auto event = stream.next();
    if (!event) return fail(event.error());
    if (!*event) return true;
    ++count;
    handle(std::move(**event));
    if (m_undecodable.load(std::memory_order_acquire)) return true;  // the caller relists
  }
}

bool ListWatchLoop::take_undecodable() {
  if (!m_undecodable.exchange(false, std::memory_order_acq_rel)) return false;
  std::string message;
  {
    std::lock_guard lock(m_stats_mutex);
    message = m_undecodable_message;
  }
  Error error{ErrorKind::parse, m_ref.display + ": " + message, 0, {}};
  failed(error);
  if (m_report) m_report(error.message + "; relisting so that nothing is lost");
  return true;
}

void ListWatchLoop::handle(WatchEvent event) {
  if (event.raw) {
    if (!event.raw->resource_version.empty()) m_resource_version = event.raw->resource_version;
    if (event.type == WatchEvent::Type::bookmark) return;
    Work work{event.type, Value(), {}, m_stamp(), std::move(event.raw)};
    const auto& raw = *work.raw;
    work.key = raw.namespace_name.empty() ? raw.name : raw.namespace_name + "/" + raw.name;
    submit(std::move(work));
    return;
  }
  auto rv = event.object.string_at({"metadata", "resourceVersion"});
  if (!rv.empty()) m_resource_version = std::string(rv);
  if (event.type == WatchEvent::Type::bookmark) return;
  Work work{event.type, std::move(event.object), {}, m_stamp(), std::nullopt};
  work.key = object_key(work.object);  // prepare() changes neither name nor namespace
  submit(std::move(work));
}

void ListWatchLoop::process(States& states, Work& work) {
  if (work.raw) {
    std::string error;
    if (!process_raw(states, work, error)) undecodable(error);
    return;
  }
  process_object(states, work);
}

void ListWatchLoop::process_object(States& states, Work& work) {
  if (!prepare(work.object)) return;
  if (work.type == WatchEvent::Type::deleted) {
    record_delete(states, work.key, work.object, false, work.stamp);
    return;
  }
  record_upsert(states, work.key, work.object, false, work.stamp);
}

bool ListWatchLoop::process_raw(States& states, Work& work, std::string& error) {
  const kube::RawWatchEvent& raw = *work.raw;
  bool located = raw.object_end > raw.object_begin;
  // The whole object decoded, for the paths that need it (a create, a transform, a shape the
  // text comparison does not take).
  auto decode = [&]() -> bool {
    auto doc = formats::parse_json(located ? raw.object_text() : std::string_view(raw.line));
    if (!doc) {
      error = "an event's object is not JSON: " + doc.error().message;
      return false;
    }
    if (located) {
      work.object = std::move(*doc);
      return true;
    }
    Value* object = doc->find("object");
    if (!object || !object->is_object()) {
      error = "an event without an object";
      return false;
    }
    work.object = std::move(*object);
    return true;
  };
  thread_local std::vector<formats::JsonMember> members;
  constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::size_t metadata = none;
  bool by_text = located && !m_options.transform && formats::split_json_object(raw.object_text(), members);
  if (by_text) {
    bool api_version = false, kind = false;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (members[i].key == "metadata") metadata = i;
      api_version = api_version || members[i].key == "apiVersion";
      kind = kind || members[i].key == "kind";
    }
    by_text = metadata != none && api_version && kind;  // else ensure_type_meta adds them
  }
  if (!by_text) {
    if (!decode()) return false;
    process_object(states, work);
    return true;
  }
  auto meta = formats::parse_json(members[metadata].value);
  if (!meta || !meta->is_object()) {
    error = "an event's metadata is not a JSON object" + (meta ? std::string() : ": " + meta.error().message);
    return false;
  }
  Value head = Value::object();  // the object's metadata alone: what accept, strip and emit read
  head.set("metadata", std::move(*meta));
  if (m_options.accept && !m_options.accept(head)) return true;
  formats::strip_for_snapshot(head, m_options.keep_managed_fields);
  if (work.type == WatchEvent::Type::deleted) {
    record_delete(states, work.key, head, false, work.stamp);
    return true;
  }
  auto it = states.find(work.key);
  if (it == states.end() || it->second.ends.empty()) {
    if (!decode()) return false;
    process_object(states, work);
    return true;
  }
  // The new state's text: each member as received, metadata as stripped.
  const Value& stripped = *head.find("metadata");
  thread_local LastState now;
  now.json.clear();
  now.ends.clear();
  now.json.push_back('{');
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) now.json.push_back(',');
    formats::append_json_string(now.json, members[i].key);
    now.json.push_back(':');
    if (i == metadata) {
      formats::append_json(now.json, stripped);
    } else {
      now.json.append(members[i].value);
    }
    now.ends.push_back(now.json.size());
  }
  now.json.push_back('}');
  LastState& old = it->second;
  if (old.json == now.json) return true;
  TextMembers text{members, metadata, stripped};
  std::optional<Value> patch = diff_members(old, now, text, m_ref.strategic);
  if (text.unreadable) {
    error = "an event's object is not JSON";
    return false;
  }
  if (!patch) {
    // No strategic diff exists: replace the whole object (see record_upsert).
    if (!decode()) return false;
    if (!prepare(work.object)) return true;
    patch = std::move(work.object);
    patch->set("$patch", "replace");
  }
  old.json.assign(now.json);
  old.ends.assign(now.ends.begin(), now.ends.end());
  if (empty_patch(*patch)) return true;
  emit_event(Method::patch, head, std::move(*patch), false, work.stamp);
  return true;
}

void ListWatchLoop::undecodable(const std::string& message) {
  {
    std::lock_guard lock(m_stats_mutex);
    m_undecodable_message = message;
  }
  m_undecodable.store(true, std::memory_order_release);
  // Wake the loop's thread, which may be waiting for an event that does not come.
  std::lock_guard lock(m_stream_mutex);
  if (m_stream) m_stream->cancel();
}

void ListWatchLoop::write_state(const Value& object, LastState& state, const LastState* previous) {
  state.json.clear();
  state.ends.clear();
  if (!object.is_object()) {
    formats::append_json(state.json, object);
    return;
  }
  // to_json's text, member by member. A member whose value still reads as it did in the
  // previous state is copied from there: comparing is cheaper than writing.
  bool hints = previous != nullptr && !previous->ends.empty();
  const auto& members = object.as_object();
  state.json.push_back('{');
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) state.json.push_back(',');
    std::size_t begin = state.json.size();
    formats::append_json_string(state.json, members[i].key);
    state.json.push_back(':');
    std::string_view prefix = std::string_view(state.json).substr(begin);
    bool copied = false;
    if (hints && i < previous->ends.size()) {
      std::string_view before = member_text(*previous, i);
      if (before.starts_with(prefix) && formats::is_json_of(members[i].value, before.substr(prefix.size()))) {
        state.json.append(before.substr(prefix.size()));
        copied = true;
      }
    }
    if (!copied) formats::append_json(state.json, members[i].value);
    state.ends.push_back(state.json.size());
  }
  state.json.push_back('}');
}

ListWatchLoop::LastState ListWatchLoop::state_of(const Value& object) {
  thread_local LastState scratch;
  write_state(object, scratch, nullptr);
  return scratch;  // a copy, allocated at its size
}

void ListWatchLoop::record_upsert(States& states, const std::string& key, Value& object, bool resync,
                                  std::int64_t stamp) {
  auto it = states.find(key);
  if (it == states.end()) {
    states.emplace(key, state_of(object));
    emit_event(Method::create, std::move(object), resync, stamp);
    return;
  }
  // The new state is written into a buffer kept for the thread's next event, then copied over
  // the old one (whose buffer is usually large enough): no allocation of an object's size.
  thread_local LastState now;
  LastState& old = it->second;
  write_state(object, now, &old);
  if (old.json == now.json) return;
  std::optional<Value> patch = diff_changed(old, now, object, m_ref.strategic);
  old.json.assign(now.json);
  old.ends.assign(now.ends.begin(), now.ends.end());
  if (!patch) {
    // No strategic diff exists (a merge-list element without its key): replace the whole
    // object, which strategic apply honours. A merge patch here would be misread as strategic.
    patch = object;
    patch->set("$patch", "replace");
  }
  if (empty_patch(*patch)) return;
  emit_event(Method::patch, object, std::move(*patch), resync, stamp);
}

void ListWatchLoop::record_delete(States& states, const std::string& key, const Value& object, bool resync,
                                  std::int64_t stamp) {
  if (states.erase(key) == 0) return;  // never recorded (filtered, or already gone)
  emit_event(Method::remove, object, Value(), resync, stamp);
}

void ListWatchLoop::emit_event(Method method, Value object, bool resync, std::int64_t stamp) {
  // A create carries the object itself: identify it before it moves into the template.
  std::string name(object.string_at({"metadata", "name"}));
  std::string ns(object.string_at({"metadata", "namespace"}));
  emit(method, std::move(name), std::move(ns), std::move(object), resync, stamp);
}

void ListWatchLoop::emit_event(Method method, const Value& object, Value template_value, bool resync,
                               std::int64_t stamp) {
  emit(method, std::string(object.string_at({"metadata", "name"})),
       std::string(object.string_at({"metadata", "namespace"})), std::move(template_value), resync, stamp);
}

void ListWatchLoop::emit(Method method, std::string name, std::string ns, Value template_value, bool resync,
                         std::int64_t stamp) {
  formats::ResourcePatch ev;
  ev.resource = m_ref.gvr;
  ev.name = std::move(name);
  ev.namespace_name = std::move(ns);
  ev.duration_ns = stamp < 0 ? m_stamp() : stamp;
  ev.method = method;
  ev.template_value = std::move(template_value);
  ev.resync = resync;
  {
    std::lock_guard lock(m_stats_mutex);
    ++m_stats.events;
  }
  m_emit(Record{Record::Kind::event, {}, std::move(ev), m_ref.display, {}});
}

void ListWatchLoop::failed(const Error& error) {
  // A failure after a quiet period starts the backoff afresh, as client-go's backoff manager does.
  auto now = m_clock.now();
  if (m_last_failure != std::chrono::steady_clock::time_point{} &&
      now - m_last_failure > m_options.backoff_reset_after)
    m_backoff = m_options.initial_backoff;
  m_last_failure = now;
  ++m_consecutive_failures;
  {
    std::lock_guard lock(m_stats_mutex);
    ++m_stats.failures;
    m_stats.failing = true;
    m_stats.last_error = error.message;
  }
  if (m_consecutive_failures == m_options.failures_before_report && m_report)
    m_report(m_ref.display + ": " + std::to_string(m_consecutive_failures) +
             " failures in a row, still retrying: " + error.message);
}

void ListWatchLoop::succeeded() {
  if (m_consecutive_failures >= m_options.failures_before_report && m_report)
    m_report(m_ref.display + ": recovered after " + std::to_string(m_consecutive_failures) + " failures");
  m_consecutive_failures = 0;
  std::lock_guard lock(m_stats_mutex);
  m_stats.failing = false;
}

void ListWatchLoop::backoff() {
  // Jitter: up to +100% (client-go's jitter factor 1.0).
  auto jitter = std::uniform_real_distribution<double>(0.0, 1.0)(m_random);
  auto wait = duration_cast<milliseconds>(m_backoff * (1.0 + jitter));
  m_backoff = std::min(m_backoff * 2, m_options.max_backoff);
  // Sleep in short slices so stop() is honoured within 100 ms.
  auto until = m_clock.now() + wait;
  while (!stopped() && m_clock.now() < until)
    m_clock.sleep_for(std::min<nanoseconds>(until - m_clock.now(), milliseconds(100)));
}

}  // namespace ktape::recorder
