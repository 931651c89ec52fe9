#include "tests/support/files.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

namespace ktape::test_support {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out)
    throw std::system_error(std::make_error_code(std::errc::io_error), "cannot write " + path.string());
}

}  // namespace ktape::test_support
