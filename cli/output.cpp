#include "cli/output.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>

namespace ktape::cli {
namespace {

struct OutputFlags {
  int quiet = 0;
  int verbose = 0;
  bool no_color = false;
};

OutputFlags& flags() {
  static OutputFlags f;
  return f;
}

void print_line(std::string_view prefix, std::string_view sgr, std::string_view message) {
  std::string line = paint(STDERR_FILENO, sgr, prefix);
  line.append(" ").append(message);
  if (line.empty() || line.back() != '\n') line.push_back('\n');
  std::fputs(line.c_str(), stderr);
}

// The colour of one unified-diff line, as git gives it: file headers bold, hunks cyan, - red, + green.
std::string_view diff_line_color(std::string_view line) {
  if (line.rfind("+++", 0) == 0 || line.rfind("---", 0) == 0) return "1";
  if (line.rfind("@@", 0) == 0) return "36";
  if (line.rfind('+', 0) == 0) return "32";
  if (line.rfind('-', 0) == 0) return "31";
  return "";
}

}  // namespace

void add_output_flags(CLI::App& app) {
  auto& f = flags();
  app.add_flag("-q,--quiet", f.quiet, "Print only errors and warnings")->configurable(false);
  app.add_flag("-v,--verbose", f.verbose, "Print details too")->configurable(false);
  app.add_flag("--no-color", f.no_color, "Never colour the output (NO_COLOR=1 does the same)");
  app.fallthrough();
}

Verbosity verbosity() {
  const auto& f = flags();
  if (f.quiet > 0) return Verbosity::quiet;
  return f.verbose > 0 ? Verbosity::verbose : Verbosity::normal;
}

bool quiet() { return verbosity() == Verbosity::quiet; }
bool verbose() { return verbosity() == Verbosity::verbose; }

bool use_color(int fd) {
  if (flags().no_color) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) != 0;
}

std::string paint(int fd, std::string_view sgr, std::string_view text) {
  if (!use_color(fd)) return std::string(text);
  std::string out = "\033[";
  out.append(sgr).append("m").append(text).append("\033[0m");
  return out;
}

std::string paint_diff(int fd, const std::string& unified) {
  if (!use_color(fd)) return unified;
  std::string out;
  out.reserve(unified.size() + unified.size() / 8);
  std::size_t start = 0;
  while (start < unified.size()) {
    std::size_t end = unified.find('\n', start);
    end = end == std::string::npos ? unified.size() : end + 1;
    std::string_view line(unified.data() + start, end - start);
    std::string_view sgr = diff_line_color(line);
    bool newline = !line.empty() && line.back() == '\n';
    if (newline) line.remove_suffix(1);
    out.append(sgr.empty() ? std::string(line) : paint(fd, sgr, line));
    if (newline) out.push_back('\n');
    start = end;
  }
  return out;
}

void print_error(std::string_view message) { print_line("error:", "1;31", message); }
void print_warning(std::string_view message) { print_line("warning:", "1;33", message); }

void print_info(std::string_view message) {
  if (quiet()) return;
  std::string line(message);
  if (line.empty() || line.back() != '\n') line.push_back('\n');
  std::fputs(line.c_str(), stderr);
}

}  // namespace ktape::cli
