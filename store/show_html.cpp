// render_html: the data (one JSON document) and the page's fixed script and style.
#include "store/show_html.hpp"

#include <map>
#include <optional>

#include "formats/compress.hpp"
#include "formats/json.hpp"
#include "store/show.hpp"
#include "store/show_format.hpp"
#include "store/show_html_page.hpp"
#include "store/take_event.hpp"

namespace ktape::store {

using formats::RecordingEntry;
using formats::Value;

namespace {

struct Step {
  std::int64_t at_ns = 0;
  std::string action;
  std::int64_t patch = -1;  // index into Collector::patches, -1 when none was kept
};

struct Track {
  std::string resource;  // "deployments.apps"
  std::string namespace_name;
  std::string name;
  std::string owner;  // "ReplicaSet web-1" (the controller, else the first owner), "" when none
  std::optional<std::int64_t> created, deleted;
  std::vector<Step> steps;
  std::size_t more = 0;  // events beyond max_steps_per_object
};

std::string display_resource(std::string_view api_version, const std::string& plural) {
  auto slash = api_version.find('/');
  return slash == std::string_view::npos ? plural : plural + "." + std::string(api_version.substr(0, slash));
}

std::string owner_of(const Value& object) {
  const Value* owners = object.at({"metadata", "ownerReferences"});
  if (owners == nullptr || !owners->is_array() || owners->as_array().empty()) return {};
  const Value* chosen = &owners->as_array().front();
  for (const auto& o : owners->as_array())
    if (const Value* c = o.find("controller"); c != nullptr && c->is_bool() && c->as_bool()) chosen = &o;
  return std::string(chosen->string_at({"kind"})) + " " + std::string(chosen->string_at({"name"}));
}

class Collector {
 public:
  explicit Collector(const HtmlOptions& options) : m_options(options) {}

  void add(const RecordingEntry& e) {
    bool is_event = e.kind == RecordingEntry::Kind::event;
    const Value& object = is_event ? e.event.template_value : e.object;
    std::string resource =
        is_event
            ? display_resource(e.event.resource.api_version(), e.event.resource.resource)
            : display_resource(object.string_at({"apiVersion"}), guess_plural(object.string_at({"kind"})));
    std::string ns =
        is_event ? e.event.namespace_name : std::string(object.string_at({"metadata", "namespace"}));
    std::string name = is_event ? e.event.name : std::string(object.string_at({"metadata", "name"}));
    Track* track = find_track(resource + "|" + ns + "|" + name, resource, ns, name);
    if (track == nullptr) return;
    if (!is_event || e.event.method == formats::Method::create) {
      if (track->owner.empty()) track->owner = owner_of(object);
      if (!track->created) track->created = is_event ? e.event.duration_ns : 0;
    }
    if (!is_event) return;
    if (e.event.method == formats::Method::remove) track->deleted = e.event.duration_ns;
    if (track->steps.size() >= m_options.max_steps_per_object) {
      ++track->more;
      return;
    }
    track->steps.push_back(Step{e.event.duration_ns, std::string(formats::method_name(e.event.method)),
                                keep_patch(e.event.method == formats::Method::remove ? Value() : object)});
  }

  // {patches: [...], groups: [{namespace, owner, objects: [...]}], entriesLeftOut}
  void append_to(Value& data) const;

 private:
  Track* find_track(const std::string& key, const std::string& resource, const std::string& ns,
                    const std::string& name) {
    auto it = m_index.find(key);
    if (it != m_index.end()) return &m_tracks[it->second];
    if (m_tracks.size() >= m_options.max_objects) {
      ++m_left_out;
      return nullptr;
    }
    m_index.emplace(key, m_tracks.size());
    m_tracks.push_back(Track{resource, ns, name, {}, {}, {}, {}, 0});
    return &m_tracks.back();
  }

  std::int64_t keep_patch(const Value& v) {
    if (v.is_null() || m_patch_bytes >= m_options.max_patch_total) return -1;
    std::string text = formats::to_json_pretty(v);
    if (text.size() > m_options.max_patch_bytes) {
      text.resize(m_options.max_patch_bytes);
      text += "\n... (cut at " + std::to_string(m_options.max_patch_bytes) + " bytes)";
    }
    m_patch_bytes += text.size();
    m_patches.push_back(Value(std::move(text)));
    return static_cast<std::int64_t>(m_patches.size() - 1);
  }

  const HtmlOptions& m_options;
  std::vector<Track> m_tracks;
  std::map<std::string, std::size_t> m_index;
  std::vector<Value> m_patches;
  std::size_t m_patch_bytes = 0;
  std::size_t m_left_out = 0;  // entries of objects without a lifeline
};

Value track_value(const Track& t) {
  Value v = Value::object();
  v.set("resource", t.resource);
  v.set("name", t.name);
  v.set("created", t.created ? Value(*t.created) : Value());
  v.set("deleted", t.deleted ? Value(*t.deleted) : Value());
  v.set("more", Value(static_cast<std::uint64_t>(t.more)));
  Value steps = Value::array();
  for (const auto& s : t.steps) {
    Value step = Value::array();
    step.push_back(Value(s.at_ns));
    step.push_back(s.action);
    step.push_back(Value(s.patch));
    steps.push_back(std::move(step));
  }
  v.set("steps", std::move(steps));
  return v;
}

void Collector::append_to(Value& data) const {
  std::map<std::pair<std::string, std::string>, std::vector<const Track*>> groups;
  for (const auto& t : m_tracks) groups[{t.namespace_name, t.owner}].push_back(&t);
  Value out = Value::array();
  for (const auto& [key, tracks] : groups) {
    Value g = Value::object();
    g.set("namespace", key.first);
    g.set("owner", key.second);
    Value objects = Value::array();
    for (const auto* t : tracks) objects.push_back(track_value(*t));
    g.set("objects", std::move(objects));
    out.push_back(std::move(g));
  }
  data.set("groups", std::move(out));
  data.set("patches", Value(formats::Array(m_patches)));
  data.set("entriesLeftOut", Value(static_cast<std::uint64_t>(m_left_out)));
}

// JSON that may sit inside a <script> element: "</" (which would end it) written as "<\/".
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    out += json[i];
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') out += '\\';
  }
  return out;
}

}  // namespace

Result<std::string> render_html(const std::string& path, const HtmlOptions& options) {
  auto summary = summarize_recording(path);
  if (!summary) return fail(summary.error());
  Collector collector(options);
  // The document reader, not RecordingReader: templates are moved, not copied, and a page does
  // not need the events sorted (a lifeline places each at its time).
  auto reader = formats::DocumentReader::open(path);
  if (!reader) return fail(reader.error());
  for (;;) {
    auto doc = reader->next();
    if (!doc || !*doc) break;
    RecordingEntry entry;
    if (formats::is_resource_patch((*doc)->value)) {
      auto event = take_resource_patch((*doc)->value);
      if (!event) break;  // summarize_recording reports it
      entry.kind = RecordingEntry::Kind::event;
      entry.event = std::move(*event);
    } else {
      entry.object = std::move((*doc)->value);
    }
    collector.add(entry);
  }
  Value data = summary_to_value(*summary);
  collector.append_to(data);
  std::string page(k_html_head);
  page += "<script type=\"application/json\" id=\"ktape-data\">";
  page += script_safe(formats::to_json(data));
  page += "</script>\n<script>";
  page += k_html_script;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

Result<void> write_html(const std::string& path, const std::string& out, const HtmlOptions& options) {
  auto page = render_html(path, options);
  if (!page) return fail(page.error());
  auto sink = formats::open_sink(out, formats::Compression::none, formats::Overwrite::yes);
  if (!sink) return fail(sink.error());
  if (auto w = (*sink)->write(*page); !w) return fail(w.error());
  return (*sink)->close();
}

}  // namespace ktape::store
