// Against the real control plane (../shared/realk8s): a namespace with a Job and a Deployment made
// by kubectl, exported and replayed with --snapshot into a second fresh cluster. The Job is the
// case a real apiserver refuses when its UID fields are copied (422 "selector not auto-generated"):
// here it is created without them, the apiserver generates its selector from the new UID, and its
// Pod follows that UID in its labels and owner. Skipped with a message when realk8s is absent.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "formats/json.hpp"
#include "tests/e2e/harness.hpp"

using namespace ktape;
using namespace ktape::e2e;
using formats::Value;

namespace {

std::string realk8s_path() {
  const char* shared = std::getenv("KTAPE_SHARED");
  fs::path base = shared != nullptr ? fs::path(shared) : fs::path(KTAPE_SOURCE_DIR) / ".." / "shared";
  return (base / "realk8s" / "realk8s").string();
}

// One real control plane in a state directory, taken down (and the directory removed) on scope
// exit, whether the test passed or not.
class RealCluster {
 public:
  RealCluster(const Home& home, const std::string& realk8s, const std::string& name)
      : m_home(home), m_realk8s(realk8s), m_dir(home.path / ("realk8s-" + name)) {
    auto up = m_home.run(m_realk8s + " up " + m_dir.string());
    m_started = true;
    REQUIRE_MESSAGE(up.code == 0, up.err);
    m_kubeconfig = (m_dir / "kubeconfig").string();
  }
  ~RealCluster() {
    if (m_started) m_home.run(m_realk8s + " down " + m_dir.string());
  }
  RealCluster(const RealCluster&) = delete;
  RealCluster& operator=(const RealCluster&) = delete;

  const std::string& kubeconfig() const { return m_kubeconfig; }
  Output kubectl(const std::string& args) const { return m_home.kubectl_with(m_kubeconfig, args); }
  Value json(const std::string& args) const {
    auto r = kubectl(args + " -o json");
    REQUIRE_MESSAGE(r.code == 0, r.err);
    auto v = formats::parse_json(r.out);
    REQUIRE(v);
    return *v;
  }

 private:
  const Home& m_home;
  std::string m_realk8s;
  fs::path m_dir;
  std::string m_kubeconfig;
  bool m_started = false;
};

// The items of a kubectl list.
const std::vector<Value>& items(const Value& list) { return list.at({"items"})->as_array(); }

}  // namespace

TEST_CASE(
    "real control plane: a Job exported and replayed with --snapshot gets a selector from its new UID") {
  std::string realk8s = realk8s_path();
  if (!fs::exists(realk8s)) {
    MESSAGE("SKIPPED: no real control plane at " << realk8s << " (set KTAPE_SHARED)");
    return;
  }
  Home home;
  RealCluster source(home, realk8s, "source");
  REQUIRE(source.kubectl("create namespace demo").code == 0);
  REQUIRE(source.kubectl("-n demo create job once --image=busybox").code == 0);
  REQUIRE(source.kubectl("-n demo create deployment web --image=nginx").code == 0);
  // The controllers' work: the Job's Pod, the Deployment's ReplicaSet and Pod.
  REQUIRE(eventually([&] { return items(source.json("-n demo get pods")).size() == 2; },
                     std::chrono::seconds(60)));
  REQUIRE(eventually([&] { return items(source.json("-n demo get replicasets")).size() == 1; }));
  Value source_job = source.json("-n demo get job once");
  std::string old_uid(source_job.string_at({"metadata", "uid"}));
  REQUIRE_FALSE(old_uid.empty());

  std::string path = (home.path / "demo.yaml").string();
  auto exported = home.ktape("export --kubeconfig " + source.kubeconfig() + " -n demo --path " + path);
  REQUIRE_MESSAGE(exported.code == 0, exported.err);

  RealCluster target(home, realk8s, "target");
  auto replay =
      home.ktape("replay --snapshot --kubeconfig " + target.kubeconfig() + " --output json --path " + path);
  INFO(replay.err);
  INFO(replay.out);
  auto summary = formats::parse_json(replay.out);
  REQUIRE(summary);
  CHECK(*summary->at({"totals", "failed"})->as_int64() == 0);
  // The target's own ReplicaSet and Job controllers may remove a replayed Pod before its status is
  // written (a 404 in the errors, the exit code 1): that class is the controllers' (issue 12,
  // point 5), not this test's. No error may concern the Job.
  for (const Value& error : summary->at({"errors"})->as_array())
    CHECK(error.as_string().find("Job") == std::string::npos);

  Value job = target.json("-n demo get job once");
  std::string new_uid(job.string_at({"metadata", "uid"}));
  CHECK(new_uid != old_uid);
  CHECK(job.string_at({"spec", "selector", "matchLabels", "batch.kubernetes.io/controller-uid"}) == new_uid);
  CHECK(job.string_at({"spec", "template", "metadata", "labels", "batch.kubernetes.io/controller-uid"}) ==
        new_uid);
  // The Job's Pods (the one re-created from the recording, and any the target's Job controller made
  // before it came) name the new Job in their labels and owner.
  bool found = false;
  Value pods = target.json("-n demo get pods -l job-name=once");
  for (const Value& pod : items(pods)) {
    const Value* owners = pod.at({"metadata", "ownerReferences"});
    REQUIRE(owners != nullptr);
    CHECK(owners->as_array()[0].string_at({"uid"}) == new_uid);
    CHECK(pod.string_at({"metadata", "labels", "batch.kubernetes.io/controller-uid"}) == new_uid);
    found = true;
  }
  CHECK(found);
  // The Deployment came back with its ReplicaSet.
  CHECK(items(target.json("-n demo get deployments")).size() == 1);
  CHECK(items(target.json("-n demo get replicasets")).size() >= 1);
}
