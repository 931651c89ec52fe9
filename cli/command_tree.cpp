#include "cli/command_tree.hpp"

#include <CLI/CLI.hpp>

namespace ktape::cli {

namespace {

// The items of a validator description "{a,b,c}" (IsMember) or "{a->x,b->y}" (transformers: the
// keys); empty for any other description ("INT in [1 - 256]").
std::vector<std::string> set_items(const std::string& description) {
  std::vector<std::string> items;
  if (description.size() < 2 || description.front() != '{' || description.back() != '}') return items;
  std::string body = description.substr(1, description.size() - 2);
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find(',', start);
    if (end == std::string::npos) end = body.size();
    std::string item = body.substr(start, end - start);
    if (auto arrow = item.find("->"); arrow != std::string::npos) item.resize(arrow);
    if (!item.empty()) items.push_back(item);
    start = end + 1;
  }
  return items;
}

}  // namespace

std::vector<CLI::App*> visible_subcommands(const CLI::App& app) {
  std::vector<CLI::App*> out;
  for (auto* sub : const_cast<CLI::App&>(app).get_subcommands([](CLI::App*) { return true; }))
    if (!sub->get_group().empty() && !sub->get_name().empty()) out.push_back(sub);
  return out;
}

std::vector<const CLI::Option*> visible_options(const CLI::App& app) {
  std::vector<const CLI::Option*> out;
  for (const auto* opt : app.get_options())
    if (opt->nonpositional() && !opt->get_group().empty()) out.push_back(opt);
  return out;
}

std::vector<const CLI::Option*> positionals(const CLI::App& app) {
  std::vector<const CLI::Option*> out;
  for (const auto* opt : app.get_options())
    if (!opt->nonpositional() && opt->get_positional()) out.push_back(opt);
  return out;
}

std::vector<std::string> enumerated_values(const CLI::Option& option) {
  auto& opt = const_cast<CLI::Option&>(option);
  for (int i = 0;; ++i) {
    CLI::Validator* validator = nullptr;
    try {
      validator = opt.get_validator(i);
    } catch (const CLI::OptionNotFound&) {
      return {};
    }
    auto items = set_items(validator->get_description());
    if (!items.empty()) return items;
  }
}

bool takes_value(const CLI::Option& option) { return option.get_type_size_max() > 0; }

std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent())
    path = std::string(p->get_name()).append(" ").append(path);
  return path;
}

}  // namespace ktape::cli
