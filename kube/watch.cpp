#include "kube/watch.hpp"

#include <functional>

#include "formats/json.hpp"
#include "kube/status.hpp"
#include "kube/transport.hpp"

namespace ktape::kube {
namespace {

// Consumed bytes are dropped from the front of the buffer once they pass this size, so the
// buffer does not grow with the stream yet large chunks are not moved for every event.
constexpr std::size_t k_compact_threshold = 1 << 20;

std::optional<WatchEvent::Type> parse_type(std::string_view type) {
  if (type == "ADDED") return WatchEvent::Type::added;
  if (type == "MODIFIED") return WatchEvent::Type::modified;
  if (type == "DELETED") return WatchEvent::Type::deleted;
  if (type == "BOOKMARK") return WatchEvent::Type::bookmark;
  return std::nullopt;
}

}  // namespace

struct WatchStream::StopHook {
  std::stop_callback<std::function<void()>> callback;
};

std::string_view to_string(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::added:
      return "ADDED";
    case WatchEvent::Type::modified:
      return "MODIFIED";
    case WatchEvent::Type::deleted:
      return "DELETED";
    case WatchEvent::Type::bookmark:
      return "BOOKMARK";
  }
  return "";
}

Result<WatchEvent> decode_watch_event(std::string_view line, std::string_view where) {
  auto doc = formats::parse_json(line);
  if (!doc) return fail(with_context(doc.error(), std::string(where) + ": invalid watch event"));
  formats::Value* object = doc->find("object");
  std::string_view type = doc->string_at({"type"});
  if (!object || !object->is_object() || type.empty()) {
    return fail(ErrorKind::parse, std::string(where) + ": a watch event without \"type\" and \"object\"");
  }
  if (type == "ERROR") return fail(status_error(*object, where, 0));
  auto parsed = parse_type(type);
  if (!parsed) {
    return fail(ErrorKind::parse,
                std::string(where) + ": unknown watch event type \"" + std::string(type) + "\"");
  }
  WatchEvent event;
  event.type = *parsed;
  event.resource_version = std::string(object->string_at({"metadata", "resourceVersion"}));
  event.object = std::move(*object);
  return event;
}

WatchStream::WatchStream(std::shared_ptr<Transfer> transfer, std::string where, const std::stop_token& stop)
    : m_transfer(std::move(transfer)), m_where(std::move(where)) {
  if (stop.stop_possible()) {
    std::weak_ptr<Transfer> weak = m_transfer;
    m_stop_hook.reset(new StopHook{std::stop_callback<std::function<void()>>(stop, [weak] {
      if (auto t = weak.lock()) t->cancel();
    })});
  }
}

WatchStream::WatchStream(WatchStream&&) noexcept = default;
WatchStream& WatchStream::operator=(WatchStream&&) noexcept = default;

WatchStream::~WatchStream() {
  m_stop_hook.reset();
  if (m_transfer && !m_ended) m_transfer->cancel();
}

void WatchStream::cancel() {
  if (m_transfer) m_transfer->cancel();
}

Result<RawWatchEvent> scan_watch_event(std::string line, std::string_view where) {
  thread_local std::vector<formats::JsonMember> members;
  RawWatchEvent raw;
  std::string_view type, object;
  bool walked = formats::split_json_object(line, members);
  if (walked) {
    for (const auto& m : members) {
      if (m.key == "type") type = m.value;
      if (m.key == "object") object = m.value;
    }
    auto parsed = parse_type(type.size() >= 2 ? type.substr(1, type.size() - 2) : std::string_view());
    walked =
        parsed && !object.empty() && object.front() == '{' && formats::split_json_object(object, members);
    if (walked) raw.type = *parsed;
  }
  if (!walked) {
    // An ERROR event, malformed JSON, or a shape the walk does not take: the full decoder says
    // what is wrong, or reads what the walk could not.
    auto event = decode_watch_event(line, where);
    if (!event) return fail(event.error());
    raw.type = event->type;
    raw.resource_version = std::move(event->resource_version);
    raw.name = std::string(event->object.string_at({"metadata", "name"}));
    raw.namespace_name = std::string(event->object.string_at({"metadata", "namespace"}));
    raw.line = std::move(line);
    return raw;
  }
  raw.object_begin = static_cast<std::size_t>(object.data() - line.data());
  raw.object_end = raw.object_begin + object.size();
  for (const auto& m : members) {
    if (m.key != "metadata") continue;
    thread_local std::vector<formats::JsonMember> meta;
    if (!formats::split_json_object(m.value, meta)) break;
    for (const auto& f : meta) {
      std::string* field = f.key == "name"              ? &raw.name
                           : f.key == "namespace"       ? &raw.namespace_name
                           : f.key == "resourceVersion" ? &raw.resource_version
                                                        : nullptr;
      if (!field) continue;
      auto value = formats::json_string_value(f.value);
      if (value) *field = std::move(*value);
    }
    break;
  }
  raw.line = std::move(line);
  return raw;
}

Result<std::optional<std::string_view>> WatchStream::next_line() {
  for (;;) {
    auto newline = m_buffer.find('\n', m_scan);
    if (newline != std::string::npos) {
      std::string_view line(m_buffer.data() + m_start, newline - m_start);
      m_start = m_scan = newline + 1;
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
      return std::optional<std::string_view>(line);
    }
    m_scan = m_buffer.size();
    if (m_start == m_buffer.size()) {
      m_buffer.clear();
      m_start = m_scan = 0;
    } else if (m_start > k_compact_threshold) {
      m_buffer.erase(0, m_start);
      m_scan -= m_start;
      m_start = 0;
    }
    if (m_ended) break;
    const std::size_t before = m_buffer.size();
    auto more = m_transfer->read(m_buffer);
    if (!more) {
      m_ended = true;
      return fail(more.error());
    }
    m_bytes += m_buffer.size() - before;
    if (!*more) m_ended = true;
  }
  // The server closed the stream; a last event without its newline still counts.
  m_rest = m_buffer.substr(m_start);
  m_buffer.clear();
  m_start = m_scan = 0;
  if (m_rest.find_first_not_of(" \r\t\n") == std::string::npos) return std::optional<std::string_view>();
  return std::optional<std::string_view>(m_rest);
}

Result<std::optional<WatchEvent>> WatchStream::next() {
  auto line = next_line();
  if (!line) return fail(line.error());
  if (!*line) return std::optional<WatchEvent>();
  auto event = decode_watch_event(**line, m_where);
  if (!event) return fail(event.error());
  m_resource_version = event->resource_version;
  return std::optional<WatchEvent>(std::move(*event));
}

Result<std::optional<RawWatchEvent>> WatchStream::next_raw() {
  auto line = next_line();
  if (!line) return fail(line.error());
  if (!*line) return std::optional<RawWatchEvent>();
  auto event = scan_watch_event(std::string(**line), m_where);
  if (!event) return fail(event.error());
  m_resource_version = event->resource_version;
  return std::optional<RawWatchEvent>(std::move(*event));
}

}  // namespace ktape::kube
