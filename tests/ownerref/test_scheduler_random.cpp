// Random ownership graphs (cycles, missing owners, shared owners, duplicates), random file orders,
// random create order and random failures: the scheduler's promises hold on every one.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ownerref/scheduler.hpp"

using namespace ktape::ownerref;

namespace {

struct Run {
  std::vector<Node> input;
  std::vector<int> ready_count;                     // times each object was handed out as ready
  std::set<std::string> created;                    // UIDs created so far
  std::set<std::string> failed_uids;                // UIDs whose only create failed
  std::map<NodeId, std::set<std::string>> excused;  // owners a problem released each object from
  std::size_t violations = 0;
  std::vector<std::string> notes;
};

std::vector<Node> random_graph(std::mt19937& random, int count) {
  std::vector<Node> nodes;
  std::uniform_int_distribution<int> pick(0, count - 1), owners(0, 3), chance(0, 99);
  for (int i = 0; i < count; ++i) {
    // One in twenty objects repeats an earlier UID (a duplicate document).
    std::string uid = i > 0 && chance(random) < 5 ? nodes[pick(random) % i].uid : "u" + std::to_string(i);
    Node n{uid, {}, "obj " + std::to_string(i)};
    for (int k = owners(random); k > 0; --k) {
      // Mostly earlier objects (a forest), sometimes later ones, itself, or one not in the input.
      int c = chance(random);
      std::string owner = c < 70 && i > 0 ? "u" + std::to_string(pick(random) % i)
                          : c < 90        ? "u" + std::to_string(pick(random))
                          : c < 93        ? uid
                                          : "missing" + std::to_string(pick(random));
      n.owners.push_back(OwnerRef{"v1", "ConfigMap", "o", owner});
    }
    nodes.push_back(std::move(n));
  }
  return nodes;
}

bool owns(const Run& run, const std::string& child, const std::string& owner) {
  return std::any_of(run.input.begin(), run.input.end(), [&](const Node& n) {
    return n.uid == child &&
           std::any_of(n.owners.begin(), n.owners.end(), [&](const OwnerRef& o) { return o.uid == owner; });
  });
}

bool carried(const Run& run, const std::string& uid) {
  return std::any_of(run.input.begin(), run.input.end(), [&](const Node& n) { return n.uid == uid; });
}

// Collects the problems reported, checking that each is true of the input.
void take(Scheduler& scheduler, Run& run) {
  for (Problem& p : scheduler.take_problems()) {
    for (const OwnerRef& o : p.owners) run.excused[p.node].insert(o.uid);
    const auto& c = p.cycle_uids;
    bool true_to_input = true;
    if (p.kind == ProblemKind::missing_owner)
      for (const OwnerRef& o : p.owners) true_to_input = true_to_input && !carried(run, o.uid);
    if (p.kind == ProblemKind::cycle)
      for (std::size_t i = 0; i < c.size(); ++i)
        true_to_input = true_to_input && owns(run, c[i], c[(i + 1) % c.size()]);
    if (!true_to_input) {
      ++run.violations;
      run.notes.push_back("untrue problem: " + p.message);
    }
  }
}

// Hands out `id`: checks that every owner exists or was excused.
void hand_out(Run& run, NodeId id) {
  ++run.ready_count[id];
  for (const OwnerRef& o : run.input[id].owners)
    if (!run.created.contains(o.uid) && !run.excused[id].contains(o.uid)) {
      ++run.violations;
      run.notes.push_back(run.input[id].label + " ready before owner " + o.uid);
    }
}

void drive(Scheduler& scheduler, Run& run, std::vector<NodeId> queue, std::mt19937& random) {
  std::uniform_int_distribution<int> chance(0, 99);
  while (!queue.empty()) {
    std::uniform_int_distribution<std::size_t> at(0, queue.size() - 1);
    std::size_t i = at(random);
    NodeId id = queue[i];
    queue.erase(queue.begin() + static_cast<long>(i));
    std::vector<NodeId> next;
    if (chance(random) < 5) {
      next = scheduler.failed(id);
    } else {
      run.created.insert(run.input[id].uid);
      next = scheduler.created(run.input[id].uid);
    }
    take(scheduler, run);
    for (NodeId n : next) {
      hand_out(run, n);
      queue.push_back(n);
    }
  }
}

}  // namespace

TEST_CASE("random ownership graphs, whole or windowed: every object is handed out once, after its owners") {
  std::size_t total_problems = 0;
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::mt19937 random(seed);
    Run run;
    run.input = random_graph(random, 60);
    run.ready_count.assign(run.input.size(), 0);
    Scheduler scheduler;
    std::vector<NodeId> queue;
    for (const Node& n : run.input) {
      auto submitted = scheduler.submit(n);
      take(scheduler, run);
      if (submitted.ready) {
        hand_out(run, submitted.id);
        queue.push_back(submitted.id);
      }
      // Odd seeds stream with a look-ahead window of 8 objects.
      if (seed % 2 == 1 && submitted.id >= 8) {
        std::vector<NodeId> released = scheduler.expire(submitted.id - 8);
        take(scheduler, run);
        for (NodeId id : released) hand_out(run, id);
        queue.insert(queue.end(), released.begin(), released.end());
      }
    }
    // Create some, then declare the input complete, then create the rest.
    std::vector<NodeId> after = scheduler.finish();
    take(scheduler, run);
    for (NodeId id : after) hand_out(run, id);
    queue.insert(queue.end(), after.begin(), after.end());
    drive(scheduler, run, queue, random);
    for (const auto& [id, uids] : run.excused) total_problems += uids.size();

    CAPTURE(seed);
    CHECK(run.violations == 0);
    if (!run.notes.empty()) MESSAGE(run.notes.front());
    CHECK(std::count(run.ready_count.begin(), run.ready_count.end(), 1) ==
          static_cast<long>(run.input.size()));
    auto counts = scheduler.counts();
    CHECK(counts.waiting == 0);
    CHECK(counts.ready == 0);
    CHECK(counts.done == run.input.size());
  }
  CHECK(total_problems > 300);  // the graphs did exercise cycles, missing and failed owners
}
