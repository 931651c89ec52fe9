#pragma once
// Whole-file reads and writes for tests and benchmarks: the one copy of each.
#include <filesystem>
#include <string>
#include <string_view>

namespace ktape::test_support {

// The file's bytes, exactly (binary). "" when the file does not exist or cannot be read, so a test
// may poll for a file another process is about to write; check existence where it matters.
std::string read_file(const std::filesystem::path& path);

// Creates or truncates `path` and writes `bytes` to it (binary). Throws std::system_error when
// the file cannot be written, naming it.
void write_file(const std::filesystem::path& path, std::string_view bytes);

}  // namespace ktape::test_support
