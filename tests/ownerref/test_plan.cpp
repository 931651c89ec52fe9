#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "ownerref/scheduler.hpp"

using namespace ktape::ownerref;

namespace {

Node node(std::string uid, std::vector<std::string> owner_uids = {}) {
  Node n{uid, {}, "obj " + uid};
  for (auto& o : owner_uids) n.owners.push_back(OwnerRef{"v1", "ConfigMap", "o", std::move(o)});
  return n;
}

// The layer of every input index; -1 when it is in none, -2 when it is in several.
std::vector<int> layer_of(const Plan& plan, std::size_t count) {
  std::vector<int> out(count, -1);
  for (std::size_t l = 0; l < plan.layers.size(); ++l)
    for (NodeId id : plan.layers[l]) out[id] = out[id] == -1 ? static_cast<int>(l) : -2;
  return out;
}

// Every object planned once, each after all of its owners that the input contains.
void check_owners_first(const std::vector<Node>& input, const Plan& plan) {
  std::vector<int> layer = layer_of(plan, input.size());
  std::unordered_map<std::string, int> layer_of_uid;
  for (std::size_t i = 0; i < input.size(); ++i) layer_of_uid[input[i].uid] = layer[i];
  std::size_t misplaced = 0;
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (layer[i] < 0) ++misplaced;
    for (const OwnerRef& o : input[i].owners) {
      auto it = layer_of_uid.find(o.uid);
      if (it != layer_of_uid.end() && it->second >= layer[i]) ++misplaced;
    }
  }
  CHECK(misplaced == 0);
}

// A generated forest: `deployments` Deployments, each with 2 ReplicaSets of 3 Pods, every tenth
// Pod also owned by a second ReplicaSet; shuffled with a fixed seed. 9 objects per Deployment.
std::vector<Node> forest(std::size_t deployments, unsigned seed) {
  std::vector<Node> out;
  out.reserve(deployments * 9);
  for (std::size_t d = 0; d < deployments; ++d) {
    std::string du = "d" + std::to_string(d);
    out.push_back(node(du));
    for (int r = 0; r < 2; ++r) {
      std::string ru = du + "-r" + std::to_string(r);
      out.push_back(node(ru, {du}));
      for (int p = 0; p < 3; ++p) {
        std::vector<std::string> owners{ru};
        if ((d + p) % 10 == 0) owners.push_back(du + "-r" + std::to_string(1 - r));
        out.push_back(node(ru + "-p" + std::to_string(p), owners));
      }
    }
  }
  std::mt19937 random(seed);
  std::shuffle(out.begin(), out.end(), random);
  return out;
}

// CPU time, not wall time: the machine running the tests may be busy with other work.
double plan_seconds(const std::vector<Node>& input, Plan& plan) {
  std::clock_t start = std::clock();
  plan = plan_layers(input);
  return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

}  // namespace

TEST_CASE("plan_layers puts a chain's owners first in every file order") {
  std::vector<Node> chain{node("d"), node("r", {"d"}), node("p", {"r"})};
  std::vector<std::size_t> perm{0, 1, 2};
  do {
    std::vector<Node> input;
    for (std::size_t i : perm) input.push_back(chain[i]);
    Plan plan = plan_layers(input);
    REQUIRE(plan.layers.size() == 3);
    // perm[k] is the chain position of input k, and so its layer.
    for (std::size_t k = 0; k < 3; ++k) CHECK(plan.layers[perm[k]] == std::vector<NodeId>{k});
    CHECK(plan.problems.empty());
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST_CASE("plan_layers with missing owners, a cycle, objects without UIDs and a duplicate") {
  std::vector<Node> input{
      node("a", {"b"}),       // 0: a <-> b, a cycle
      node("b", {"a"}),       // 1: closes it
      node("c", {"gone"}),    // 2: owner not in the input
      node("", {"c"}),        // 3: no UID of its own
      node("e", {"e"}),       // 4: its own owner
      node("f", {"c", "b"}),  // 5
      node("c", {}),          // 6: c again
  };
  Plan plan = plan_layers(input);
  std::vector<int> layer = layer_of(plan, input.size());
  // b is released from the cycle it closes, so a follows it; the second c goes with the first.
  CHECK(layer == std::vector<int>{1, 0, 0, 1, 0, 1, 0});
  REQUIRE(plan.problems.size() == 3);
  CHECK(plan.problems[0].kind == ProblemKind::cycle);
  CHECK(plan.problems[0].node == 1);
  CHECK(plan.problems[1].kind == ProblemKind::cycle);
  CHECK(plan.problems[1].node == 4);
  CHECK(plan.problems[2].kind == ProblemKind::missing_owner);
  CHECK(plan.problems[2].node == 2);
  CHECK(plan.problems[2].message == "obj c: owner v1 ConfigMap o (uid gone) is not in the recording");
}

TEST_CASE("plan_layers resolves a shuffled forest of 54,000 objects in linear time") {
  Plan small_plan, large_plan;
  std::vector<Node> small = forest(750, 7);
  std::vector<Node> large = forest(6000, 7);
  // Best of three, against a busy machine.
  double small_s = 1e9, large_s = 1e9;
  for (int i = 0; i < 3; ++i) {
    small_s = std::min(small_s, plan_seconds(small, small_plan));
    large_s = std::min(large_s, plan_seconds(large, large_plan));
  }
  MESSAGE("plan_layers: " << small.size() << " objects in " << small_s * 1e3 << " ms, " << large.size()
                          << " in " << large_s * 1e3 << " ms");
  CHECK(large_plan.layers.size() == 3);
  CHECK(large_plan.layers[0].size() == 6000);
  CHECK(large_plan.problems.empty());
  check_owners_first(large, large_plan);
  // Eight times the input: linear is 8x. Shuffled, every step is a cache miss once the larger one
  // outgrows the caches, which measured up to 30x; quadratic would be 64x on top of that.
  CHECK(large_s / small_s < 60);
}

TEST_CASE("a deep chain in reverse file order resolves one layer per link") {
  std::vector<Node> input;
  constexpr int k_depth = 3000;
  for (int i = k_depth - 1; i >= 0; --i)
    input.push_back(i == 0 ? node("n0") : node("n" + std::to_string(i), {"n" + std::to_string(i - 1)}));
  Plan plan = plan_layers(input);
  REQUIRE(plan.layers.size() == k_depth);
  CHECK(plan.layers.front() == std::vector<NodeId>{k_depth - 1});
  CHECK(plan.layers.back() == std::vector<NodeId>{0});
  CHECK(plan.problems.empty());
}
