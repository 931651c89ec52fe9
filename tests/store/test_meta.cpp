#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "formats/json.hpp"
#include "store/meta.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::store;
using test_support::TempDir;
using test_support::write_file;
namespace fs = std::filesystem;

TEST_CASE("write_meta / read_meta: the counts round-trip, 0600, stale when the file changed") {
  TempDir dir("ktape-store-meta");
  auto path = dir.file("rec.yaml");
  write_file(path, "# ktape: {}\n---\nkind: ConfigMap\n");
  RecordingMeta meta;
  meta.objects = 3;
  meta.events = 12;
  meta.duration_ns = 5'000'000'000;
  meta.resources["configmaps"] = MetaCounts{3, 10};
  meta.resources["deployments.apps"] = MetaCounts{0, 2};
  REQUIRE(write_meta(path, meta));
  CHECK((fs::status(meta_path(path)).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));

  auto back = read_meta(path);
  REQUIRE(back);
  REQUIRE(*back);
  meta.file_bytes = fs::file_size(path);
  CHECK(**back == meta);

  write_file(path, "# ktape: {}\n---\nkind: ConfigMap\n---\nkind: Secret\n");
  auto stale = read_meta(path);
  REQUIRE(stale);
  CHECK_FALSE(*stale);

  CHECK_FALSE(*read_meta(dir.file("absent.yaml")));
  write_file(meta_path(path), R"({"objects":-1})");
  auto bad = read_meta(path);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("rec.yaml.meta") != std::string::npos);
  CHECK(bad.error().message.find("objects: not a count") != std::string::npos);
}
