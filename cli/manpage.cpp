// `ktape __man DIR` (hidden; run at build time by cmake/package.cmake): writes a man page per
// command, ktape.1, ktape-record.1, ktape-cluster-create.1 ..., from the command tree that --help
// prints (cli/command_tree.hpp), so that the pages never drift from the flags.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/command_tree.hpp"
#include "cli/commands.hpp"

namespace ktape::cli {
namespace {

namespace fs = std::filesystem;

// Text as roff reads it literally: backslashes escaped, hyphens as \-, a line starting with a
// control character guarded.
std::string roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out.append("\\&");
    if (c == '\\')
      out.append("\\e");
    else if (c == '-')
      out.append("\\-");
    else
      out.push_back(c);
    line_start = c == '\n';
  }
  return out;
}

std::string page_name(const CLI::App& app) {
  std::string path = command_path(app);
  for (char& c : path)
    if (c == ' ') c = '-';
  return path;
}

std::string option_line(const CLI::Option& opt) {
  std::string line;
  for (const auto& name : opt.get_snames())
    line.append(line.empty() ? "" : ", ").append("\\fB\\-").append(name).append("\\fR");
  for (const auto& name : opt.get_lnames())
    line.append(line.empty() ? "" : ", ").append("\\fB\\-\\-").append(roff(name)).append("\\fR");
  if (takes_value(opt)) line.append(" \\fI").append(roff(opt.get_type_name())).append("\\fR");
  return line;
}

std::string described(const CLI::Option& opt) {
  std::string text = opt.get_description();
  auto values = enumerated_values(opt);
  if (!values.empty()) {
    text.append(" (one of:");
    for (const auto& v : values) text.append(" ").append(v);
    text.append(")");
  }
  if (!opt.get_default_str().empty()) text.append(" [default: ").append(opt.get_default_str()).append("]");
  return text;
}

void write_synopsis(std::ostream& out, const CLI::App& app) {
  out << ".SH SYNOPSIS\n.B " << roff(command_path(app)) << "\n";
  if (!visible_options(app).empty()) out << "[\\fIOPTIONS\\fR]\n";
  for (const auto* pos : positionals(app))
    out << (pos->get_required() ? "\\fI" : "[\\fI") << roff(pos->get_name(true))
        << (pos->get_required() ? "\\fR" : "\\fR]") << (pos->get_items_expected_max() > 1 ? "...\n" : "\n");
  if (!visible_subcommands(app).empty()) out << "\\fICOMMAND\\fR\n";
}

void write_options(std::ostream& out, const CLI::App& app) {
  auto args = positionals(app);
  if (!args.empty()) {
    out << ".SH ARGUMENTS\n";
    for (const auto* pos : args)
      out << ".TP\n\\fI" << roff(pos->get_name(true)) << "\\fR\n" << roff(described(*pos)) << "\n";
  }
  auto options = visible_options(app);
  if (!options.empty()) {
    out << ".SH OPTIONS\n";
    for (const auto* opt : options)
      out << ".TP\n" << option_line(*opt) << "\n" << roff(described(*opt)) << "\n";
  }
}

// The common sections of the root page: where state lives, the environment, the kubectl plugin.
void write_root_sections(std::ostream& out) {
  out << ".SH ENVIRONMENT\n.TP\n.B KTAPE_HOME\nWhere ktape keeps its simulated clusters (default: "
         "~/.ktape).\n"
      << ".TP\n.B KUBECONFIG\nThe kubeconfig files (\\(aq:\\(aq\\-separated) read when no \\-\\-kubeconfig "
         "is given "
         "(default: ~/.kube/config).\n"
      << ".SH KUBECTL PLUGIN\nktape is installed as \\fBkubectl\\-tape\\fR too, so \\fBkubectl tape record "
         "\\-\\-snapshot "
         "\\-\\-path s.yaml\\fR runs \\fBktape record\\fR with the same KUBECONFIG, \\-\\-context and \\-n.\n"
      << ".SH EXIT STATUS\n0 success, 1 failure, 2 usage error.\n";
}

std::string write_page(const fs::path& dir, const CLI::App& app) {
  std::string name = page_name(app);
  std::ofstream out(dir / (name + ".1"));
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out << ".TH " << roff(upper) << " 1 \"\" \"ktape " << KTAPE_VERSION << "\" \"ktape manual\"\n";
  out << ".SH NAME\n" << roff(name) << " \\- " << roff(app.get_description()) << "\n";
  write_synopsis(out, app);
  out << ".SH DESCRIPTION\n" << roff(app.get_description()) << "\n";
  if (!app.get_footer().empty()) out << ".PP\n" << roff(app.get_footer()) << "\n";
  write_options(out, app);
  auto subs = visible_subcommands(app);
  if (!subs.empty()) out << ".SH COMMANDS\n";
  for (const auto* sub : subs)
    out << ".TP\n.BR " << roff(page_name(*sub)) << " (1)\n" << roff(sub->get_description()) << "\n";
  if (app.get_parent() == nullptr) write_root_sections(out);
  out << ".SH SEE ALSO\n";
  out << (app.get_parent() == nullptr ? ".BR kubectl (1)\n"
                                      : ".BR " + roff(page_name(*app.get_parent())) + " (1)\n");
  return out ? "" : (dir / (name + ".1")).string();
}

// Writes the page of `app` and of every visible command below it; returns the first file that
// could not be written ("" when all were).
std::string write_pages(const fs::path& dir, const CLI::App& app) {
  std::string failed = write_page(dir, app);
  for (const auto* sub : visible_subcommands(app)) {
    std::string f = write_pages(dir, *sub);
    if (failed.empty()) failed = f;
  }
  return failed;
}

void add_man(CLI::App& app) {
  auto* cmd = app.add_subcommand("__man", "Write the man pages of every command to DIR");
  cmd->group("");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("dir", *dir, "The directory")->required();
  CLI::App* root = &app;
  cmd->callback([root, dir] {
    std::error_code ec;
    fs::create_directories(*dir, ec);
    std::string failed = write_pages(*dir, *root);
    if (!failed.empty()) {
      std::cerr << "error: cannot write " << failed << "\n";
      set_exit_code(1);
    }
  });
}

const Registration registration{add_man};

}  // namespace
}  // namespace ktape::cli
