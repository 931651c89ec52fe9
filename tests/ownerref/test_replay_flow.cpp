// The two halves together, as the replayer drives them: the Scheduler says when an object may be
// created, the Relinker rewrites it, the "create" gives it a new UID, and both hear of it.
// controller_made_chain.json is the Deployment, ReplicaSet and Pods that a real kube-apiserver's
// controllers made (shared/k8s-reference/responses/controller_made_chain.json, metadata only).
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "formats/json.hpp"
#include "ownerref/relinker.hpp"
#include "ownerref/scheduler.hpp"
#include "tests/support/files.hpp"

using namespace ktape::ownerref;
using ktape::formats::Value;

namespace {

std::vector<Value> controller_chain() {
  const std::string path = KTAPE_SOURCE_DIR "/tests/ownerref/controller_made_chain.json";
  REQUIRE(std::filesystem::exists(path));
  auto list = ktape::formats::parse_json(ktape::test_support::read_file(path));
  REQUIRE(list);
  return list->find("items")->as_array();
}

// A target cluster in miniature: creating an object stores it under a fresh UID.
struct Target {
  std::vector<Value> objects;
  std::string create(Value object) {
    std::string uid = "target-" + std::to_string(objects.size());
    object.at({"metadata"})->set("uid", uid);
    objects.push_back(std::move(object));
    return uid;
  }
  const Value* named(std::string_view name) const {
    for (const Value& o : objects)
      if (o.string_at({"metadata", "name"}) == name) return &o;
    return nullptr;
  }
};

// Replays `input` in file order; returns the target it built.
Target replay(const std::vector<Value>& input, Relinker& relinker) {
  Scheduler scheduler;
  Target target;
  std::deque<NodeId> ready;
  for (const Value& object : input)
    if (auto submitted = scheduler.submit(node_of(object)); submitted.ready) ready.push_back(submitted.id);
  for (NodeId id : scheduler.finish()) ready.push_back(id);
  while (!ready.empty()) {
    Value object = input[ready.front()];
    ready.pop_front();
    std::string old_uid(uid_of(object));
    ObjectKey key = key_of(object).value();
    auto rewrite = relinker.rewrite_object(object);
    REQUIRE(rewrite);
    CHECK_FALSE(rewrite->has_dangling());
    std::string new_uid = target.create(std::move(object));
    relinker.record_created(key, old_uid, new_uid);
    for (NodeId next : scheduler.created(old_uid)) ready.push_back(next);
  }
  CHECK(scheduler.take_problems().empty());
  return target;
}

}  // namespace

TEST_CASE("a real controller chain re-links to the re-created parents in every file order") {
  std::vector<Value> chain = controller_chain();
  REQUIRE(chain.size() == 4);
  std::vector<std::size_t> perm{0, 1, 2, 3};
  int orders = 0;
  do {
    std::vector<Value> input;
    for (std::size_t i : perm) input.push_back(chain[i]);
    Relinker relinker;
    Target target = replay(input, relinker);
    REQUIRE(target.objects.size() == 4);
    const Value* deployment = target.named("web");
    const Value* replica_set = target.named("web-65d846d465");
    REQUIRE(deployment);
    REQUIRE(replica_set);
    // Every reference points at the new UID of the object that was its owner at the source.
    CHECK(owner_refs_of(*replica_set).at(0).uid == uid_of(*deployment));
    CHECK(owner_refs_of(*replica_set).at(0).name == "web");
    for (const Value& o : target.objects)
      if (o.string_at({"kind"}) == "Pod") CHECK(owner_refs_of(o).at(0).uid == uid_of(*replica_set));
    CHECK(relinker.stats().rewritten == 3);
    ++orders;
  } while (std::next_permutation(perm.begin(), perm.end()));
  CHECK(orders == 24);
}

TEST_CASE("the scheduler from several worker threads creates each object once, after its owners") {
  // 500 trees of root -> 4 children -> 2 grandchildren each, submitted leaves first.
  std::vector<Node> input;
  for (int t = 0; t < 500; ++t) {
    std::string root = "t" + std::to_string(t);
    for (int c = 0; c < 4; ++c) {
      std::string child = root + "c" + std::to_string(c);
      for (int g = 0; g < 2; ++g)
        input.push_back(Node{child + "g" + std::to_string(g), {OwnerRef{"v1", "X", "c", child}}, "g"});
      input.push_back(Node{child, {OwnerRef{"v1", "X", "r", root}}, "c"});
    }
    input.push_back(Node{root, {}, "r"});
  }
  Scheduler scheduler;
  std::mutex mutex;
  std::deque<NodeId> queue;
  std::vector<int> created_at(input.size(), -1);  // creation sequence number per object
  int sequence = 0;
  std::size_t finished = 0;
  for (const Node& n : input)
    if (auto s = scheduler.submit(n); s.ready) queue.push_back(s.id);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&] {
      for (;;) {
        NodeId id;
        {
          std::lock_guard lock(mutex);
          if (finished == input.size()) return;
          if (queue.empty()) {
            std::this_thread::yield();
            continue;
          }
          id = queue.front();
          queue.pop_front();
          created_at[id] = sequence++;
        }
        std::vector<NodeId> next = scheduler.created(input[id].uid);  // outside the workers' lock
        std::lock_guard lock(mutex);
        ++finished;
        queue.insert(queue.end(), next.begin(), next.end());
      }
    });
  for (auto& w : workers) w.join();
  std::map<std::string, int> created_at_uid;
  for (std::size_t i = 0; i < input.size(); ++i) created_at_uid[input[i].uid] = created_at[i];
  std::size_t late = 0;
  for (std::size_t i = 0; i < input.size(); ++i)
    for (const OwnerRef& o : input[i].owners)
      if (created_at_uid.at(o.uid) > created_at[i]) ++late;
  CHECK(std::count(created_at.begin(), created_at.end(), -1) == 0);
  CHECK(late == 0);
  CHECK(scheduler.counts().done == input.size());
}

TEST_CASE("an ownership cycle replays: the object that closes it is created without that owner") {
  auto object = [](std::string name, std::string uid, std::string owner_uid) {
    auto v =
        ktape::formats::parse_json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
                                   R"(","namespace":"demo","uid":")" + uid +
                                   R"(","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"x",)"
                                   R"("uid":")" +
                                   owner_uid + R"("}]}})");
    REQUIRE(v);
    return *v;
  };
  // a is owned by b and b by a: b closes the cycle, so it goes first and loses its reference to a.
  std::vector<Value> input{object("a", "a1", "b1"), object("b", "b1", "a1")};
  Scheduler scheduler;
  Relinker relinker;
  Target target;
  CHECK_FALSE(scheduler.submit(node_of(input[0])).ready);
  REQUIRE(scheduler.submit(node_of(input[1])).ready);
  auto problems = scheduler.take_problems();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].kind == ProblemKind::cycle);

  Value b = input[1];
  auto rewrite = relinker.rewrite_object(b);
  REQUIRE(rewrite);
  REQUIRE(rewrite->dropped.size() == 1);
  CHECK(rewrite->dropped[0].uid == "a1");
  relinker.record_created(*key_of(b), "b1", target.create(b));
  REQUIRE(scheduler.created("b1") == std::vector<NodeId>{0});

  Value a = input[0];
  REQUIRE(relinker.rewrite_object(a));
  relinker.record_created(*key_of(a), "a1", target.create(a));
  CHECK(scheduler.created("a1").empty());
  CHECK(owner_refs_of(*target.named("a")).at(0).uid == uid_of(*target.named("b")));
  CHECK(owner_refs_of(*target.named("b")).empty());
}
