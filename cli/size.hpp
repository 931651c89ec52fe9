#pragma once
// Flag values of prune: sizes ("500M", "10GiB", "1.5G", "2048": bytes; K/M/G/T are powers of 1024,
// as du -h and kubectl's quantities Ki/Mi/Gi; "KB"/"MB" are accepted as the same) and ages
// (Go durations, plus "7d" days and "2w" weeks). nullopt for anything else.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ktape::cli {

std::optional<std::uint64_t> parse_size(std::string_view text);
std::optional<std::chrono::nanoseconds> parse_age(std::string_view text);

}  // namespace ktape::cli
