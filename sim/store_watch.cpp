// The Store's watch side (events after a resourceVersion, 410 past the ring) and its state dump.
#include <algorithm>
#include <charconv>

#include "formats/json.hpp"
#include "sim/object_util.hpp"
#include "sim/store.hpp"

namespace ktape::sim {

using formats::Value;

ApiResult<WatchStart> Store::start_watch(const ResourceInfo& info, const ListFilter& filter,
                                         std::optional<std::uint64_t> from_rv) {
  std::shared_lock lock(m_mu);
  Storage* s = storage_locked(info);
  if (!s) return tl::unexpected(err_unknown_resource());
  WatchStart start;
  start.storage = s->id;
  if (!from_rv) {
    for (const auto& [key, e] : s->objects) {
      if (filter.matches(*e)) start.initial.push_back(e);
    }
    start.cursor = m_rv;
    return start;
  }
  if (*from_rv + 1 < m_first_rv)
    return tl::unexpected(err_expired("too old resource version: " + std::to_string(*from_rv) + " (" +
                                      std::to_string(m_first_rv - 1) + ")"));
  start.cursor = *from_rv;
  return start;
}

WatchBatch Store::next_events(int storage, const ListFilter& filter, std::uint64_t& cursor,
                              std::chrono::steady_clock::time_point deadline, std::size_t max) {
  WatchBatch batch;
  std::shared_lock lock(m_mu);
  m_cv.wait_until(lock, deadline, [&] { return m_stopped.load() || m_rv > cursor; });
  if (m_stopped) {
    batch.stopped = true;
    return batch;
  }
  if (m_rv <= cursor) return batch;
  if (cursor + 1 < m_first_rv) {
    batch.fell_behind = true;
    return batch;
  }
  for (std::size_t i = cursor + 1 - m_first_rv; i < m_events.size() && batch.events.size() < max; ++i) {
    const Event& ev = m_events[i];
    cursor = ev.rv;
    if (ev.storage != storage) continue;
    if (auto type = visible_as(ev, filter)) batch.events.emplace_back(*type, ev.entry);
  }
  return batch;
}

std::optional<EventType> Store::visible_as(const Event& ev, const ListFilter& filter) {
  bool now = filter.matches(*ev.entry);
  if (ev.type != EventType::modified) return now ? std::optional(ev.type) : std::nullopt;
  bool before = ev.prev && filter.matches(*ev.prev);
  if (now && before) return EventType::modified;
  if (now) return EventType::added;
  if (before) return EventType::deleted;
  return std::nullopt;
}

std::uint64_t Store::wait_past(std::uint64_t after, std::chrono::steady_clock::time_point deadline) {
  std::shared_lock lock(m_mu);
  m_cv.wait_until(lock, deadline, [&] { return m_stopped.load() || m_rv > after; });
  return m_stopped ? 0 : m_rv;
}

EventSlice Store::events_after(std::uint64_t after, std::size_t max) const {
  EventSlice slice;
  std::shared_lock lock(m_mu);
  if (after + 1 < m_first_rv) {
    slice.fell_behind = true;
    return slice;
  }
  std::size_t from = after + 1 - m_first_rv;
  std::size_t to = std::min(m_events.size(), from + max);
  if (from < to)
    slice.events.assign(m_events.begin() + static_cast<std::ptrdiff_t>(from),
                        m_events.begin() + static_cast<std::ptrdiff_t>(to));
  return slice;
}

std::string Store::dump() const {
  std::shared_lock lock(m_mu);
  // The first line keeps the revision counter: deletes advance it past every stored object's
  // resourceVersion, and like etcd's revision it must never go back across a restart, or a client
  // that watches from the last version it saw would skip the writes that reuse the numbers.
  std::string out = "{\"resourceVersion\":\"" + std::to_string(m_rv) + "\"}\n";
  auto write = [&](const Storage& s) {
    for (const auto& [key, e] : s.objects) {
      out += "{\"group\":";
      formats::append_json_string(out, s.info.group);
      out += ",\"resource\":";
      formats::append_json_string(out, s.info.resource);
      out += ",\"object\":";
      out += *e->json;
      out += "}\n";
    }
  };
  // CRDs first, so that a restore serves their resources before it meets their objects.
  write(*m_storages.at("apiextensions.k8s.io/customresourcedefinitions"));
  for (const auto& [key, s] : m_storages) {
    if (key != "apiextensions.k8s.io/customresourcedefinitions") write(*s);
  }
  return out;
}

ApiResult<std::size_t> Store::restore(std::string_view text) {
  std::unique_lock lock(m_mu);
  return restore_locked(text);
}

ApiResult<std::size_t> Store::replace(std::string_view text) {
  // Parsed before anything is removed: a snapshot that does not read leaves the store as it was.
  if (auto checked = check_dump(text); !checked) return tl::unexpected(checked.error());
  std::unique_lock lock(m_mu);
  std::uint64_t before = m_rv;
  // CRDs first: removing one removes its storage and objects with it.
  auto& crds = *m_storages.at("apiextensions.k8s.io/customresourcedefinitions");
  while (!crds.objects.empty()) commit_remove(crds, crds.objects.begin()->second);
  for (auto& [key, s] : m_storages) {
    while (!s->objects.empty()) commit_remove(*s, s->objects.begin()->second);
  }
  auto restored = restore_locked(text);
  // As etcdutl's --bump-revision --mark-compacted: the counter never goes back, and no history
  // survives, so every watch and continue token from before gets 410 Gone.
  m_rv = std::max(m_rv, before + 1);
  m_events.clear();
  m_first_rv = m_rv + 1;
  m_snapshots.clear();
  m_cv.notify_all();
  return restored;
}

ApiResult<void> Store::check_dump(std::string_view text) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    auto doc = formats::parse_json(line);
    if (!doc || !doc->is_object() || (!doc->find("object") && !doc->find("resourceVersion")))
      return tl::unexpected(err_internal("line " + std::to_string(line_no) + ": not a stored object"));
  }
  return {};
}

ApiResult<std::size_t> Store::restore_locked(std::string_view text) {
  std::size_t count = 0, line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    auto doc = formats::parse_json(line);
    if (doc && !doc->find("object") && doc->find("resourceVersion")) {
      auto text_rv = doc->string_at({"resourceVersion"});
      std::uint64_t saved_rv = 0;
      auto [end, ec] = std::from_chars(text_rv.data(), text_rv.data() + text_rv.size(), saved_rv);
      if (ec != std::errc() || end != text_rv.data() + text_rv.size())
        return tl::unexpected(err_internal("line " + std::to_string(line_no) + ": resourceVersion \"" +
                                           std::string(text_rv) + "\" is not a number"));
      m_rv = std::max(m_rv, saved_rv);
      continue;
    }
    if (!doc || !doc->find("object"))
      return tl::unexpected(err_internal("line " + std::to_string(line_no) + ": not a stored object"));
    auto it = m_storages.find(std::string(doc->string_at({"group"})) + "/" +
                              std::string(doc->string_at({"resource"})));
    if (it == m_storages.end()) continue;  // a custom resource whose CRD is gone
    const Value& object = *doc->find("object");
    std::string rv_text = "0";
    rv_text.append(detail::metadata_string(object, "resourceVersion"));
    std::uint64_t rv = std::stoull(rv_text);
    {
      // Index through a put at the object's own resourceVersion, then keep the counter at the
      // highest one seen.
      std::uint64_t saved = m_rv;
      if (rv == 0) rv = m_rv + 1;
      m_rv = rv - 1;
      commit_put(*it->second, object, EventType::added, nullptr);
      m_rv = std::max(saved, rv);
    }
    if (it->first == "apiextensions.k8s.io/customresourcedefinitions") register_crd_locked(object);
    if (it->first == "/services") m_allocator.mark(object);
    ++count;
  }
  m_events.clear();
  m_first_rv = m_rv + 1;
  return count;
}

}  // namespace ktape::sim
