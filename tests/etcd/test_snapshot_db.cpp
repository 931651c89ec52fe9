// etcd::BoltFile and read_key_space on real etcd data: the bbolt file of the etcd 3.5 in
// ../shared/realk8s after a real kube-apiserver wrote objects made with kubectl, compared with
// `kubectl get -o json` of the same objects; and damaged copies of it give located errors.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "etcd/mvcc.hpp"
#include "formats/json.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::etcd;
namespace fs = std::filesystem;

namespace {

std::string realk8s_script() {
  const char* shared = std::getenv("KTAPE_SHARED");
  fs::path base = shared && *shared ? fs::path(shared) : fs::path(KTAPE_SOURCE_DIR) / ".." / "shared";
  return (base / "realk8s" / "realk8s").string();
}

int run(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A real control plane in `dir`, always stopped (also when a REQUIRE fails).
struct RealK8s {
  std::string script, dir;
  bool up = false;
  RealK8s(std::string s, std::string d) : script(std::move(s)), dir(std::move(d)) {
    up = run(script + " up " + dir + " >" + dir + ".out 2>" + dir + ".log") == 0;
  }
  void down() {
    if (up) run(script + " down " + dir + " >/dev/null 2>&1");
    up = false;
  }
  ~RealK8s() { down(); }
  RealK8s(const RealK8s&) = delete;
  RealK8s& operator=(const RealK8s&) = delete;
};

// The bbolt file of a real etcd that a real apiserver wrote `kubectl_out` objects into; "" when
// realk8s is absent (the test skips).
struct RealData {
  std::string db;      // the bbolt file's bytes
  std::string listed;  // kubectl get -o json of the objects made
};

RealData make_real_data(const test_support::TempDir& tmp) {
  RealData data;
  std::string script = realk8s_script();
  if (!fs::exists(script)) return data;
  std::string state = tmp.file("state");
  RealK8s k8s(script, state);
  REQUIRE_MESSAGE(k8s.up, "realk8s up failed: " << test_support::read_file(state + ".log"));
  std::string kubectl = "kubectl --kubeconfig " + state + "/kubeconfig ";
  REQUIRE(run(kubectl + "create namespace etcd-test >/dev/null") == 0);
  REQUIRE(run(kubectl + "-n etcd-test create configmap one --from-literal=a=1 >/dev/null") == 0);
  REQUIRE(run(kubectl + "-n etcd-test create configmap two --from-literal=b=2 >/dev/null") == 0);
  REQUIRE(run(kubectl + "-n etcd-test create configmap gone --from-literal=c=3 >/dev/null") == 0);
  REQUIRE(run(kubectl + "-n etcd-test create secret generic s --from-literal=k=v >/dev/null") == 0);
  REQUIRE(run(kubectl + "-n etcd-test delete configmap gone >/dev/null") == 0);
  REQUIRE(run(kubectl + "-n etcd-test get configmaps,secrets -o json >" + tmp.file("listed.json")) == 0);
  k8s.down();  // etcd closes its bbolt file whole
  data.db = test_support::read_file(state + "/etcd-data/member/snap/db");
  data.listed = test_support::read_file(tmp.file("listed.json"));
  REQUIRE(!data.db.empty());
  return data;
}

}  // namespace

TEST_CASE(
    "read_key_space of a real etcd: every object kubectl lists, at its resourceVersion; deletes applied") {
  test_support::TempDir tmp("ktape-etcd");
  RealData data = make_real_data(tmp);
  if (data.db.empty()) {
    MESSAGE("SKIPPED: no realk8s at " << realk8s_script() << " (set KTAPE_SHARED)");
    return;
  }
  auto file = BoltFile::from_bytes(data.db, "db");
  REQUIRE(file);
  auto space = read_key_space(*file, "/registry/");
  REQUIRE(space);
  auto listed = formats::parse_json(data.listed);
  REQUIRE(listed);
  const auto& items = listed->find("items")->as_array();
  REQUIRE(items.size() >= 4);  // one, two, kube-root-ca.crt, s (and maybe a token Secret)
  for (const auto& item : items) {
    std::string resource = item.string_at({"kind"}) == "Secret" ? "secrets" : "configmaps";
    std::string key =
        "/registry/" + resource + "/etcd-test/" + std::string(item.string_at({"metadata", "name"}));
    CAPTURE(key);
    auto it = space->live.find(key);
    REQUIRE(it != space->live.end());
    CHECK(std::to_string(it->second.mod_revision) == item.string_at({"metadata", "resourceVersion"}));
    CHECK(it->second.value.substr(0, 4) == std::string_view("k8s\0", 4));  // Kubernetes protobuf
    // The uid is a string field of ObjectMeta: its bytes are in the stored value.
    CHECK(it->second.value.find(item.string_at({"metadata", "uid"})) != std::string_view::npos);
  }
  CHECK(space->live.count("/registry/configmaps/etcd-test/gone") == 0);
  CHECK(space->tombstones >= 1);
  CHECK(space->live.count("/registry/namespaces/etcd-test") == 1);

  // The state before the delete (two creates after "one") still has it.
  auto earlier = read_key_space(*file, "/registry/configmaps/etcd-test/",
                                space->live.at("/registry/configmaps/etcd-test/one").mod_revision + 2);
  REQUIRE(earlier);
  CHECK(earlier->live.count("/registry/configmaps/etcd-test/gone") == 1);

  {  // `ktape etcd ls`, as a user runs it: one line per live key, with its revision and encoding
    test_support::write_file(tmp.file("snap.db"), data.db);
    REQUIRE(run(std::string(KTAPE_BINARY) + " etcd ls " + tmp.file("snap.db") +
                " --prefix /registry/configmaps/etcd-test/ >" + tmp.file("ls.out") + " 2>" +
                tmp.file("ls.err")) == 0);
    std::string out = test_support::read_file(tmp.file("ls.out"));
    std::string one = std::to_string(space->live.at("/registry/configmaps/etcd-test/one").mod_revision);
    CHECK(out.find(one + "\tprotobuf\t/registry/configmaps/etcd-test/one\n") != std::string::npos);
    CHECK(out.find("/gone") == std::string::npos);
    CHECK(test_support::read_file(tmp.file("ls.err")).find(" keys at revision ") != std::string::npos);
    CHECK(run(std::string(KTAPE_BINARY) + " etcd ls " + tmp.file("missing.db") + " 2>/dev/null") == 1);
  }
  {  // a truncated file (the meta pages intact): an error naming the page and offset
    std::string cut = data.db.substr(0, std::size_t{file->page_size()} * 3);
    auto truncated = BoltFile::from_bytes(cut, "cut.db");
    REQUIRE(truncated);  // the meta pages are intact
    auto read = read_key_space(*truncated, "/registry/");
    REQUIRE(!read);
    CHECK(read.error().kind == ErrorKind::parse);
    CHECK(read.error().message.find("cut.db: page ") == 0);
    CHECK(read.error().message.find("truncated?") != std::string::npos);
  }
  {  // both meta pages damaged: an error naming each
    std::string bad = data.db;
    bad[16] ^= 0x01;                        // page 0's magic
    bad[file->page_size() + 16 + 48] ^= 1;  // page 1's txid: its checksum no longer matches
    auto opened = BoltFile::from_bytes(bad, "bad.db");
    REQUIRE(!opened);
    CHECK(opened.error().message ==
          "bad.db: not a readable bbolt database: meta page 0: bad magic (not a bbolt file); meta page 1: "
          "checksum mismatch");
  }
}

TEST_CASE("parse_revision_key and parse_key_value") {
  std::string key("\0\0\0\0\0\0\x01\x02_\0\0\0\0\0\0\0\x03", 17);
  auto rev = parse_revision_key(key);
  REQUIRE(rev);
  CHECK(rev->main == 258);
  CHECK(rev->sub == 3);
  CHECK(!rev->tombstone);
  auto tomb = parse_revision_key(key + "t");
  REQUIRE(tomb);
  CHECK(tomb->tombstone);
  CHECK(!parse_revision_key("short"));
  // key "/a" (field 1), create_revision 5 (2), mod_revision 7 (3), version 2 (4), value "v" (5).
  std::string kv("\x0a\x02/a\x10\x05\x18\x07\x20\x02\x2a\x01v", 13);
  auto parsed = parse_key_value(kv);
  REQUIRE(parsed);
  CHECK(parsed->key == "/a");
  CHECK(parsed->create_revision == 5);
  CHECK(parsed->mod_revision == 7);
  CHECK(parsed->version == 2);
  CHECK(parsed->value == "v");
  CHECK(!parse_key_value(kv.substr(0, 3)));
}
