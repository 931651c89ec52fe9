#include "store/meta.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/json.hpp"
#include "store/digest.hpp"
#include "store/storage.hpp"

namespace ktape::store {

namespace {

using formats::Value;

Result<std::uint64_t> count_at(const Value& object, std::string_view field, const std::string& where) {
  const Value* v = object.find(field);
  auto n = v != nullptr ? v->as_int64() : std::nullopt;
  if (!n || *n < 0) return fail(ErrorKind::parse, where + std::string(field) + ": not a count");
  return static_cast<std::uint64_t>(*n);
}

}  // namespace

std::string meta_path(const std::string& path) { return path + ".meta"; }

Value meta_to_value(const RecordingMeta& meta) {
  Value v = Value::object();
  v.set("formatVersion", 1);
  v.set("objects", meta.objects);
  v.set("events", meta.events);
  v.set("durationNanosecond", meta.duration_ns);
  v.set("fileBytes", meta.file_bytes);
  Value resources = Value::object();
  for (const auto& [name, counts] : meta.resources) {
    Value c = Value::object();
    c.set("objects", counts.objects);
    c.set("events", counts.events);
    resources.set(name, std::move(c));
  }
  v.set("resources", std::move(resources));
  return v;
}

Result<RecordingMeta> meta_from_value(const Value& value) {
  if (!value.is_object()) return fail(ErrorKind::parse, "not a JSON object");
  RecordingMeta meta;
  auto objects = count_at(value, "objects", "");
  auto events = count_at(value, "events", "");
  auto duration = count_at(value, "durationNanosecond", "");
  auto bytes = count_at(value, "fileBytes", "");
  for (const auto* r : {&objects, &events, &duration, &bytes})
    if (!*r) return fail(r->error());
  meta.objects = *objects;
  meta.events = *events;
  meta.duration_ns = static_cast<std::int64_t>(*duration);
  meta.file_bytes = *bytes;
  if (const Value* resources = value.find("resources"); resources != nullptr && resources->is_object()) {
    for (const auto& m : resources->as_object()) {
      auto o = count_at(m.value, "objects", "resources." + m.key + ".");
      auto e = count_at(m.value, "events", "resources." + m.key + ".");
      if (!o) return fail(o.error());
      if (!e) return fail(e.error());
      meta.resources[m.key] = MetaCounts{*o, *e};
    }
  }
  return meta;
}

Result<void> write_meta(const std::string& path, RecordingMeta meta) {
  auto stored = stat_stored(path);
  if (!stored) return fail(stored.error());
  if (!*stored) return fail(ErrorKind::not_found, path + ": no such file");
  meta.file_bytes = (*stored)->bytes;
  return write_stored(meta_path(path), formats::to_json(meta_to_value(meta)) + "\n");
}

Result<std::optional<RecordingMeta>> read_meta(const std::string& path) {
  auto text = read_stored(meta_path(path));
  if (!text) return fail(text.error());
  if (!*text) return std::optional<RecordingMeta>{};
  auto value = formats::parse_json(**text);
  if (!value) return fail(with_context(value.error(), meta_path(path)));
  auto meta = meta_from_value(*value);
  if (!meta) return fail(with_context(meta.error(), meta_path(path)));
  auto stored = stat_stored(path);
  if (!stored || !*stored || (*stored)->bytes != meta->file_bytes) return std::optional<RecordingMeta>{};
  return std::optional<RecordingMeta>{std::move(*meta)};
}

}  // namespace ktape::store
