#pragma once
// TempDir: the one scratch-directory fixture of the tests and benchmarks.
#include <filesystem>
#include <string>
#include <string_view>

namespace ktape::test_support {

// A fresh, private directory under the system's temporary directory (std::filesystem::
// temp_directory_path(), so $TMPDIR applies), named "<prefix>-XXXXXX" by mkdtemp: unique per
// process and per object, so tests running at once never share one. Removed with everything in it
// when the object is destroyed. Construction throws std::system_error when no directory can be
// made (doctest reports it as the test's failure).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "ktape-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // path() / name, as a string (the file need not exist).
  std::string file(std::string_view name) const;

 private:
  std::filesystem::path m_path;
};

}  // namespace ktape::test_support
