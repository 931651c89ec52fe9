// age encryption end to end: `ktape export --encrypt-to` of a simulated cluster holding a Secret,
// then what ls, show and verify tell without the key, and show, verify, cut, diff and replay with
// --identity; the file opens with the real `age -d`, and a file `age -r` encrypted replays.
#include <doctest/doctest.h>

#include "formats/age.hpp"
#include "formats/json.hpp"
#include "kube/kubeconfig.hpp"
#include "tests/e2e/harness.hpp"

using namespace ktape;
using namespace ktape::e2e;

namespace {

constexpr std::string_view k_secret_value = "hunter2-do-not-leak";

bool have_age() { return std::system("age --version >/dev/null 2>&1") == 0; }

formats::Value json_of(const Output& out) {
  auto v = formats::parse_json(out.out);
  REQUIRE_MESSAGE(v, out.out << out.err);
  return *v;
}

// Writes a new identity as age-keygen does; returns its recipient.
std::string make_key(const fs::path& file) {
  auto id = formats::AgeIdentity::generate();
  test_support::write_file(file,
                           "# public key: " + id.recipient().to_string() + "\n" + id.to_string() + "\n");
  return id.recipient().to_string();
}

}  // namespace

TEST_CASE("age: an encrypted export is listed and verified without the key, read and replayed with it") {
  Home home;
  home.create_cluster("src");
  REQUIRE(
      home.kubectl("src", "create secret generic s1 --from-literal=pw=" + std::string(k_secret_value)).code ==
      0);
  REQUIRE(home.kubectl("src", "create configmap c1 --from-literal=k=v").code == 0);
  auto dir = home.path / "recs";
  fs::create_directories(dir);
  auto key = (home.path / "key.txt").string();
  auto other_key = (home.path / "other.txt").string();
  auto recipient = make_key(key);
  make_key(other_key);
  auto rec = (dir / "b.yaml.zst.age").string();

  // Usage errors come before any file is created.
  auto plain_out =
      home.ktape("export --cluster src --path " + (dir / "x.yaml").string() + " --encrypt-to " + recipient);
  CHECK(plain_out.code == 2);
  CHECK(plain_out.err.find("must end in .age") != std::string::npos);
  auto no_key = home.ktape("export --cluster src --path " + (dir / "x.yaml.age").string());
  CHECK(no_key.code == 2);
  CHECK(no_key.err.find("--encrypt-to") != std::string::npos);
  CHECK(home.ktape("export --cluster src --path " + (dir / "x.yaml.age").string() + " --encrypt-to age1bad")
            .code == 2);
  CHECK(fs::is_empty(dir));

  auto exported = home.ktape("export --cluster src --path " + rec + " --encrypt-to " + recipient);
  REQUIRE_MESSAGE(exported.code == 0, exported.err);
  auto bytes = test_support::read_file(rec);
  CHECK(bytes.rfind(std::string(formats::k_age_magic), 0) == 0);
  CHECK(bytes.find(k_secret_value) == std::string::npos);
  CHECK(home.run("cd " + dir.string() + " && sha256sum -c b.yaml.zst.age.sha256").code == 0);

  // Without the key: ls lists it with its meta's counts, verify checks its sidecar.
  auto listed = json_of(home.ktape("ls -o json " + dir.string()));
  REQUIRE(listed.size() == 1);
  const auto& entry = listed.as_array()[0];
  CHECK(entry.find("encrypted") != nullptr);
  CHECK(entry.find("objects")->as_int64().value() >= 2);
  CHECK(json_of(home.ktape("ls --verify -o json " + dir.string())).as_array()[0].string_at({"status"}) ==
        "ok");
  auto verify_locked = home.ktape("verify " + rec);
  CHECK_MESSAGE(verify_locked.code == 0, verify_locked.out);
  CHECK(verify_locked.out.find("only the sidecar was checked") != std::string::npos);
  auto show_locked = home.ktape("show " + rec);
  CHECK(show_locked.code == 1);
  CHECK(show_locked.out.find("encrypted with age") != std::string::npos);
  CHECK((show_locked.out + show_locked.err).find("--identity") != std::string::npos);
  auto wrong = home.ktape("show --identity " + other_key + " " + rec + " -o json");
  CHECK(wrong.code == 1);
  CHECK(wrong.err.find("to other recipients") != std::string::npos);
  CHECK(wrong.err.find("AGE-SECRET-KEY") == std::string::npos);

  // A byte changed: verify sees it without the key; with it, show refuses the chunk.
  auto tampered = (home.path / "t.yaml.zst.age").string();
  fs::copy_file(rec, tampered);
  fs::copy_file(rec + ".sha256", tampered + ".sha256");
  {
    auto t = bytes;
    t[t.size() - 20] ^= 1;
    test_support::write_file(tampered, t);
  }
  CHECK(home.ktape("verify " + tampered).code == 1);
  auto bad_chunk = home.ktape("show --identity " + key + " " + tampered + " -o json");
  CHECK(bad_chunk.code == 1);
  CHECK(bad_chunk.err.find("does not authenticate") != std::string::npos);

  // With the key: the header, the documents, a cut re-encrypted, a diff and a replay.
  auto shown = home.ktape("show --identity " + key + " " + rec);
  CHECK_MESSAGE(shown.code == 0, shown.err);
  CHECK(shown.out.find("Source:          cluster src") != std::string::npos);
  auto verified = home.ktape("verify --identity " + key + " " + rec);
  CHECK_MESSAGE(verified.code == 0, verified.out);
  CHECK(verified.out.find(": ok (") != std::string::npos);
  auto cut = (dir / "cut.yaml.age").string();
  auto cutting = home.ktape("cut --identity " + key + " --encrypt-to " + recipient + " " + rec + " " + cut);
  REQUIRE_MESSAGE(cutting.code == 0, cutting.err);
  CHECK(test_support::read_file(cut).rfind(std::string(formats::k_age_magic), 0) == 0);
  CHECK(home.ktape("diff --identity " + key + " " + rec + " " + cut).code == 0);
  home.create_cluster("dst");
  auto replayed = home.ktape("replay --identity " + key + " --path " + rec + " --cluster dst --speed 0");
  CHECK_MESSAGE(replayed.code == 0, replayed.err);
  auto got = home.kubectl("dst", "get secret s1 -o jsonpath={.data.pw}");
  CHECK(got.code == 0);
  CHECK_MESSAGE(kube::decode_base64(got.out) == std::string(k_secret_value), got.out << got.err);

  if (!have_age()) {
    MESSAGE("skipped the age command checks: age is not installed (Debian package age)");
    return;
  }
  // age -d opens ktape's file: what comes out is the zstd stream ktape wrote under the encryption.
  auto decrypted = home.run("age -d -i " + key + " -o " + (home.path / "dec.zst").string() + " " + rec);
  CHECK_MESSAGE(decrypted.code == 0, decrypted.err);
  CHECK(test_support::read_file(home.path / "dec.zst").substr(0, 4) == "\x28\xb5\x2f\xfd");
  // A plain export that `age -r` encrypts replays with --identity.
  auto plain = (home.path / "plain.yaml").string();
  REQUIRE(home.ktape("export --cluster src --path " + plain).code == 0);
  REQUIRE(home.run("age -r " + recipient + " -o " + plain + ".age " + plain).code == 0);
  auto theirs = home.ktape("show --identity " + key + " " + plain + ".age");
  CHECK_MESSAGE(theirs.code == 0, theirs.err);
  CHECK(theirs.out.find("Source:          cluster src") != std::string::npos);
  home.create_cluster("dst2");
  auto replay_theirs =
      home.ktape("replay --identity " + key + " --path " + plain + ".age --cluster dst2 --speed 0");
  CHECK_MESSAGE(replay_theirs.code == 0, replay_theirs.err);
  CHECK(home.kubectl("dst2", "get configmap c1").code == 0);
}
