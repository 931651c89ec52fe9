// The inputs libFuzzer found (testdata/fuzz/TARGET/*, each a crash, a hang or a broken invariant
// that was fixed) replayed through the same checks as the fuzz programs, so that the normal suites
// and CI keep them fixed. A regression aborts this binary with the check's message, or is
// reported by the sanitizers in the ASan build.
#include <doctest/doctest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "fuzz/checks.hpp"
#include "tests/support/files.hpp"

namespace ktape::fuzz {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::function<void(std::string_view)>>& checks() {
  static const std::map<std::string, std::function<void(std::string_view)>> table = {
      {"reader", check_reader},           {"json", check_json},   {"patch", check_patch},
      {"kubeconfig", check_kubeconfig},   {"watch", check_watch}, {"protobuf", check_protobuf},
      {"sim_request", check_sim_request},
  };
  return table;
}

}  // namespace

TEST_CASE("every input kept in testdata/fuzz passes its target's checks") {
  fs::path root = fs::path(KTAPE_SOURCE_DIR) / "testdata" / "fuzz";
  std::size_t replayed = 0;
  for (const auto& folder : fs::directory_iterator(root)) {
    INFO(folder.path().string());
    auto check = checks().find(folder.path().filename().string());
    REQUIRE_MESSAGE(check != checks().end(), "a folder of testdata/fuzz that names no fuzz target");
    for (const auto& file : fs::directory_iterator(folder.path())) {
      INFO(file.path().string());
      check->second(test_support::read_file(file.path()));
      ++replayed;
    }
  }
  MESSAGE(replayed << " regression inputs replayed");
  CHECK(replayed > 0);
}

}  // namespace ktape::fuzz
