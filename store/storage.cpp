// Local files and registered URL stores behind one set of calls (see storage.hpp).
#include "store/storage.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/raw_store.hpp"
#include "store/digest.hpp"

namespace ktape::store {

namespace fs = std::filesystem;

namespace {

Result<std::shared_ptr<formats::RawStore>> store_of(const std::string& path) {
  auto store = formats::raw_store_for(path);
  if (!store) return fail(ErrorKind::unsupported, path + ": no storage backend for this URL scheme");
  return store;
}

std::int64_t mtime_unix_ns(const fs::path& path) {
  std::error_code ec;
  auto t = fs::last_write_time(path, ec);
  if (ec) return 0;
  auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(sys.time_since_epoch()).count();
}

}  // namespace

bool is_remote(std::string_view path) { return formats::is_url_path(path); }

std::string stored_name(std::string_view path) {
  auto slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

Result<std::optional<StoredFile>> stat_stored(const std::string& path) {
  if (is_remote(path)) {
    auto store = store_of(path);
    if (!store) return fail(store.error());
    auto object = (*store)->stat(path);
    if (!object) return fail(object.error());
    if (!*object) return std::optional<StoredFile>{};
    return std::optional<StoredFile>{StoredFile{path, (*object)->bytes, (*object)->modified_unix_ns}};
  }
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) return std::optional<StoredFile>{};
  if (ec) return fail(ErrorKind::io, path + ": " + ec.message());
  auto bytes = fs::file_size(path, ec);
  if (ec) return fail(ErrorKind::io, path + ": " + ec.message());
  return std::optional<StoredFile>{StoredFile{path, bytes, mtime_unix_ns(path)}};
}

Result<std::optional<std::string>> read_stored(const std::string& path) {
  if (is_remote(path)) {
    auto store = store_of(path);
    if (!store) return fail(store.error());
    auto reader = (*store)->open_read(path);
    if (!reader && is_not_found(reader.error())) return std::optional<std::string>{};
    if (!reader) return fail(reader.error());
    std::string out;
    char buffer[16384];
    for (;;) {
      auto n = (*reader)->read(buffer, sizeof buffer);
      if (!n) return fail(n.error());
      if (*n == 0) return std::optional<std::string>{std::move(out)};
      out.append(buffer, *n);
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::optional<std::string>{};
  std::ostringstream text;
  text << in.rdbuf();
  return std::optional<std::string>{text.str()};
}

Result<void> write_stored(const std::string& path, std::string_view bytes) {
  if (!is_remote(path)) return write_private_file(path, bytes);
  auto store = store_of(path);
  if (!store) return fail(store.error());
  auto writer = (*store)->open_write(path, formats::Overwrite::yes);
  if (!writer) return fail(writer.error());
  if (auto r = (*writer)->write(bytes); !r) return r;
  return (*writer)->commit();
}

Result<void> remove_stored(const std::string& path) {
  if (is_remote(path)) {
    auto store = store_of(path);
    if (!store) return fail(store.error());
    return (*store)->remove(path);
  }
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return fail(ErrorKind::io, "cannot delete " + path + ": " + ec.message());
  return {};
}

Result<std::vector<StoredFile>> list_stored(const std::string& dir) {
  std::vector<StoredFile> out;
  if (is_remote(dir)) {
    auto store = store_of(dir);
    if (!store) return fail(store.error());
    auto objects = (*store)->list(dir);
    if (!objects) return fail(objects.error());
    for (auto& o : *objects) out.push_back(StoredFile{std::move(o.path), o.bytes, o.modified_unix_ns});
    return out;
  }
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return fail(ErrorKind::io, "cannot list " + dir + ": " + ec.message());
  for (const auto& file : it) {
    if (!file.is_regular_file(ec)) continue;
    out.push_back(StoredFile{file.path().string(), file.file_size(ec), mtime_unix_ns(file.path())});
  }
  return out;
}

}  // namespace ktape::store
