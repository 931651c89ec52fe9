#pragma once
// Go-style durations as kubectl and kwok accept them: "90s", "5m", "1h30m", "1.5h", "250ms",
// "0" (zero). nullopt for anything else.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11 names its namespace
class App;
class Option;
}  // namespace CLI

namespace ktape::cli {

// Adds `name` (e.g. "--duration") taking a duration; a value that is not one is a usage error
// (exit 2) naming the flag. `at_least` rejects shorter values.
CLI::Option* add_duration_option(CLI::App& cmd, const std::string& name, std::chrono::nanoseconds& out,
                                 const std::string& help, std::chrono::nanoseconds at_least = {});

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);
// "1h2m3.5s", "850ms": short and exact enough for summaries.
std::string format_duration(std::chrono::nanoseconds d);
// "12.3 MB", "512 B".
std::string format_bytes(std::uint64_t bytes);

}  // namespace ktape::cli
