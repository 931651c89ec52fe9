// `ktape diff A B`: what differs between two states (recordings, at a recorded time, or a live
// cluster). Exit 0 = same, 1 = different, 2 = error, as diff(1).
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "cli/age_flags.hpp"
#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/output.hpp"
#include "cli/selection_flags.hpp"
#include "cli/table.hpp"
#include "cli/target.hpp"
#include "formats/json.hpp"
#include "store/diff.hpp"

namespace ktape::cli {
namespace {

struct DiffFlags {
  std::vector<std::string> sides;  // one or two recordings, each FILE or FILE@D
  TargetFlags target;
  SelectionFlags selection;
  bool raw = false;
  bool ignore_status = false;
  std::vector<std::string> ignore_fields;
  std::string output;
};

// "rec.yaml@5m" -> rec.yaml at 5 minutes; a name that exists as given is a file, even with an '@'.
std::optional<store::DiffSide> file_side(const std::string& spec) {
  store::DiffSide side;
  side.path = spec;
  side.label = spec;
  auto at = spec.rfind('@');
  std::error_code ec;
  if (at == std::string::npos || std::filesystem::exists(spec, ec)) return side;
  auto d = parse_duration(std::string_view(spec).substr(at + 1));
  if (!d) {
    std::fprintf(stderr, "error: %s: \"%s\" after '@' is not a duration (try rec.yaml@5m)\n", spec.c_str(),
                 spec.substr(at + 1).c_str());
    return std::nullopt;
  }
  side.path = spec.substr(0, at);
  side.at_ns = d->count();
  return side;
}

bool has_target(const TargetFlags& t) {
  return !t.cluster.empty() || !t.kubeconfig.empty() || !t.context.empty();
}

TableRow row_of(const store::DiffEntry& e) {
  std::string message;
  if (e.action == store::DiffAction::modified) {
    message = "changed: ";
    for (std::size_t i = 0; i < e.fields.size(); ++i) message.append(i ? ", " : "").append(e.fields[i]);
  }
  return {e.resource, e.namespace_name.empty() ? "-" : e.namespace_name, e.name,
          std::string(store::action_name(e.action)), message};
}

formats::Value value_of(const store::DiffEntry& e) {
  formats::Value v = formats::Value::object();
  v.set("resource", e.resource);
  v.set("namespace", e.namespace_name);
  v.set("name", e.name);
  v.set("action", std::string(store::action_name(e.action)));
  formats::Value fields = formats::Value::array();
  for (const auto& f : e.fields) fields.push_back(f);
  v.set("fields", std::move(fields));
  return v;
}

void print(const std::vector<store::DiffEntry>& entries, const DiffFlags& flags, const store::DiffSide& a,
           const store::DiffSide& b) {
  if (flags.output == "json") {
    formats::Value list = formats::Value::array();
    for (const auto& e : entries) list.push_back(value_of(e));
    std::fprintf(stdout, "%s\n", formats::to_json_pretty(list).c_str());
    return;
  }
  if (entries.empty()) return;
  std::vector<TableRow> rows;
  rows.reserve(entries.size());
  for (const auto& e : entries) rows.push_back(row_of(e));
  std::fputs(format_table({"RESOURCE", "NAMESPACE", "NAME", "ACTION", "MESSAGE"}, rows).c_str(), stdout);
  if (!flags.raw) return;
  for (const auto& e : entries)
    std::fputs(paint_diff(STDOUT_FILENO, store::format_raw_diff(e, a.label, b.label)).c_str(), stdout);
}

int run_diff(const DiffFlags& flags) {
  bool live = has_target(flags.target);
  if (flags.sides.size() != (live ? 1U : 2U)) {
    std::fprintf(stderr,
                 "error: diff takes two recordings (A B), or one and a cluster (A --cluster NAME or "
                 "--kubeconfig K --context C)\n");
    return 2;
  }
  auto a = file_side(flags.sides[0]);
  auto b = live ? std::optional<store::DiffSide>(store::DiffSide{}) : file_side(flags.sides[1]);
  if (!a || !b) return 2;
  std::optional<Target> target;
  if (live) {
    auto connected = connect(flags.target);
    if (!connected) {
      print_error(connected.error().message);
      return 2;
    }
    target = std::move(*connected);
    b->live = target->client.get();
    b->label = target->label;
  }
  store::DiffOptions options;
  options.selection = finish_selection(flags.selection);
  options.ignore_status = flags.ignore_status;
  options.ignore_fields = flags.ignore_fields;
  auto entries = store::diff_sides(*a, *b, options);
  if (!entries) {
    print_error(entries.error().message);
    return 2;
  }
  print(*entries, flags, *a, *b);
  return entries->empty() ? 0 : 1;
}

void add_diff(CLI::App& app) {
  auto f = std::make_shared<DiffFlags>();
  auto* cmd = app.add_subcommand(
      "diff",
      "What differs between two recordings' states (FILE or FILE@D), or a recording and a live cluster");
  cmd->add_option("sides", f->sides,
                  "A and B: recordings, each FILE (its final state) or FILE@D (at recorded time D)")
      ->expected(1, 2);
  add_target_flags(*cmd, f->target);
  add_selection_flags(*cmd, f->selection);
  cmd->add_flag(
      "--raw,--raw-diff", f->raw,
      "Also print a unified diff of each object's YAML (Secret values masked; --raw-diff: Sveltos's name)");
  cmd->add_flag("--ignore-status", f->ignore_status, "Leave .status out of the comparison");
  cmd->add_option(
      "--ignore-field", f->ignore_fields,
      "Leave this field out too: spec.replicas, or a JSON pointer /metadata/annotations/a~1b (repeatable)");
  cmd->add_option("--output,-o", f->output, "json: the differences as JSON")->check(CLI::IsMember({"json"}));
  add_identity_flag(*cmd);
  cmd->callback([f] { set_exit_code(run_diff(*f)); });
}

const Registration diff_registration{add_diff};

}  // namespace
}  // namespace ktape::cli
