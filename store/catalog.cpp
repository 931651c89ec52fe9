#include "store/catalog.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "formats/time.hpp"
#include "store/storage.hpp"

namespace ktape::store {

namespace {

std::int64_t start_of(const RecordingInfo& info, const StoredFile& file) {
  if (info.header) {
    if (auto t = formats::parse_rfc3339(info.header->start_time))
      return std::chrono::duration_cast<std::chrono::nanoseconds>(t->time_since_epoch()).count();
  }
  return file.modified_unix_ns;
}

Status status_of(const RecordingInfo& info) {
  if (!info.has_sidecar) return Status::incomplete;
  if (!info.integrity) return Status::unverified;
  switch (*info.integrity) {
    case Integrity::ok:
      return Status::ok;
    case Integrity::mismatch:
      return Status::corrupt;
    case Integrity::missing_sidecar:
      return Status::incomplete;
  }
  return Status::unverified;
}

// `names`: every file name in the folder, so that a sidecar is found without asking the store.
CatalogEntry entry_of(const StoredFile& file, const std::set<std::string>& names, Verify verify) {
  CatalogEntry e;
  const std::string& path = file.path;
  auto info = read_recording_info(path, verify);
  if (!info) {
    e.info.path = path;
    e.info.file_bytes = file.bytes;
    e.info.has_sidecar = names.count(stored_name(sidecar_path(path))) > 0;
    e.status = Status::corrupt;
    e.problem = info.error().message;
    e.start_unix_ns = file.modified_unix_ns;
    return e;
  }
  e.info = std::move(*info);
  e.status = status_of(e.info);
  e.start_unix_ns = start_of(e.info, file);
  if (names.count(stored_name(meta_path(path))) == 0) return e;
  auto meta = read_meta(path);
  if (meta) e.meta = std::move(*meta);  // a broken meta only costs the counts, not the listing
  return e;
}

bool ends_with_any(std::string_view name, std::initializer_list<std::string_view> suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(), [&](auto s) { return name.ends_with(s); });
}

}  // namespace

std::string_view status_name(Status status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::corrupt:
      return "corrupt";
    case Status::incomplete:
      return "incomplete";
    case Status::unverified:
      return "unverified";
  }
  return "unverified";
}

bool is_recording_name(std::string_view file_name) {
  if (file_name.starts_with(".")) return false;
  if (file_name.ends_with(".tgz")) return true;
  for (std::string_view layer : {".age", ".gz", ".zst"})  // x.yaml.zst.age: encryption is outermost
    if (file_name.ends_with(layer)) file_name.remove_suffix(layer.size());
  return ends_with_any(file_name, {".yaml", ".yml", ".json"});
}

Result<std::vector<CatalogEntry>> list_recordings(const std::string& dir, Verify verify) {
  auto files = list_stored(dir);
  if (!files) return fail(files.error());
  std::set<std::string> names;
  for (const auto& file : *files) names.insert(stored_name(file.path));
  std::vector<CatalogEntry> out;
  for (const auto& file : *files) {
    if (!is_recording_name(stored_name(file.path))) continue;
    out.push_back(entry_of(file, names, verify));
  }
  std::sort(out.begin(), out.end(), [](const CatalogEntry& a, const CatalogEntry& b) {
    return a.start_unix_ns != b.start_unix_ns ? a.start_unix_ns < b.start_unix_ns : a.info.path < b.info.path;
  });
  return out;
}

Result<void> delete_recording(const std::string& path) {
  for (const auto& file : {sidecar_path(path), meta_path(path), path}) {
    if (auto r = remove_stored(file); !r) return r;
  }
  return {};
}

}  // namespace ktape::store
