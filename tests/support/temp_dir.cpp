#include "tests/support/temp_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <system_error>

namespace ktape::test_support {

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor must not throw; a leftover directory is harmless
  std::filesystem::remove_all(m_path, ignored);
}

std::string TempDir::file(std::string_view name) const { return (m_path / name).string(); }

}  // namespace ktape::test_support
