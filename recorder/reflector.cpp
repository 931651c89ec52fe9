#include "recorder/reflector.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "formats/json.hpp"

namespace ktape::recorder {

namespace {

using namespace std::chrono;
using formats::Method;
using formats::Value;
using Type = WatchEventType;

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

// The event's object decoded.
Result<Value> decode_object(const WatchEvent& event) {
  bool located = event.object_end > event.object_begin;
  auto doc = formats::parse_json(located ? event.object_text() : std::string_view(event.line));
  if (!doc) return fail(ErrorKind::parse, "an event's object is not JSON: " + doc.error().message);
  if (located) return std::move(*doc);
  Value* object = doc->find("object");
  if (!object || !object->is_object()) return fail(ErrorKind::parse, "an event without an object");
  return std::move(*object);
}

// The event's object as text, member by member, when it can be compared as text: where it is in
// the line is known, and it has metadata, apiVersion and kind (else ensure_type_meta adds them).
// The index of metadata in `members`; nullopt when it cannot.
std::optional<std::size_t> split_event(const WatchEvent& event, std::vector<formats::JsonMember>& members) {
  if (event.object_end <= event.object_begin || !formats::split_json_object(event.object_text(), members))
    return std::nullopt;
  std::optional<std::size_t> metadata;
  bool api_version = false, kind = false;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].key == "metadata") metadata = i;
    api_version = api_version || members[i].key == "apiVersion";
    kind = kind || members[i].key == "kind";
  }
  if (!api_version || !kind) return std::nullopt;
  return metadata;
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
      m_backoff(m_options.initial_backoff),
      m_workers(m_options.workers, m_options.workers == 0 || !m_options.watch ? Threads::no : Threads::yes,
                [this](std::size_t shard, Work& work) { process(shard, work); }) {
  m_states.resize(m_workers.shards());
}

ListWatchLoop::~ListWatchLoop() { m_workers.stop(); }

void ListWatchLoop::run() {
  bool first = true;
  while (!stopped()) {
    ListMode mode =
        first ? (m_options.initial_as_snapshot ? ListMode::snapshot : ListMode::creates) : ListMode::resync;
    auto listed = list_all(mode);
    if (!listed) {
      if (is_cancelled(listed.error()) || stopped()) break;
      failed(listed.error());
      backoff();
      continue;
    }
    succeeded();
    if (first) m_emit(Record{Record::Kind::listed, {}, {}, m_ref.display, {}});
    first = false;
    if (!m_options.watch) break;
    if (watch_until_relist() == WatchEnd::stopped) break;
    m_workers.drain();  // a relist compares with every state: the workers first finish what was received
    m_undecodable.store(false, std::memory_order_release);  // the relist records what it missed
    std::lock_guard lock(m_stats_mutex);
    ++m_stats.relists;
  }
  m_workers.stop();  // what was received is recorded
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

Result<void> ListWatchLoop::list_all(ListMode mode) {
  ListPass pass{mode, std::vector<States>(m_states.size()), 0};
  std::string token;
  bool restarted = false;
  // Not a do-while: a restart's `continue` must ask for the first page again, not test the token.
  for (;;) {
    if (stopped()) {
      abandon_list(pass);
      return fail(ErrorKind::cancelled, "stopped");
    }
    auto page = m_source.list(token, m_options.page_size);
    if (!page && is_expired(page.error()) && !token.empty() && !restarted) {
      // The continue token outlived the server's history: start the list again, once.
      abandon_list(pass);
      token.clear();
      restarted = true;
      continue;
    }
    if (!page) {
      abandon_list(pass);
      return fail(page.error());
    }
    m_resource_version = page->resource_version;
    token = page->continue_token;
    for (auto& item : page->items) apply_item(pass, item);
    if (token.empty()) break;
  }
  finish_list(pass);
  std::lock_guard lock(m_stats_mutex);
  ++m_stats.lists;
  return {};
}

bool ListWatchLoop::prepare(Value& object) {
  ensure_type_meta(object, m_ref);
  if (m_options.accept && !m_options.accept(object)) return false;
  formats::strip_for_snapshot(object, m_options.keep_managed_fields);
  if (m_options.transform) m_options.transform(object);
  return true;
}

void ListWatchLoop::apply_item(ListPass& pass, Value& object) {
  if (!prepare(object)) return;
  std::string key = object_key(object);
  std::size_t index = m_workers.shard_of(key);
  if (pass.mode == ListMode::snapshot) {
    // Export keeps no states: nothing is diffed against them.
    if (m_options.watch) pass.seen[index][key] = make_state(object);
    ++pass.objects;
    Record record{Record::Kind::snapshot_object, std::move(object), {}, m_ref.display, {}};
    record.event.resource = m_ref.gvr;  // lets the pipeline turn it into a create if the section closed
    m_emit(std::move(record));
    return;
  }
  States& states = m_states[index];
  record_upsert(states, key, object, pass.mode == ListMode::resync, -1);
  pass.seen[index][key] = states[key];
}

void ListWatchLoop::abandon_list(ListPass& pass) {
  // Creates and patches already emitted stay true (the states moved with them); snapshot objects
  // are held by the pipeline, which forgets them.
  if (pass.mode == ListMode::snapshot && pass.objects > 0)
    m_emit(Record{Record::Kind::list_restarted, {}, {}, m_ref.display, {}});
  pass.objects = 0;
  for (auto& seen : pass.seen) seen.clear();
}

void ListWatchLoop::finish_list(ListPass& pass) {
  {
    std::lock_guard lock(m_stats_mutex);
    m_stats.objects += pass.objects;
  }
  if (pass.mode == ListMode::snapshot && !m_options.watch) return;
  for (std::size_t i = 0; i < m_states.size(); ++i) {
    States& states = m_states[i];
    if (pass.mode == ListMode::resync) {
      // What vanished while the watch was down.
      for (const auto& [key, state] : states) {
        if (pass.seen[i].count(key)) continue;
        auto object = formats::parse_json(state.json);
        if (object) emit_event(Method::remove, *object, Value(), true, -1);
      }
    }
    states = std::move(pass.seen[i]);
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
    if (result) m_workers.drain();  // before watching on from here, the workers read what this watch brought
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
  if (!event.resource_version.empty()) m_resource_version = event.resource_version;
  if (event.type == Type::bookmark) return;
  std::string key = event.namespace_name.empty() ? event.name : event.namespace_name + "/" + event.name;
  std::int64_t stamp = m_stamp();
  m_workers.submit(Work{std::move(event), std::move(key), stamp});
}

void ListWatchLoop::process(std::size_t shard, Work& work) {
  auto processed = process_event(m_states[shard], work);
  if (!processed) undecodable(processed.error().message);
}

Result<void> ListWatchLoop::process_event(States& states, Work& work) {
  thread_local std::vector<formats::JsonMember> members;
  // A transform may change any member: it needs the whole object.
  std::optional<std::size_t> metadata = m_options.transform ? std::nullopt : split_event(work.event, members);
  if (!metadata) return process_decoded(states, work);
  auto meta = formats::parse_json(members[*metadata].value);
  if (!meta || !meta->is_object())
    return fail(ErrorKind::parse, "an event's metadata is not a JSON object" +
                                      (meta ? std::string() : ": " + meta.error().message));
  Value head = Value::object();  // the object's metadata alone: what accept, strip and emit read
  head.set("metadata", std::move(*meta));
  if (m_options.accept && !m_options.accept(head)) return {};
  formats::strip_for_snapshot(head, m_options.keep_managed_fields);
  if (work.event.type == Type::deleted) {
    record_delete(states, work.key, head, false, work.stamp);
    return {};
  }
  auto it = states.find(work.key);
  if (it == states.end()) return process_decoded(states, work);  // a create: the whole object
  auto patch = diff_text(it->second, ObjectText{members, *metadata, *head.find("metadata")}, patch_kind());
  if (!patch) return fail(patch.error());
  if (*patch) emit_event(Method::patch, head, std::move((*patch)->value), false, work.stamp);
  return {};
}

Result<void> ListWatchLoop::process_decoded(States& states, const Work& work) {
  auto object = decode_object(work.event);
  if (!object) return fail(object.error());
  process_object(states, *object, work);
  return {};
}

void ListWatchLoop::process_object(States& states, Value& object, const Work& work) {
  if (!prepare(object)) return;
  if (work.event.type == Type::deleted) {
    record_delete(states, work.key, object, false, work.stamp);
    return;
  }
  record_upsert(states, work.key, object, false, work.stamp);
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

void ListWatchLoop::record_upsert(States& states, const std::string& key, Value& object, bool resync,
                                  std::int64_t stamp) {
  auto it = states.find(key);
  if (it == states.end()) {
    states.emplace(key, make_state(object));
    emit_event(Method::create, std::move(object), resync, stamp);
    return;
  }
  auto patch = diff_object(it->second, object, patch_kind());
  if (patch && *patch) emit_event(Method::patch, object, std::move((*patch)->value), resync, stamp);
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
  // The start of a graceful delete reaches a watch as a change of deletionTimestamp; it is marked
  // so that a replay sends it as the DELETE it was (DESIGN.md, the recording format).
  ev.graceful_delete = method == Method::patch && formats::sets_deletion_timestamp(ev.template_value);
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
