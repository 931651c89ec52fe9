// summarize_recording, read_object_life, read_state_at: one streaming pass each over a recording.
#include "store/show.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "formats/age.hpp"
#include "formats/patch.hpp"
#include "store/meta.hpp"
#include "store/storage.hpp"
#include "store/take_event.hpp"

namespace ktape::store {

using formats::Method;
using formats::RecordingEntry;
using formats::RecordingReader;
using formats::Value;

namespace {

// At most this many "did not apply" messages are kept by read_state_at; the rest are counted.
constexpr std::size_t k_problem_limit = 20;

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string group_of(std::string_view api_version) {
  auto slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(api_version.substr(0, slash));
}

// Every entry of `path` in replay order to `visit` (which returns false to stop early). Returns
// the reader's error, if it stopped on one.
template <typename Visit>
Result<std::optional<Error>> for_each_entry(const std::string& path, std::optional<formats::Header>* header,
                                            Visit visit) {
  auto reader = RecordingReader::open(path);
  if (!reader) return fail(reader.error());
  std::optional<Error> stopped;
  for (;;) {
    auto entry = reader->next();
    if (!entry) {
      stopped = entry.error();
      break;
    }
    if (!*entry || !visit(**entry)) break;
  }
  if (header != nullptr) *header = reader->header();
  return stopped;
}

std::string located(const RecordingEntry& e, const std::string& what) {
  return "document " + std::to_string(e.document) + " (line " + std::to_string(e.line) + "): " + what;
}

// The summary's counters of the entry's resource.
ResourceCounts& counts_for(std::map<std::string, ResourceCounts>& by_key, std::string api_version,
                           std::string resource) {
  std::string key = api_version + "|" + resource;
  auto it = by_key.find(key);
  if (it != by_key.end()) return it->second;
  ResourceCounts counts{std::move(api_version), std::move(resource)};
  return by_key.emplace(std::move(key), std::move(counts)).first->second;
}

void count_event(RecordingSummary& s, std::map<std::string, ResourceCounts>& by_key,
                 const formats::ResourcePatch& ev, bool resync) {
  auto& c = counts_for(by_key, ev.resource.api_version(), ev.resource.resource);
  ++s.events;
  s.duration_ns = std::max(s.duration_ns, ev.duration_ns);
  s.timeline.add(ev.duration_ns);
  c.timeline.add(ev.duration_ns);
  c.resyncs += resync ? 1 : 0;
  switch (ev.method) {
    case Method::create:
      ++c.creates;
      break;
    case Method::patch:
      ++c.patches;
      break;
    case Method::remove:
      ++c.deletes;
      break;
  }
}

// Counts one document; an event with bad fields is an Error naming it.
Result<void> count_document(RecordingSummary& s, std::map<std::string, ResourceCounts>& by_key,
                            formats::Document& doc) {
  if (!formats::is_resource_patch(doc.value)) {
    ++s.objects;
    ++counts_for(by_key, std::string(doc.value.string_at({"apiVersion"})),
                 guess_plural(doc.value.string_at({"kind"})))
          .objects;
    return {};
  }
  // The template is not needed to count: an empty one is not copied.
  if (Value* t = doc.value.find("template"); t != nullptr && t->is_object()) *t = Value::object();
  auto event = formats::parse_resource_patch(doc.value);
  if (!event)
    return fail(with_context(event.error(), s.path + ": document " + std::to_string(doc.number) + " (line " +
                                                std::to_string(doc.line) + ")"));
  count_event(s, by_key, *event, has_resync_comment(doc.comments));
  return {};
}

// The header in the first document's comments; a bad one is an Error naming the file.
Result<void> read_header(RecordingSummary& s, const formats::Document& doc) {
  for (const auto& comment : doc.comments) {
    auto header = formats::parse_header_comment(comment);
    if (!header) return fail(with_context(header.error(), s.path + ": line 1"));
    if (*header) {
      s.header = std::move(*header);
      break;
    }
  }
  return {};
}

}  // namespace

std::string ResourceCounts::display_name() const {
  std::string group = group_of(api_version);
  return group.empty() ? resource : resource + "." + group;
}

// Straight from the document reader, not through RecordingReader: counting needs neither the
// events' order nor their templates, and skipping both keeps show at the reader's speed.
namespace {

// What is known of an age file without its key: the size, and the counts of its meta.
RecordingSummary locked_summary(RecordingSummary s) {
  s.locked = true;
  if (auto meta = read_meta(s.path); meta && *meta) {
    s.objects = (*meta)->objects;
    s.events = (*meta)->events;
    s.duration_ns = (*meta)->duration_ns;
  }
  s.error =
      Error{ErrorKind::invalid,
            s.path + (formats::age_identities().empty()
                          ? " is encrypted with age: give --identity FILE to see its header and contents"
                          : " is encrypted with age to other recipients than the identities given"),
            0,
            {}};
  return s;
}

}  // namespace

Result<RecordingSummary> summarize_recording(const std::string& path) {
  RecordingSummary s;
  s.path = path;
  auto stored = stat_stored(path);
  s.file_bytes = stored && *stored ? (*stored)->bytes : 0;
  if (formats::age_identity_missing(path)) return locked_summary(std::move(s));
  auto reader = formats::DocumentReader::open(path);
  if (!reader) return fail(reader.error());
  std::map<std::string, ResourceCounts> by_key;
  for (bool first = true;; first = false) {
    auto doc = reader->next();
    if (!doc) s.error = doc.error();
    if (!doc || !*doc) break;
    Result<void> counted = first ? read_header(s, **doc) : Result<void>{};
    if (counted) counted = count_document(s, by_key, **doc);
    if (!counted) {
      s.error = counted.error();
      break;
    }
  }
  for (auto& [key, counts] : by_key) {
    counts.timeline.widen_to(s.timeline.bucket_ns());
    s.resources.push_back(std::move(counts));
  }
  std::sort(s.resources.begin(), s.resources.end(), [](const ResourceCounts& a, const ResourceCounts& b) {
    return a.display_name() < b.display_name();
  });
  return s;
}

Result<ObjectRef> parse_object_ref(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  bool bad = parts.size() < 2 || parts.size() > 3 || parts.front().empty() || parts.back().empty();
  if (bad)
    return fail(ErrorKind::invalid, "object \"" + std::string(text) +
                                        "\": expected RESOURCE/NAMESPACE/NAME, or RESOURCE/NAME for a "
                                        "cluster-scoped object (deployments/shop/web, namespaces/shop)");
  ObjectRef ref;
  std::string resource = parts.front();
  auto dot = resource.find('.');
  if (dot != std::string::npos) {
    ref.group = resource.substr(dot + 1);
    resource.resize(dot);
  }
  ref.resource = lower(resource);
  ref.name = parts.back();
  if (parts.size() == 3) ref.namespace_name = parts[1];
  return ref;
}

bool ObjectRef::matches(std::string_view api_version, std::string_view plural, std::string_view ns,
                        std::string_view object_name) const {
  if (object_name != name || ns != namespace_name) return false;
  if (group && *group != group_of(api_version)) return false;
  return plural == resource || guess_plural(resource) == plural;
}

std::string ObjectRef::display() const {
  std::string out = resource;
  if (group) out.append(".").append(*group);
  if (!namespace_name.empty()) out.append("/").append(namespace_name);
  return out.append("/").append(name);
}

namespace {

bool entry_matches(const ObjectRef& ref, const RecordingEntry& e) {
  if (e.kind == RecordingEntry::Kind::object) {
    const Value& o = e.object;
    return ref.matches(o.string_at({"apiVersion"}), guess_plural(o.string_at({"kind"})),
                       o.string_at({"metadata", "namespace"}), o.string_at({"metadata", "name"}));
  }
  const auto& ev = e.event;
  return ref.matches(ev.resource.api_version(), ev.resource.resource, ev.namespace_name, ev.name);
}

// The step for `e`, advancing `current` (the object before it; nullopt while it does not exist).
LifeStep make_step(const RecordingEntry& e, std::optional<Value>& current, bool full) {
  LifeStep step;
  step.document = e.document;
  step.line = e.line;
  if (e.kind == RecordingEntry::Kind::object) {
    step.action = "snapshot";
    current = e.object;
  } else {
    step.at_ns = e.event.duration_ns;
    step.resync = e.event.resync;
    step.action = std::string(formats::method_name(e.event.method));
    step.patch = e.event.template_value;
    if (e.event.method == Method::create) current = e.event.template_value;
    if (e.event.method == Method::remove) current.reset();
    if (e.event.method == Method::patch) {
      auto patched = current ? formats::apply_strategic_merge_patch(*current, e.event.template_value)
                             : Result<Value>(fail(ErrorKind::not_found, "the object does not exist here"));
      if (patched)
        current = std::move(*patched);
      else
        step.problem = patched.error().message;
    }
  }
  if (full && current) step.object = *current;
  return step;
}

}  // namespace

Result<ObjectLife> read_object_life(const std::string& path, const ObjectRef& ref,
                                    const LifeOptions& options) {
  ObjectLife life;
  life.ref = ref;
  std::optional<Value> current;
  auto stopped = for_each_entry(path, nullptr, [&](const RecordingEntry& e) {
    bool is_event = e.kind == RecordingEntry::Kind::event;
    if (is_event && options.until_ns && e.event.duration_ns > *options.until_ns) return false;
    if (entry_matches(ref, e)) life.steps.push_back(make_step(e, current, options.full));
    return true;
  });
  if (!stopped) return fail(stopped.error());
  life.error = std::move(*stopped);
  return life;
}

Result<StateAt> read_state_at(const std::string& path, std::int64_t at_ns) {
  StateAt out;
  out.at_ns = at_ns;
  auto stopped = for_each_entry(path, &out.header, [&](const RecordingEntry& e) {
    if (e.kind == RecordingEntry::Kind::event && e.event.duration_ns > at_ns) return false;
    auto applied = out.state.apply(e);
    if (!applied && out.problems.size() < k_problem_limit)
      out.problems.push_back(located(e, applied.error().message));
    else if (!applied)
      ++out.more_problems;
    return true;
  });
  if (!stopped) return fail(stopped.error());
  out.error = std::move(*stopped);
  return out;
}

}  // namespace ktape::store
