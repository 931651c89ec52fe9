#include "cli/duration.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace ktape::cli {

namespace {

constexpr std::array<std::pair<std::string_view, double>, 7> k_units = {{
    {"ns", 1.0},
    {"us", 1e3},
    {"µs", 1e3},
    {"ms", 1e6},
    {"s", 1e9},
    {"m", 60e9},
    {"h", 3600e9},
}};

}  // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds{0};
  if (text.empty()) return std::nullopt;
  double total = 0;
  while (!text.empty()) {
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double number = std::strtod(std::string(text.substr(0, i)).c_str(), nullptr);
    text.remove_prefix(i);
    std::size_t best = 0;
    double scale = 0;
    for (const auto& [unit, ns] : k_units)
      if (text.substr(0, unit.size()) == unit && unit.size() > best) {
        best = unit.size();
        scale = ns;
      }
    // "m" is minutes unless it starts "ms".
    if (best == 0) return std::nullopt;
    total += number * scale;
    text.remove_prefix(best);
  }
  return std::chrono::nanoseconds{static_cast<std::int64_t>(total)};
}

CLI::Option* add_duration_option(CLI::App& cmd, const std::string& name, std::chrono::nanoseconds& out,
                                 const std::string& help, std::chrono::nanoseconds at_least) {
  return cmd.add_option_function<std::string>(
      name,
      [&out, name, at_least](const std::string& text) {
        auto d = parse_duration(text);
        if (!d) throw CLI::ValidationError(name, "\"" + text + "\" is not a duration (try 30s, 5m, 1h30m)");
        if (*d < at_least)
          throw CLI::ValidationError(name, "\"" + text + "\" is shorter than " + format_duration(at_least));
        out = *d;
      },
      help);
}

std::string format_duration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  char buf[64];
  auto ns = d.count();
  if (ns < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.0fms", static_cast<double>(ns) / 1e6);
    return buf;
  }
  auto h = duration_cast<hours>(d).count();
  auto m = duration_cast<minutes>(d).count() % 60;
  double s = static_cast<double>(ns % 60'000'000'000) / 1e9;
  if (h > 0)
    std::snprintf(buf, sizeof buf, "%lldh%lldm%.0fs", static_cast<long long>(h), static_cast<long long>(m),
                  s);
  else if (m > 0)
    std::snprintf(buf, sizeof buf, "%lldm%.1fs", static_cast<long long>(m), s);
  else
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

std::string format_bytes(std::uint64_t bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < std::uint64_t{1024} * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else if (bytes < 1024ull * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024 * 1024));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  }
  return buf;
}

}  // namespace ktape::cli
