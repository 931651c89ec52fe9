#include <doctest/doctest.h>

#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "formats/json.hpp"
#include "ownerref/relinker.hpp"

using namespace ktape;
using namespace ktape::ownerref;
using formats::Value;

namespace {

Value json(std::string_view text) {
  auto v = formats::parse_json(text);
  REQUIRE_MESSAGE(v, text);
  return *v;
}

// A reference as the controllers write it (see shared/k8s-reference/responses/controller_made_chain.json).
std::string ref(std::string_view kind, std::string_view name, std::string_view uid) {
  std::string api = kind == "Deployment" || kind == "ReplicaSet" ? "apps/v1" : "v1";
  return R"({"apiVersion":")" + api + R"(","kind":")" + std::string(kind) + R"(","name":")" +
         std::string(name) + R"(","uid":")" + std::string(uid) + R"(","controller":true})";
}

Value pod_owned_by(const std::vector<std::string>& refs) {
  std::string list;
  for (const auto& r : refs) list += (list.empty() ? "" : ",") + r;
  return json(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"demo","uid":"p-old",)"
      R"("ownerReferences":[)" +
      list + "]}}");
}

const ObjectKey k_web{"apps", "Deployment", "demo", "web"};
const ObjectKey k_rs{"apps", "ReplicaSet", "demo", "web-1"};

}  // namespace

TEST_CASE("rewrite_object replaces the owner's old UID with its new one") {
  Relinker relinker;
  relinker.record_created(k_rs, "rs-old", "rs-new");
  Value pod = pod_owned_by({ref("ReplicaSet", "web-1", "rs-old")});
  auto done = relinker.rewrite_object(pod);
  REQUIRE(done);
  CHECK(done->rewritten == 1);
  CHECK_FALSE(done->has_dangling());
  CHECK(pod.at({"metadata", "ownerReferences"})->as_array()[0].string_at({"uid"}) == "rs-new");
  // Everything else in the reference, and the object's own uid, is left alone.
  CHECK(pod.at({"metadata", "ownerReferences"})->as_array()[0].find("controller")->as_bool());
  CHECK(pod.string_at({"metadata", "uid"}) == "p-old");
  CHECK(relinker.stats().rewritten == 1);
}

TEST_CASE("rewrite_object with several owners drops or keeps the dangling one by policy") {
  Value original =
      pod_owned_by({ref("ReplicaSet", "web-1", "rs-old"), ref("Deployment", "gone", "d-missing")});
  SUBCASE("drop (the default)") {
    Relinker relinker;
    relinker.record_created(k_rs, "rs-old", "rs-new");
    Value pod = original;
    auto done = relinker.rewrite_object(pod);
    REQUIRE(done);
    CHECK(done->rewritten == 1);
    REQUIRE(done->dropped.size() == 1);
    CHECK(done->dropped[0] == OwnerRef{"apps/v1", "Deployment", "gone", "d-missing"});
    CHECK(done->kept.empty());
    const Value* refs = pod.at({"metadata", "ownerReferences"});
    REQUIRE(refs->size() == 1);
    CHECK(refs->as_array()[0].string_at({"uid"}) == "rs-new");
    CHECK(relinker.stats().dangling == 1);
  }
  SUBCASE("keep") {
    Relinker relinker(DanglingOwners::keep);
    relinker.record_created(k_rs, "rs-old", "rs-new");
    Value pod = original;
    auto done = relinker.rewrite_object(pod);
    REQUIRE(done);
    REQUIRE(done->kept.size() == 1);
    CHECK(done->dropped.empty());
    const Value* refs = pod.at({"metadata", "ownerReferences"});
    REQUIRE(refs->size() == 2);
    CHECK(refs->as_array()[1].string_at({"uid"}) == "d-missing");
  }
}

TEST_CASE("rewrite_object removes ownerReferences when every owner is dropped") {
  Relinker relinker;
  Value pod = pod_owned_by({ref("ReplicaSet", "a", "x1"), ref("ReplicaSet", "b", "x2")});
  auto done = relinker.rewrite_object(pod);
  REQUIRE(done);
  CHECK(done->dropped.size() == 2);
  CHECK(pod.at({"metadata", "ownerReferences"}) == nullptr);
  CHECK(pod.string_at({"metadata", "name"}) == "web-1");
}

TEST_CASE("rewrite_object reports a malformed ownerReferences and leaves the object alone") {
  Relinker relinker;
  relinker.record_created(k_rs, "rs-old", "rs-new");
  Value pod = json(R"({"kind":"Pod","metadata":{"name":"p","ownerReferences":{"uid":"rs-old"}}})");
  Value before = pod;
  auto done = relinker.rewrite_object(pod);
  REQUIRE_FALSE(done);
  CHECK(done.error().kind == ErrorKind::invalid);
  CHECK(done.error().message == "metadata.ownerReferences is not a list");
  CHECK(pod == before);

  Value odd = json(R"({"metadata":{"ownerReferences":[)" + ref("ReplicaSet", "a", "rs-old") + R"(,7]}})");
  before = odd;
  done = relinker.rewrite_object(odd);
  REQUIRE_FALSE(done);
  CHECK(done.error().message == "metadata.ownerReferences[1] is not an object");
  CHECK(odd == before);
  CHECK(relinker.stats().rewritten == 0);

  Value none = json(R"({"kind":"Namespace","metadata":{"name":"demo"}})");
  done = relinker.rewrite_object(none);
  REQUIRE(done);
  CHECK(done->rewritten == 0);
}

TEST_CASE("a parent deleted and re-created under the same name gets a second mapping") {
  Relinker relinker;
  relinker.record_created(k_web, "d-first", "n-first");
  REQUIRE(relinker.current(k_web));
  CHECK(relinker.current(k_web)->new_uid == "n-first");
  relinker.record_deleted(k_web);
  CHECK_FALSE(relinker.current(k_web));
  relinker.record_created(k_web, "d-second", "n-second");
  CHECK(relinker.current(k_web)->old_uid == "d-second");
  CHECK(relinker.current(k_web)->new_uid == "n-second");
  // Children of either incarnation keep pointing at their own parent's re-creation.
  CHECK(relinker.new_uid("d-first") == "n-first");
  CHECK(relinker.new_uid("d-second") == "n-second");
  Value late = json(R"({"metadata":{"ownerReferences":[)" + ref("Deployment", "web", "d-first") + "]}}");
  REQUIRE(relinker.rewrite_object(late));
  CHECK(late.at({"metadata", "ownerReferences"})->as_array()[0].string_at({"uid"}) == "n-first");
  // --on-existing recreate: the same old UID created again takes the newer UID.
  relinker.record_created(k_web, "d-second", "n-third");
  CHECK(relinker.new_uid("d-second") == "n-third");
  CHECK(relinker.stats().mapped == 2);
  CHECK_FALSE(relinker.new_uid("d-never"));
  CHECK_FALSE(relinker.new_uid(""));
}

TEST_CASE("rewrite_object from many threads while creates are recorded") {
  Relinker relinker;
  constexpr int k_objects = 2000;
  std::thread writer([&] {
    for (int i = 0; i < k_objects; ++i)
      relinker.record_created({"apps", "ReplicaSet", "demo", "rs" + std::to_string(i)},
                              "old" + std::to_string(i), "new" + std::to_string(i));
  });
  std::vector<std::thread> readers;
  std::vector<int> wrong(3, 0);
  const Value pod_template = pod_owned_by({ref("ReplicaSet", "rs", "?")});  // no asserts in threads
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&, t] {
      for (int i = 0; i < k_objects; ++i) {
        Value pod = pod_template;
        pod.at({"metadata", "ownerReferences"})->as_array()[0].set("uid", "old" + std::to_string(i));
        auto done = relinker.rewrite_object(pod);
        // Either not mapped yet (so dropped) or mapped to exactly its own new UID.
        const Value* refs = pod.at({"metadata", "ownerReferences"});
        bool dropped = done && done->dropped.size() == 1 && !refs;
        bool mapped = done && done->rewritten == 1 && refs &&
                      refs->as_array()[0].string_at({"uid"}) == "new" + std::to_string(i);
        if (!dropped && !mapped) ++wrong[t];
      }
    });
  writer.join();
  for (auto& r : readers) r.join();
  CHECK(wrong == std::vector<int>{0, 0, 0});
  CHECK(relinker.stats().mapped == k_objects);
  CHECK(relinker.stats().rewritten + relinker.stats().dangling == 3 * k_objects);
}

TEST_CASE("rewrite_object re-links 20,000 Pods") {
  Relinker relinker;
  constexpr int k_sets = 2000;
  for (int i = 0; i < k_sets; ++i)
    relinker.record_created({"apps", "ReplicaSet", "demo", "rs" + std::to_string(i)},
                            "old" + std::to_string(i), "new" + std::to_string(i));
  std::vector<Value> pods;
  for (int i = 0; i < 10 * k_sets; ++i) {
    Value pod = pod_owned_by({ref("ReplicaSet", "rs", "old" + std::to_string(i % k_sets))});
    pod.at({"metadata"})->set("name", "p" + std::to_string(i));
    pods.push_back(std::move(pod));
  }
  std::clock_t start = std::clock();  // CPU time: the machine may be busy with other work
  std::size_t rewritten = 0;
  for (Value& pod : pods) rewritten += relinker.rewrite_object(pod).value().rewritten;
  double seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  MESSAGE("rewrite_object: " << pods.size() << " Pods in " << seconds * 1e3 << " ms CPU");
  CHECK(rewritten == pods.size());
  CHECK(pods.back().at({"metadata", "ownerReferences"})->as_array()[0].string_at({"uid"}) ==
        "new" + std::to_string((10 * k_sets - 1) % k_sets));
}
