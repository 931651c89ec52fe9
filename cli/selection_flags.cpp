#include "cli/selection_flags.hpp"

#include <CLI/CLI.hpp>

namespace ktape::cli {

namespace {

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::size_t start = 0;
    while (start <= v.size()) {
      auto end = v.find(',', start);
      if (end == std::string::npos) end = v.size();
      if (end > start) out.push_back(v.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

}  // namespace

void add_selection_flags(CLI::App& cmd, SelectionFlags& flags) {
  auto& s = flags.selection;
  cmd.add_option("--resource,--filter", s.resources,
                 "Resources to include, kubectl-style (pods, deployments.apps, Deployment.apps); default: "
                 "every list+watchable resource except events and leases");
  cmd.add_option("--exclude-resource", s.exclude_resources, "Resources to leave out");
  cmd.add_option("-n,--namespace", s.namespaces, "Namespaces to include (globs: team-*); default: all");
  cmd.add_flag("-A,--all-namespaces", flags.all_namespaces, "Every namespace (the default)");
  cmd.add_option("--exclude-namespace", s.exclude_namespaces, "Namespaces to leave out (globs)");
  cmd.add_option("-l,--selector", s.label_selector, "Label selector (app=web,tier!=db)");
}

kube::Selection finish_selection(const SelectionFlags& flags) {
  kube::Selection s = flags.selection;
  s.resources = split_commas(s.resources);
  s.exclude_resources = split_commas(s.exclude_resources);
  s.namespaces = flags.all_namespaces ? std::vector<std::string>{} : split_commas(s.namespaces);
  s.exclude_namespaces = split_commas(s.exclude_namespaces);
  return s;
}

}  // namespace ktape::cli
