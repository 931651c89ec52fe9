#include "store/catalog.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "formats/time.hpp"

namespace ktape::store {

namespace fs = std::filesystem;

namespace {

std::int64_t mtime_unix_ns(const std::string& path) {
  std::error_code ec;
  auto t = fs::last_write_time(path, ec);
  if (ec) return 0;
  auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(sys.time_since_epoch()).count();
}

std::int64_t start_of(const RecordingInfo& info) {
  if (info.header) {
    if (auto t = formats::parse_rfc3339(info.header->start_time))
      return std::chrono::duration_cast<std::chrono::nanoseconds>(t->time_since_epoch()).count();
  }
  return mtime_unix_ns(info.path);
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

CatalogEntry entry_of(const std::string& path, Verify verify) {
  CatalogEntry e;
  auto info = read_recording_info(path, verify);
  if (!info) {
    e.info.path = path;
    std::error_code ec;
    e.info.file_bytes = fs::file_size(path, ec);
    e.info.has_sidecar = fs::exists(sidecar_path(path), ec);
    e.status = Status::corrupt;
    e.problem = info.error().message;
    e.start_unix_ns = mtime_unix_ns(path);
    return e;
  }
  e.info = std::move(*info);
  e.status = status_of(e.info);
  e.start_unix_ns = start_of(e.info);
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
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return fail(ErrorKind::io, "cannot list " + dir + ": " + ec.message());
  std::vector<CatalogEntry> out;
  for (const auto& file : it) {
    if (!file.is_regular_file(ec) || !is_recording_name(file.path().filename().string())) continue;
    out.push_back(entry_of(file.path().string(), verify));
  }
  std::sort(out.begin(), out.end(), [](const CatalogEntry& a, const CatalogEntry& b) {
    return a.start_unix_ns != b.start_unix_ns ? a.start_unix_ns < b.start_unix_ns : a.info.path < b.info.path;
  });
  return out;
}

Result<void> delete_recording(const std::string& path) {
  for (const auto& file : {sidecar_path(path), meta_path(path), path}) {
    std::error_code ec;
    fs::remove(file, ec);
    if (ec) return fail(ErrorKind::io, "cannot delete " + file + ": " + ec.message());
  }
  return {};
}

}  // namespace ktape::store
