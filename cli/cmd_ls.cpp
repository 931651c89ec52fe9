// `ktape ls DIR`: the recordings of a folder, one line each, from headers, sidecars and metas.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/age_flags.hpp"
#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/output.hpp"
#include "cli/table.hpp"
#include "formats/json.hpp"
#include "formats/time.hpp"
#include "store/catalog.hpp"

namespace ktape::cli {
namespace {

struct LsFlags {
  std::string dir;
  bool verify = false;
  std::string output;
};

std::string start_text(std::int64_t unix_ns) {
  return formats::format_rfc3339(formats::TimePoint(std::chrono::nanoseconds(unix_ns)));
}

TableRow row_of(const store::CatalogEntry& e) {
  const auto& h = e.info.header;
  auto count = [&](auto field) { return e.meta ? std::to_string(field(*e.meta)) : std::string("-"); };
  return {std::filesystem::path(e.info.path).filename().string(),
          h ? h->source : std::string(e.info.locked ? "(encrypted)" : "(kwok)"),
          h ? h->mode : std::string("-"),
          start_text(e.start_unix_ns),
          e.meta ? format_duration(std::chrono::nanoseconds(e.meta->duration_ns)) : std::string("-"),
          count([](const store::RecordingMeta& m) { return m.objects; }),
          count([](const store::RecordingMeta& m) { return m.events; }),
          format_bytes(e.info.file_bytes),
          std::string(store::status_name(e.status))};
}

formats::Value value_of(const store::CatalogEntry& e) {
  formats::Value v = formats::Value::object();
  v.set("name", std::filesystem::path(e.info.path).filename().string());
  v.set("path", e.info.path);
  if (e.info.header) {
    v.set("source", e.info.header->source);
    v.set("mode", e.info.header->mode);
    v.set("serverVersion", e.info.header->server_version);
  }
  v.set("start", start_text(e.start_unix_ns));
  if (e.meta) {
    v.set("durationNanosecond", e.meta->duration_ns);
    v.set("objects", e.meta->objects);
    v.set("events", e.meta->events);
  }
  if (e.info.locked) v.set("encrypted", true);
  v.set("bytes", e.info.file_bytes);
  v.set("status", std::string(store::status_name(e.status)));
  if (!e.problem.empty()) v.set("problem", e.problem);
  return v;
}

int run_ls(const LsFlags& flags) {
  auto entries = store::list_recordings(flags.dir, flags.verify ? store::Verify::yes : store::Verify::no);
  if (!entries) {
    print_error(entries.error().message);
    return 1;
  }
  if (flags.output == "json") {
    formats::Value list = formats::Value::array();
    for (const auto& e : *entries) list.push_back(value_of(e));
    std::fprintf(stdout, "%s\n", formats::to_json_pretty(list).c_str());
  } else {
    std::vector<TableRow> rows;
    rows.reserve(entries->size());
    for (const auto& e : *entries) rows.push_back(row_of(e));
    std::fputs(
        format_table({"NAME", "SOURCE", "MODE", "START", "DURATION", "OBJECTS", "EVENTS", "SIZE", "STATUS"},
                     rows)
            .c_str(),
        stdout);
    for (const auto& e : *entries)
      if (!e.problem.empty()) print_error(e.problem);
    auto locked =
        std::count_if(entries->begin(), entries->end(), [](const auto& e) { return e.info.locked; });
    if (locked > 0)
      print_warning(std::to_string(locked) +
                    " encrypted recording(s): give --identity FILE to read their headers");
  }
  bool bad = std::any_of(entries->begin(), entries->end(),
                         [](const auto& e) { return e.status == store::Status::corrupt; });
  return flags.verify && bad ? 1 : 0;
}

void add_ls(CLI::App& app) {
  auto f = std::make_shared<LsFlags>();
  auto* cmd =
      app.add_subcommand("ls", "List the recordings of a folder: source, start, counts, size, integrity");
  cmd->add_option("dir", f->dir, "The folder")->required();
  cmd->add_flag("--verify", f->verify, "Hash every file against its .sha256 sidecar (reads whole files)");
  cmd->add_option("--output,-o", f->output, "json: one object per recording")->check(CLI::IsMember({"json"}));
  add_identity_flag(*cmd);
  cmd->callback([f] { set_exit_code(run_ls(*f)); });
}

const Registration ls_registration{add_ls};

}  // namespace
}  // namespace ktape::cli
