#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "formats/json.hpp"
#include "ownerref/scheduler.hpp"

using namespace ktape::ownerref;

namespace {

OwnerRef owner(std::string kind, std::string name, std::string uid) {
  std::string api = kind == "Deployment" || kind == "ReplicaSet" ? "apps/v1" : "v1";
  return OwnerRef{api, std::move(kind), std::move(name), std::move(uid)};
}

Node node(std::string label, std::string uid, std::vector<OwnerRef> owners = {}) {
  return Node{std::move(uid), std::move(owners), std::move(label)};
}

// A replayer in miniature: submits `nodes` in order and creates every ready object at once, in
// the order they become ready; finish() after the last submission. Returns the labels in creation
// order; every create is reported to the scheduler.
struct Replay {
  Scheduler scheduler;
  std::vector<Node> nodes;  // by NodeId
  std::vector<std::string> order;

  void run(const std::vector<Node>& input) {
    for (const Node& n : input) {
      nodes.push_back(n);
      auto submitted = scheduler.submit(n);
      CHECK(submitted.id == nodes.size() - 1);
      if (submitted.ready) create({submitted.id});
    }
    create(scheduler.finish());
  }

  void create(std::vector<NodeId> ready) {
    std::deque<NodeId> queue(ready.begin(), ready.end());
    while (!queue.empty()) {
      NodeId id = queue.front();
      queue.pop_front();
      order.push_back(nodes[id].label);
      for (NodeId next : scheduler.created(nodes[id].uid)) queue.push_back(next);
    }
  }

  std::size_t position(const std::string& label) const {
    return std::find(order.begin(), order.end(), label) - order.begin();
  }
};

// Deployment web -> ReplicaSet web-1 -> Pod web-1-a, as the real controllers chain them.
std::vector<Node> chain() {
  return {node("deploy", "d", {}), node("rs", "r", {owner("Deployment", "web", "d")}),
          node("pod", "p", {owner("ReplicaSet", "web-1", "r")})};
}

}  // namespace

TEST_CASE("a Deployment -> ReplicaSet -> Pod chain is created owners first in every file order") {
  std::vector<Node> input = chain();
  std::vector<std::size_t> perm{0, 1, 2};
  int orders = 0;
  do {
    std::vector<Node> shuffled;
    std::string names;
    for (std::size_t i : perm) {
      shuffled.push_back(input[i]);
      names += input[i].label + " ";
    }
    CAPTURE(names);
    Replay replay;
    replay.run(shuffled);
    CHECK(replay.order == std::vector<std::string>{"deploy", "rs", "pod"});
    CHECK(replay.scheduler.take_problems().empty());
    auto counts = replay.scheduler.counts();
    CHECK(counts.waiting == 0);
    CHECK(counts.ready == 0);
    CHECK(counts.done == 3);
    ++orders;
  } while (std::next_permutation(perm.begin(), perm.end()));
  CHECK(orders == 6);
}

TEST_CASE("a grandchild read before its parent is ready only once the chain resolves") {
  Scheduler s;
  CHECK_FALSE(s.submit(node("pod", "p", {owner("ReplicaSet", "web-1", "r")})).ready);
  CHECK_FALSE(s.submit(node("rs", "r", {owner("Deployment", "web", "d")})).ready);
  CHECK(s.counts().waiting == 2);
  auto deploy = s.submit(node("deploy", "d"));
  CHECK(deploy.ready);
  CHECK(deploy.id == 2);
  CHECK(s.created("d") == std::vector<NodeId>{1});
  CHECK(s.counts().waiting == 1);
  CHECK(s.created("r") == std::vector<NodeId>{0});
  CHECK(s.created("p").empty());
  CHECK(s.created("p").empty());  // reported twice: nothing more
  CHECK(s.counts().done == 3);
  CHECK(s.finish().empty());
  CHECK(s.take_problems().empty());
}

TEST_CASE("an object with several owners waits for all of them") {
  Scheduler s;
  Node pod = node("pod", "p",
                  {owner("ReplicaSet", "a", "a1"), owner("ReplicaSet", "b", "b1"),
                   owner("ReplicaSet", "a", "a1")});  // a duplicate counts once
  CHECK_FALSE(s.submit(pod).ready);
  CHECK(s.submit(node("a", "a1")).ready);
  CHECK(s.submit(node("b", "b1")).ready);
  CHECK(s.created("a1").empty());
  CHECK(s.created("b1") == std::vector<NodeId>{0});
}

TEST_CASE("an owner that exists before it is submitted does not hold its children") {
  Scheduler s;
  CHECK(s.created("ns-uid").empty());  // a namespace the replayer created by itself
  CHECK(s.submit(node("cm", "c", {owner("Namespace", "demo", "ns-uid")})).ready);
  // A waiting child of an owner created outside the scheduler is released by that create.
  CHECK_FALSE(s.submit(node("pod", "p", {owner("Node", "n1", "node-uid")})).ready);
  CHECK(s.created("node-uid") == std::vector<NodeId>{1});
}

TEST_CASE("owners missing from the input are reported at finish and their children released") {
  Scheduler s;
  s.submit(node("v1 Pod demo/orphan", "p", {owner("ReplicaSet", "web-1", "r-gone")}));
  s.submit(node("apps/v1 ReplicaSet demo/rs", "r", {owner("Deployment", "web", "d-gone")}));
  s.submit(node("v1 Pod demo/child", "c", {owner("ReplicaSet", "rs", "r")}));
  CHECK(s.take_problems().empty());  // not yet: the owners may come later in the file
  CHECK(s.finish() == std::vector<NodeId>{0, 1});
  auto problems = s.take_problems();
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].kind == ProblemKind::missing_owner);
  CHECK(problems[0].node == 0);
  CHECK(problems[0].owners == std::vector<OwnerRef>{owner("ReplicaSet", "web-1", "r-gone")});
  CHECK(problems[0].message ==
        "v1 Pod demo/orphan: owner apps/v1 ReplicaSet web-1 (uid r-gone) is not in the recording");
  CHECK(problems[1].node == 1);
  // The grandchild still waits on its parent, which is in the input, and follows it.
  CHECK(s.counts().waiting == 1);
  CHECK(s.created("r") == std::vector<NodeId>{2});
  // After finish, a late object with a missing owner is released at once.
  CHECK(s.submit(node("late", "l", {owner("Deployment", "x", "x-gone")})).ready);
  REQUIRE(s.take_problems().size() == 1);
}

TEST_CASE("expire releases only objects before the window's end") {
  Scheduler s;
  s.submit(node("early", "e", {owner("Deployment", "x", "x1")}));  // 0
  s.submit(node("late", "l", {owner("Deployment", "y", "y1")}));   // 1
  s.submit(node("rs", "r", {owner("Deployment", "z", "z1")}));     // 2
  s.submit(node("z", "z1"));                                       // 3
  CHECK(s.expire(1) == std::vector<NodeId>{0});
  auto problems = s.take_problems();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].kind == ProblemKind::owner_beyond_window);
  CHECK(problems[0].message ==
        "early: owner apps/v1 Deployment x (uid x1) is not within the look-ahead window");
  CHECK(s.counts().waiting == 2);
  // y1 arrives before the window reaches `late`; z1 was in time for rs.
  s.submit(node("y", "y1"));  // 4
  CHECK(s.expire(5).empty());
  CHECK(s.take_problems().empty());
  CHECK(s.created("y1") == std::vector<NodeId>{1});
  CHECK(s.created("z1") == std::vector<NodeId>{2});
}

TEST_CASE("an ownership cycle is reported and broken where it closes") {
  SUBCASE("A owns B owns A") {
    Scheduler s;
    CHECK_FALSE(s.submit(node("A", "a", {owner("ConfigMap", "b", "b")})).ready);
    CHECK(s.submit(node("B", "b", {owner("ConfigMap", "a", "a")})).ready);  // closes the cycle
    auto problems = s.take_problems();
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].kind == ProblemKind::cycle);
    CHECK(problems[0].node == 1);
    CHECK(problems[0].cycle_uids == std::vector<std::string>{"b", "a"});
    CHECK(problems[0].message ==
          "B: ownership cycle: it is owned by A, owned by it; it does not wait for owner v1 "
          "ConfigMap a (uid a)");
    CHECK(s.created("b") == std::vector<NodeId>{0});
    CHECK(s.created("a").empty());
    CHECK(s.counts().waiting + s.counts().ready == 0);
  }
  SUBCASE("a self-owner") {
    Scheduler s;
    CHECK(s.submit(node("A", "a", {owner("ConfigMap", "a", "a")})).ready);
    auto problems = s.take_problems();
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].cycle_uids == std::vector<std::string>{"a"});
    CHECK(problems[0].message == "A: it is its own owner");
  }
  SUBCASE("a longer cycle with a tail, in every file order") {
    // a -> b -> c -> a, and d owned by c hanging below.
    std::vector<Node> input{
        node("A", "a", {owner("ConfigMap", "b", "b")}), node("B", "b", {owner("ConfigMap", "c", "c")}),
        node("C", "c", {owner("ConfigMap", "a", "a")}), node("D", "d", {owner("ConfigMap", "c", "c")})};
    std::vector<std::size_t> perm{0, 1, 2, 3};
    do {
      std::vector<Node> shuffled;
      for (std::size_t i : perm) shuffled.push_back(input[i]);
      Replay replay;
      replay.run(shuffled);
      CHECK(replay.order.size() == 4);  // never hangs: everything is created
      auto problems = replay.scheduler.take_problems();
      REQUIRE(problems.size() == 1);
      CHECK(problems[0].kind == ProblemKind::cycle);
      CHECK(problems[0].cycle_uids.size() == 3);
      CHECK(replay.position("C") < replay.position("D"));
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
}

TEST_CASE("a failed create releases the objects waiting on it") {
  Scheduler s;
  auto deploy = s.submit(node("deploy", "d"));
  REQUIRE(deploy.ready);
  s.submit(node("rs", "r", {owner("Deployment", "web", "d")}));
  s.submit(node("pod", "p", {owner("ReplicaSet", "web-1", "r")}));
  CHECK(s.failed(deploy.id) == std::vector<NodeId>{1});
  auto problems = s.take_problems();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].kind == ProblemKind::failed_owner);
  CHECK(problems[0].message == "rs: the create of owner apps/v1 Deployment web (uid d) failed");
  // The pod still waits on the ReplicaSet, which is to be created.
  CHECK(s.created("r") == std::vector<NodeId>{2});
  // Later children of the failed owner do not wait for it.
  CHECK(s.submit(node("rs2", "r2", {owner("Deployment", "web", "d")})).ready);
  CHECK(s.take_problems().size() == 1);
  CHECK(s.failed(deploy.id).empty());  // already finished
  CHECK(s.failed(999).empty());
}

TEST_CASE("a parent deleted and re-created under the same name: children wait for their own incarnation") {
  Scheduler s;
  s.submit(node("rs-of-second", "r2", {owner("Deployment", "web", "d2")}));
  s.submit(node("rs-of-first", "r1", {owner("Deployment", "web", "d1")}));
  s.submit(node("web (first)", "d1"));
  s.submit(node("web (second)", "d2"));
  CHECK(s.created("d1") == std::vector<NodeId>{1});
  CHECK(s.counts().waiting == 1);
  CHECK(s.created("d2") == std::vector<NodeId>{0});
}

TEST_CASE("node_of reads uid, owners and a label from an object") {
  auto pod = ktape::formats::parse_json(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"demo","uid":"p1",)"
      R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"r1"}]}})");
  REQUIRE(pod);
  Node n = node_of(*pod);
  CHECK(n.uid == "p1");
  CHECK(n.label == "v1 Pod demo/web-1");
  CHECK(n.owners == std::vector<OwnerRef>{owner("ReplicaSet", "web", "r1")});
}
