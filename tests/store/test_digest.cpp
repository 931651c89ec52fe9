#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "formats/writer.hpp"
#include "store/digest.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::store;
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;

namespace {

// A small finished recording at `path`, written by the writer as the recorder writes one.
void write_recording(const std::string& path) {
  formats::Header h;
  h.start_time = "2026-11-21T19:00:00.000000000Z";
  h.source = "cluster demo";
  h.mode = "record";
  formats::WriterOptions wo;
  wo.path = path;
  auto w = formats::RecordingWriter::create(wo, h);
  REQUIRE(w);
  REQUIRE((*w)->write_object(
      *formats::parse_json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}})")));
  REQUIRE((*w)->close());
}

}  // namespace

TEST_CASE("write_sidecar: NAME.sha256 beside a closed recording, 0600, checked by sha256sum -c") {
  TempDir dir("ktape-store-digest");
  for (auto ext : {".yaml", ".yaml.gz", ".yaml.zst"}) {
    CAPTURE(ext);
    auto name = std::string("rec") + ext;
    auto path = dir.file(name);
    write_recording(path);
    CHECK_FALSE(std::filesystem::exists(sidecar_path(path)));  // the writer writes the file only

    auto digest = write_sidecar(path);
    REQUIRE(digest);
    CHECK(sidecar_path(path) == path + ".sha256");
    CHECK(*digest == *sha256_file(path));
    CHECK(read_file(sidecar_path(path)) == *digest + "  " + name + "\n");
    struct stat st {};
    REQUIRE(::stat(sidecar_path(path).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto integrity = verify_sidecar(path);
    REQUIRE(integrity);
    CHECK(*integrity == Integrity::ok);
    // The real sha256sum agrees with the hash and reads the sidecar's format.
    CHECK(std::system(
              ("cd '" + dir.path().string() + "' && sha256sum -c --status '" + name + ".sha256'").c_str()) ==
          0);
  }
}

TEST_CASE("verify_sidecar: a changed file, a missing sidecar and a damaged sidecar") {
  TempDir dir("ktape-store-digest");
  auto path = dir.file("rec.yaml");
  write_recording(path);
  REQUIRE(write_sidecar(path));

  write_file(path, read_file(path) + "# one more line\n");
  auto changed = verify_sidecar(path);
  REQUIRE(changed);
  CHECK(*changed == Integrity::mismatch);

  REQUIRE(write_sidecar(path));  // replaces the older sidecar
  auto rewritten = verify_sidecar(path);
  REQUIRE(rewritten);
  CHECK(*rewritten == Integrity::ok);

  write_file(sidecar_path(path), "not a digest  rec.yaml\n");
  auto damaged = verify_sidecar(path);
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().kind == ErrorKind::parse);
  CHECK(damaged.error().message == sidecar_path(path) + ": not a sha256sum line");

  std::filesystem::remove(sidecar_path(path));
  auto missing = verify_sidecar(path);
  REQUIRE(missing);
  CHECK(*missing == Integrity::missing_sidecar);
}

TEST_CASE("sha256: a file hashes as its bytes; a missing file is an io Error naming it") {
  TempDir dir("ktape-store-digest");
  std::string bytes(3u << 20, 'k');  // more than one read of sha256_file's buffer
  bytes += "tail";
  write_file(dir.file("big"), bytes);
  auto from_file = sha256_file(dir.file("big"));
  REQUIRE(from_file);
  CHECK(*from_file == sha256_hex(bytes));
  CHECK(*from_file != sha256_hex(bytes.substr(1)));
  CHECK(from_file->size() == 64);

  auto missing = sha256_file(dir.file("absent"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::io);
  CHECK(missing.error().message.find(dir.file("absent")) != std::string::npos);
  auto no_file = write_sidecar(dir.file("absent"));
  REQUIRE_FALSE(no_file);
  CHECK_FALSE(std::filesystem::exists(sidecar_path(dir.file("absent"))));
}
