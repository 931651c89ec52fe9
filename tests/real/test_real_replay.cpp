// Replay into a real control plane (issue 12): a workload made with kubectl and run by the real
// controllers is recorded (`ktape record`) and exported (`ktape export`) from a realk8s cluster,
// then replayed into a fresh one, at --speed 10 and with --snapshot, replaying everything and with
// --owned skip. Skipped with a message when ../shared/realk8s is absent.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "replayer/policy.hpp"
#include "store/state.hpp"
#include "tests/e2e/harness.hpp"
#include "tests/real/real_cluster.hpp"

using namespace ktape;
using formats::Value;
namespace fs = std::filesystem;
using ktape::e2e::Home;

namespace {

// Everything the checks look at, in namespace `shop` and the CRD: the resources the workload makes.
const std::string k_listed =
    "namespaces,deployments.apps,replicasets.apps,statefulsets.apps,controllerrevisions.apps,jobs.batch,"
    "cronjobs.batch,pods,services,endpoints,endpointslices.discovery.k8s.io,configmaps,secrets,"
    "serviceaccounts,customresourcedefinitions.apiextensions.k8s.io";

constexpr const char* k_widget_crd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
)";

constexpr const char* k_statefulset = R"(apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: headless
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:16}]}
)";

// "Kind|namespace|name".
std::string key_of(const Value& o) {
  std::string key(o.string_at({"kind"}));
  key.append("|")
      .append(o.string_at({"metadata", "namespace"}))
      .append("|")
      .append(o.string_at({"metadata", "name"}));
  return key;
}

bool ours(const Value& o) {
  std::string_view kind = o.string_at({"kind"});
  if (kind == "Namespace") return o.string_at({"metadata", "name"}) == "shop";
  if (kind == "CustomResourceDefinition") return o.string_at({"metadata", "name"}) == "widgets.example.com";
  return o.string_at({"metadata", "namespace"}) == "shop";
}

bool control_plane(const Value& o) {
  std::string api_version(o.string_at({"apiVersion"}));
  auto slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  return replayer::control_plane_owns(group, o.string_at({"kind"}), o.string_at({"metadata", "namespace"}),
                                      o.string_at({"metadata", "name"}));
}

// "Kind/name" of the controller owner, "" for none.
std::string controller_of(const Value& o) {
  const Value* refs = o.at({"metadata", "ownerReferences"});
  if (refs == nullptr || !refs->is_array()) return "";
  for (const auto& ref : refs->as_array())
    if (const Value* c = ref.find("controller"); c != nullptr && c->is_bool() && c->as_bool())
      return std::string(ref.string_at({"kind"})) + "/" + std::string(ref.string_at({"name"}));
  return "";
}

// Objects by key_of: the recording's state at its end, or the target's.
using Objects = std::map<std::string, Value>;

Objects recorded_state(const std::string& path) {
  auto reader = formats::RecordingReader::open(path);
  REQUIRE_MESSAGE(reader, reader.error().message);
  store::RecordedState state;
  while (true) {
    auto entry = reader->next();
    REQUIRE_MESSAGE(entry, entry.error().message);
    if (!*entry) break;
    auto applied = state.apply(**entry);
    REQUIRE_MESSAGE(applied, applied.error().message);
  }
  Objects out;
  for (const auto& [k, o] : state.objects())
    if (ours(o)) out.emplace(key_of(o), o);
  return out;
}

Objects live_state(const Home& home, const std::string& kubeconfig) {
  auto got = home.kubectl_with(kubeconfig, "get " + k_listed + " -A -o json");
  REQUIRE_MESSAGE(got.code == 0, got.err);
  auto list = formats::parse_json(got.out);
  REQUIRE(list);
  Objects out;
  for (const auto& o : list->at({"items"})->as_array())
    if (ours(o)) out.emplace(key_of(o), o);
  if (!out.count("CustomResourceDefinition||widgets.example.com")) return out;
  auto widgets = home.kubectl_with(kubeconfig, "get widgets.example.com -A -o json");
  REQUIRE_MESSAGE(widgets.code == 0, widgets.err);
  auto widget_list = formats::parse_json(widgets.out);
  REQUIRE(widget_list);
  for (const auto& o : widget_list->at({"items"})->as_array()) out.emplace(key_of(o), o);
  return out;
}

// An object a controller names at random (metadata.generateName): a ReplicaSet's or Job's Pod,
// a Service's EndpointSlice. Replaying everything, the target's controller replaces it by one of
// its own with another name, so these are counted per controller, not looked up by name.
bool generated(const Value& o) {
  return !o.string_at({"metadata", "generateName"}).empty() && !controller_of(o).empty();
}

// How many generated objects of each kind each controller has ("Pod of ReplicaSet/web-1" -> 1).
std::map<std::string, int> generated_per_controller(const Objects& objects) {
  std::map<std::string, int> out;
  for (const auto& [k, o] : objects)
    if (generated(o)) ++out[std::string(o.string_at({"kind"})) + " of " + controller_of(o)];
  return out;
}

// The ReplicaSets of Deployment `name`.
std::set<std::string> replicasets_of(const Objects& objects, const std::string& name) {
  std::set<std::string> out;
  for (const auto& [k, o] : objects)
    if (o.string_at({"kind"}) == "ReplicaSet" && controller_of(o) == "Deployment/" + name)
      out.insert(std::string(o.string_at({"metadata", "name"})));
  return out;
}

struct Scenario {
  std::string name;
  std::string file;  // the recording or the export
  std::string flags;
  bool owned_skip = false;
};

// Replays `s` into the freshly emptied `target`; returns the target's state once its controllers
// had time to act (and its garbage collector to delete what dangles).
Objects replay(const Home& home, real::RealCluster& target, const Scenario& s) {
  target.fresh();
  auto r = home.ktape("replay --path " + s.file + " --kubeconfig " + target.kubeconfig() + " " + s.flags +
                      " -o json");
  INFO(s.name << ": ktape replay said\n" << r.err);
  auto summary = formats::parse_json(r.out);
  REQUIRE_MESSAGE(summary, r.out);
  for (const auto& e : summary->at({"errors"})->as_array()) CHECK_MESSAGE(false, "error: " << e.as_string());
  CHECK(summary->at({"errorsNotListed"})->as_int64() == 0);
  CHECK(summary->at({"totals", "failed"})->as_int64() == 0);
  CHECK(summary->at({"skippedBecause", std::string(replayer::k_kept_control_plane)}) != nullptr);
  std::this_thread::sleep_for(std::chrono::seconds(5));  // the controllers and the collector act
  return live_state(home, target.kubeconfig());
}

// The checks every scenario passes. `expected`: the recording's state at its end.
void check_replayed(const Scenario& s, const Objects& expected, const Objects& live) {
  INFO(s.name);
  for (const auto& [k, o] : expected) {
    if (control_plane(o)) continue;  // the target's own (kube-root-ca.crt, default ServiceAccount)
    std::string controller = controller_of(o);
    // --owned skip leaves these to the target's controllers; replaying everything, the generated
    // ones are counted per controller below.
    if (!controller.empty() && (s.owned_skip || generated(o))) continue;
    CHECK_MESSAGE(live.count(k), k << " of the recording is missing in the target");
  }
  std::set<std::string> uids;
  std::map<std::string, std::string> by_uid;
  for (const auto& [k, o] : live) by_uid[std::string(o.string_at({"metadata", "uid"}))] = k;
  for (const auto& [k, o] : live) {
    const Value* refs = o.at({"metadata", "ownerReferences"});
    if (refs == nullptr) continue;
    for (const auto& ref : refs->as_array()) {
      auto it = by_uid.find(std::string(ref.string_at({"uid"})));
      std::string owner = std::string(ref.string_at({"kind"})) + "|" +
                          std::string(o.string_at({"metadata", "namespace"})) + "|" +
                          std::string(ref.string_at({"name"}));
      if (ref.string_at({"kind"}) == "CustomResourceDefinition" || ref.string_at({"kind"}) == "Namespace")
        continue;
      CHECK_MESSAGE((it != by_uid.end() && it->second == owner),
                    k << ": ownerReference " << owner << " resolves nowhere");
    }
  }
  if (s.owned_skip) return;
  CHECK(replicasets_of(live, "web") == replicasets_of(expected, "web"));
  auto want = generated_per_controller(expected);
  auto got = generated_per_controller(live);
  for (const auto& [what, count] : want) {
    CHECK_MESSAGE(got[what] == count, what << ": " << got[what] << " in the target, recorded " << count);
  }
}

// What must come out the same through `export` + `replay --snapshot` as through the recording:
// the objects no controller owns, and replaying everything, those a controller owns by name (its
// ReplicaSets, a StatefulSet's Pods) and by count per controller (generated).
std::set<std::string> signature(const Objects& live, bool owned_skip) {
  std::set<std::string> out;
  for (const auto& [k, o] : live) {
    if (control_plane(o)) continue;
    std::string kind(o.string_at({"kind"}));
    if (kind == "Endpoints" || kind == "EndpointSlice" || kind == "ControllerRevision") continue;
    if (controller_of(o).empty() || (!owned_skip && !generated(o))) out.insert(k);
  }
  if (!owned_skip)
    for (const auto& [what, count] : generated_per_controller(live))
      out.insert(what + ": " + std::to_string(count));
  return out;
}

void make_workload(const Home& home, const std::string& kc) {
  auto k = [&](const std::string& args) {
    auto r = home.kubectl_with(kc, args);
    REQUIRE_MESSAGE(r.code == 0, "kubectl " << args << ": " << r.err);
  };
  auto apply = [&](const std::string& yaml) {
    fs::path file = home.path / "apply.yaml";
    std::ofstream(file) << yaml;
    k("apply -f " + file.string());
  };
  k("create namespace shop");
  k("-n shop create deployment web --image=nginx:1.25 --replicas=2");
  k("-n shop create service clusterip web --tcp=80:80");
  k("-n shop create service nodeport np --tcp=81:81 --node-port=30081");
  k("-n shop create service clusterip headless --clusterip=None --tcp=82:82");
  k("-n shop create configmap cfg --from-literal=a=1");
  k("-n shop create secret generic sec --from-literal=p=1");
  k("-n shop create job once --image=busybox -- true");
  k("-n shop create cronjob tick --image=busybox --schedule='0 0 1 1 *' -- true");
  apply(k_statefulset);
  apply(k_widget_crd);
  k("wait --for=condition=Established crd/widgets.example.com");
  apply("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: shop}\nspec: {size: 1}\n");
  k("-n shop create job manual --from=cronjob/tick");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  k("-n shop scale deployment web --replicas=3");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  k("-n shop set image deployment/web nginx=nginx:1.26");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  k("-n shop patch configmap cfg --type=merge -p '{\"data\":{\"a\":\"2\"}}'");
  k("-n shop patch secret sec --type=merge -p '{\"stringData\":{\"p\":\"2\"}}'");
  k("-n shop delete pod -l app=web --wait=false");
  k("-n shop scale deployment web --replicas=1");
  k("-n shop patch widget w1 --type=merge -p '{\"spec\":{\"size\":2}}'");
  k("-n shop create configmap late --from-literal=b=1");
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the controllers settle
}

}  // namespace

TEST_CASE("real: a workload recorded from a real control plane replays into a fresh one, in both modes") {
  auto realk8s = real::find_realk8s();
  if (!realk8s) {
    if (real::realk8s_required()) FAIL("KTAPE_REQUIRE_REALK8S=1 but ../shared/realk8s/realk8s is absent");
    MESSAGE("skipped: no real control plane (../shared/realk8s/realk8s; set KTAPE_SHARED)");
    return;
  }
  Home home;
  real::RealCluster cluster(*realk8s);
  std::string rec = (home.path / "rec.yaml").string(), exp = (home.path / "exp.yaml").string();
  auto recorder = home.start({"record", "--path", rec, "--kubeconfig", cluster.kubeconfig()});
  REQUIRE(e2e::eventually([&] { return e2e::slurp(recorder.err).find("Ctrl+C") != std::string::npos; }));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the watches are up
  make_workload(home, cluster.kubeconfig());
  recorder.signal(SIGINT);
  REQUIRE_MESSAGE(recorder.wait() == 0, e2e::slurp(recorder.err));
  auto exported = home.ktape("export --path " + exp + " --kubeconfig " + cluster.kubeconfig());
  REQUIRE_MESSAGE(exported.code == 0, exported.err);
  Objects from_recording = recorded_state(rec), from_export = recorded_state(exp);
  REQUIRE(from_recording.count("Deployment|shop|web"));
  REQUIRE(replicasets_of(from_recording, "web").size() == 2);  // the rollout is in the recording
  REQUIRE(from_recording.count("Widget|shop|w1"));

  const std::vector<Scenario> scenarios = {
      {"the recording's snapshot (the whole cluster's control plane)", rec, "--snapshot", false},
      {"the recording at --speed 10, everything", rec, "--speed 10", false},
      {"the export with --snapshot, everything", exp, "--snapshot", false},
      {"the recording at --speed 10, --owned skip", rec, "--speed 10 --owned skip", true},
      {"the export with --snapshot, --owned skip", exp, "--snapshot --owned skip", true},
  };
  std::map<std::string, std::set<std::string>> signatures;
  for (const auto& s : scenarios) {
    Objects live = replay(home, cluster, s);
    if (s.flags == "--snapshot" && s.file == rec) {
      CHECK(live.count("Namespace||shop") == 0);  // recorded before the workload: nothing of it
      continue;
    }
    check_replayed(s, s.file == rec ? from_recording : from_export, live);
    signatures[s.name] = signature(live, s.owned_skip);
  }
  CHECK(signatures[scenarios[1].name] == signatures[scenarios[2].name]);
  CHECK(signatures[scenarios[3].name] == signatures[scenarios[4].name]);
}
