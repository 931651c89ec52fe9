// `ktape cluster snapshot save|restore` over a Registry: the snapshot comes from and goes to a
// running server through /ktape/v1/snapshot (sim/api.hpp), or the files of one that is not running.
#include "sim/cluster_snapshot.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "formats/json.hpp"
#include "sim/api.hpp"
#include "sim/registry_detail.hpp"

namespace ktape::sim {

namespace fs = std::filesystem;

namespace {

// A snapshot of a large cluster takes a while to serialize and send; a local server that takes
// longer than this is stuck.
constexpr std::chrono::seconds k_snapshot_timeout{300};
// What the server's --data-dir holds (sim/server.cpp).
constexpr char k_state_file[] = "state.jsonl";

std::string_view next_line(std::string_view& text) {
  std::size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  return line;
}

Error line_error(const std::string& source, std::size_t line_no, const std::string& what) {
  std::string message = source;
  message.append(": line ").append(std::to_string(line_no)).append(": ").append(what);
  Error error;
  error.kind = ErrorKind::parse;
  error.message = std::move(message);
  return error;
}

// Creates `path` with `text`, mode 0600, never replacing a file: PATH.tmp, then link(2), which
// fails when `path` exists, even when another process creates it meanwhile.
Result<void> write_new_file(const fs::path& path, std::string_view text) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorKind::io, tmp.string() + ": cannot create: " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  int link_errno = 0;
  if (ok && ::link(tmp.c_str(), path.c_str()) != 0) link_errno = errno;
  ::unlink(tmp.c_str());
  if (link_errno == EEXIST)
    return fail(ErrorKind::conflict,
                path.string() + " exists: ktape never replaces a file; choose another path");
  if (!ok || link_errno != 0)
    return fail(ErrorKind::io,
                path.string() + ": cannot write: " + std::strerror(link_errno ? link_errno : errno));
  return {};
}

Result<std::string> snapshot_text(const Registry& registry, const std::string& name) {
  if (!is_valid_cluster_name(name)) return fail(ErrorKind::invalid, "invalid cluster name \"" + name + "\"");
  auto entry = registry.find(name);
  if (!entry) return fail(ErrorKind::not_found, "no cluster \"" + name + "\" (see `ktape cluster list`)");
  if (entry->status == ClusterStatus::running && entry->state) {
    auto answer =
        call_cluster(*entry->state, ClusterCall{"GET", std::string(k_snapshot_path), {}, k_snapshot_timeout});
    if (!answer) return tl::unexpected(answer.error());
    if (answer->status != 200)
      return fail(ErrorKind::http_status, "cluster \"" + name + "\" answered " +
                                              std::to_string(answer->status) +
                                              " to a snapshot (is it an older ktape?)");
    return std::move(answer->body);
  }
  if (entry->state && !entry->state->data_dir.empty()) {
    if (auto text = read_text_file(fs::path(entry->state->data_dir) / k_state_file)) return std::move(*text);
  }
  return fail(ErrorKind::not_found,
              "cluster \"" + name +
                  "\" is not running and kept no state; start it with `ktape cluster create " + name + "`");
}

}  // namespace

Result<ClusterSnapshotInfo> read_cluster_snapshot(std::string_view text, const std::string& source) {
  ClusterSnapshotInfo info;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    ++line_no;
    if (line.empty()) continue;
    auto doc = formats::parse_json(line);
    if (!doc || !doc->is_object()) return tl::unexpected(line_error(source, line_no, "not a JSON object"));
    if (line_no == 1) {
      std::string_view rv = doc->string_at({"resourceVersion"});
      auto [end, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), info.revision);
      if (doc->find("object") || ec != std::errc() || end != rv.data() + rv.size())
        return tl::unexpected(
            line_error(source, 1, "not a ktape cluster snapshot (no resourceVersion counter)"));
      continue;
    }
    const formats::Value* object = doc->find("object");
    if (!object || !object->is_object() || !doc->find("resource"))
      return tl::unexpected(
          line_error(source, line_no, "not a stored object (no \"resource\" and \"object\")"));
    ++info.objects;
  }
  if (line_no == 0) return tl::unexpected(line_error(source, 1, "empty file, not a ktape cluster snapshot"));
  return info;
}

Result<ClusterSnapshotInfo> save_cluster_snapshot(const Registry& registry, const std::string& name,
                                                  const fs::path& path) {
  if (fs::exists(path))
    return fail(ErrorKind::conflict,
                path.string() + " exists: ktape never replaces a file; choose another path");
  auto text = snapshot_text(registry, name);
  if (!text) return tl::unexpected(text.error());
  auto info = read_cluster_snapshot(*text, "cluster \"" + name + "\"");
  if (!info) return info;
  if (auto written = write_new_file(path, *text); !written) return tl::unexpected(written.error());
  return info;
}

Result<ClusterSnapshotInfo> restore_cluster_snapshot(const Registry& registry, const std::string& name,
                                                     const fs::path& path,
                                                     const ClusterRestoreOptions& options) {
  if (!is_valid_cluster_name(name)) return fail(ErrorKind::invalid, "invalid cluster name \"" + name + "\"");
  auto text = read_text_file(path);
  if (!text) return fail(ErrorKind::not_found, path.string() + ": cannot read: " + std::strerror(errno));
  auto info = read_cluster_snapshot(*text, path.string());
  if (!info) return info;
  auto entry = registry.find(name);
  if (!entry || entry->status == ClusterStatus::dead) {
    CreateOptions create = options.create;
    if (create.data_dir.empty() && entry && entry->state) create.data_dir = entry->state->data_dir;
    create.restore_from = fs::absolute(path).string();
    if (auto created = registry.create(name, create); !created) return tl::unexpected(created.error());
    return info;
  }
  if (options.running == RestoreRunning::refuse || !entry->state) {
    std::string message = "cluster \"" + name + "\" is running";
    if (entry->state) message.append(" at ").append(entry->state->url);
    message.append(
        ": restoring replaces every object it holds; pass --force to do it (open watches end and "
        "watching from an older resourceVersion gets 410 Gone), or delete it first");
    return fail(ErrorKind::conflict, message);
  }
  auto answer = call_cluster(
      *entry->state, ClusterCall{"PUT", std::string(k_snapshot_path), std::move(*text), k_snapshot_timeout});
  if (!answer) return tl::unexpected(answer.error());
  if (answer->status != 200)
    return fail(ErrorKind::http_status, "cluster \"" + name + "\" refused the snapshot (HTTP " +
                                            std::to_string(answer->status) + ")");
  if (auto doc = formats::parse_json(answer->body)) {
    std::string_view rv = doc->string_at({"resourceVersion"});
    std::from_chars(rv.data(), rv.data() + rv.size(), info->revision);
  }
  return info;
}

}  // namespace ktape::sim
