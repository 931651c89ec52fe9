// kubectl's typed generators (`kubectl create namespace|configmap|secret|deployment|...`, `kubectl
// run`, `expose`, `autoscale`) send protobuf bodies. Against a simulated cluster, each one succeeds, and the
// object the server keeps holds every field kubectl sent, with the value it sent: what `kubectl create ...
// --dry-run=client -o json` prints is the expected object.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "formats/json.hpp"
#include "tests/e2e/harness.hpp"

namespace {

namespace fs = std::filesystem;
using ktape::e2e::Home;
using ktape::e2e::Output;
using ktape::formats::Value;

Value parse(const std::string& text) {
  auto v = ktape::formats::parse_json(text);
  REQUIRE_MESSAGE(v.has_value(), text);
  return *v;
}

// Null, {}, or an object of such: what Go's JSON writes for an unset struct ("status": {},
// "metadata": {"creationTimestamp": null}), which the server may leave out or fill in.
bool vacuous(const Value& v) {
  if (v.is_null()) return true;
  if (!v.is_object()) return false;
  for (const auto& member : v.as_object())
    if (!vacuous(member.value)) return false;
  return true;
}

// Every field of `want` is in `got` with the same value (lists element by element, same length);
// fields the server added are ignored. Each difference is appended to `diffs` with its path.
void contains(const Value& want, const Value& got, const std::string& path, std::vector<std::string>& diffs) {
  if (want.is_object()) {
    if (!got.is_object()) {
      diffs.push_back(path + ": not an object in " + ktape::formats::to_json(got));
      return;
    }
    for (const auto& member : want.as_object()) {
      if (vacuous(member.value)) continue;
      const Value* other = got.find(member.key);
      if (!other)
        diffs.push_back(path + "." + member.key + ": missing, kubectl sent " +
                        ktape::formats::to_json(member.value));
      else
        contains(member.value, *other, path + "." + member.key, diffs);
    }
    return;
  }
  if (want.is_array() && got.is_array() && want.size() == got.size()) {
    for (std::size_t i = 0; i < want.size(); ++i)
      contains(want.as_array()[i], got.as_array()[i], path + "[" + std::to_string(i) + "]", diffs);
    return;
  }
  if (want != got)
    diffs.push_back(path + ": kubectl sent " + ktape::formats::to_json(want) + ", the server has " +
                    ktape::formats::to_json(got));
}

struct Generator {
  std::string verb;      // "create", "run", "expose", "autoscale"
  std::string args;      // everything after the verb, shell-quoted
  std::string resource;  // for `kubectl get`: "deployments.apps"
  std::string name;
  std::string fragment;  // JSON that the expected object must contain: the flags took effect
};

std::vector<Generator> generators(const fs::path& dir) {
  return {
      {"create", "namespace gen-ns", "namespaces", "gen-ns", R"({"metadata":{"name":"gen-ns"}})"},
      {"create",
       "configmap cm --from-literal=a=b --from-literal=empty= --from-file=bin=" + (dir / "bin").string(),
       "configmaps", "cm", R"({"data":{"a":"b","empty":""},"binaryData":{"bin":"//4A"}})"},
      {"create", "secret generic sg --from-literal=x=y --type=Opaque", "secrets", "sg",
       R"({"data":{"x":"eQ=="},"type":"Opaque"})"},
      {"create",
       "secret tls st --cert=" + (dir / "cert.pem").string() + " --key=" + (dir / "key.pem").string(),
       "secrets", "st", R"({"type":"kubernetes.io/tls"})"},
      {"create",
       "secret docker-registry sd --docker-server=srv --docker-username=u --docker-password=p "
       "--docker-email=e@x",
       "secrets", "sd", R"({"type":"kubernetes.io/dockerconfigjson"})"},
      {"create", "deployment web --image=nginx --image=busybox --port=80 --replicas=3", "deployments.apps",
       "web",
       R"({"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"nginx","image":"nginx",
           "ports":[{"containerPort":80}]},{"name":"busybox","image":"busybox"}]}}}})"},
      {"expose", "deployment web --port=8080 --target-port=80 --name=web-svc", "services", "web-svc",
       R"({"spec":{"selector":{"app":"web"},"ports":[{"port":8080,"targetPort":80}]}})"},
      {"autoscale", "deployment web --min=2 --max=5 --cpu-percent=80", "horizontalpodautoscalers.autoscaling",
       "web",
       R"({"spec":{"minReplicas":2,"maxReplicas":5,"targetCPUUtilizationPercentage":80,
           "scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"}}})"},
      {"create", "deployment sleeper --image=busybox --replicas=0 -- sleep 1", "deployments.apps", "sleeper",
       R"({"spec":{"replicas":0,"template":{"spec":{"containers":[{"command":["sleep","1"]}]}}}})"},
      {"create", "job j --image=busybox -- date", "jobs.batch", "j",
       R"({"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"command":["date"]}]}}}})"},
      {"create", "cronjob c --image=busybox --schedule='*/1 * * * *' --restart=OnFailure -- date",
       "cronjobs.batch", "c",
       R"({"spec":{"schedule":"*/1 * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure"}}}}}})"},
      {"create", "job from-cron --from=cronjob/c", "jobs.batch", "from-cron",
       R"({"metadata":{"annotations":{"cronjob.kubernetes.io/instantiate":"manual"},
           "ownerReferences":[{"kind":"CronJob","name":"c","controller":true}]}})"},
      {"create", "service clusterip sc --tcp=5678:8080 --tcp=53:dns", "services", "sc",
       R"({"spec":{"type":"ClusterIP","ports":[{"port":5678,"targetPort":8080},{"port":53,"targetPort":"dns"}]}})"},
      {"create", "service clusterip headless --clusterip=None", "services", "headless",
       R"({"spec":{"clusterIP":"None"}})"},
      {"create", "service nodeport n --tcp=5678:8080 --node-port=31000", "services", "n",
       R"({"spec":{"type":"NodePort","ports":[{"port":5678,"nodePort":31000}]}})"},
      {"create", "service loadbalancer lb --tcp=80:8080", "services", "lb",
       R"({"spec":{"type":"LoadBalancer"}})"},
      {"create", "service externalname en --external-name=foo.com", "services", "en",
       R"({"spec":{"type":"ExternalName","externalName":"foo.com"}})"},
      {"create", "serviceaccount sa", "serviceaccounts", "sa", R"({"metadata":{"name":"sa"}})"},
      {"create", "role r --verb=get,list --resource=pods,deployments.apps --resource-name=x",
       "roles.rbac.authorization.k8s.io", "r",
       R"({"rules":[{"apiGroups":[""],"resources":["pods"],"resourceNames":["x"]},{"apiGroups":["apps"]}]})"},
      {"create", "clusterrole logs --verb=get --non-resource-url=/logs",
       "clusterroles.rbac.authorization.k8s.io", "logs",
       R"({"rules":[{"verbs":["get"],"nonResourceURLs":["/logs"]}]})"},
      {"create", "clusterrole agg --aggregation-rule=a=b", "clusterroles.rbac.authorization.k8s.io", "agg",
       R"({"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]}})"},
      {"create", "rolebinding rb --role=r --user=u --group=g --serviceaccount=default:sa",
       "rolebindings.rbac.authorization.k8s.io", "rb",
       R"({"roleRef":{"kind":"Role","name":"r"},"subjects":[{"kind":"User","name":"u"},{"kind":"Group","name":"g"},
           {"kind":"ServiceAccount","name":"sa","namespace":"default"}]})"},
      {"create", "clusterrolebinding crb --clusterrole=logs --user=u",
       "clusterrolebindings.rbac.authorization.k8s.io", "crb",
       R"({"roleRef":{"kind":"ClusterRole","name":"logs"}})"},
      {"create", "quota q --hard=cpu=1,memory=1G,pods=2,services=3 --scopes=BestEffort", "resourcequotas",
       "q",
       R"({"spec":{"hard":{"cpu":"1","memory":"1G","pods":"2","services":"3"},"scopes":["BestEffort"]}})"},
      {"create", "priorityclass pc --value=1000 --description=x --preemption-policy=Never",
       "priorityclasses.scheduling.k8s.io", "pc",
       R"({"value":1000,"description":"x","preemptionPolicy":"Never"})"},
      {"create", "priorityclass pc0 --value=0 --global-default", "priorityclasses.scheduling.k8s.io", "pc0",
       R"({"value":0,"globalDefault":true})"},
      {"create", "poddisruptionbudget p --selector=app=x --min-available=50%", "poddisruptionbudgets.policy",
       "p", R"({"spec":{"minAvailable":"50%","selector":{"matchLabels":{"app":"x"}}}})"},
      {"create", "pdb p1 --selector=app=x --max-unavailable=1", "poddisruptionbudgets.policy", "p1",
       R"({"spec":{"maxUnavailable":1}})"},
      {"create",
       "ingress ing --rule='foo.com/bar=svc1:8080,tls=my-cert' --rule='/path*=svc2:http' --class=default "
       "--annotation=a=b --default-backend=svc:80",
       "ingresses.networking.k8s.io", "ing",
       R"({"metadata":{"annotations":{"a":"b"}},"spec":{"ingressClassName":"default",
           "tls":[{"hosts":["foo.com"],"secretName":"my-cert"}],
           "rules":[{"host":"foo.com","http":{"paths":[{"path":"/bar","pathType":"Exact",
               "backend":{"service":{"name":"svc1","port":{"number":8080}}}}]}},
             {"http":{"paths":[{"path":"/path","pathType":"Prefix","backend":{"service":{"name":"svc2","port":{"name":"http"}}}}]}}]}})"},
      {"run", "pod1 --image=nginx --labels=a=b --env=X=1 --port=80 --restart=Never -- sleep 10", "pods",
       "pod1",
       R"({"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Never","containers":[{"env":[{"name":"X","value":"1"}],
           "args":["sleep","10"],"ports":[{"containerPort":80}]}]}})"},
  };
}

// The inputs some generators read: a binary file, and a certificate and key for `secret tls`.
void write_inputs(const Home& home) {
  std::ofstream(home.path / "bin", std::ios::binary) << std::string("\xff\xfe\x00", 3);
  Output cert = home.run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ktape -keyout " +
                         (home.path / "key.pem").string() + " -out " + (home.path / "cert.pem").string());
  REQUIRE_MESSAGE(cert.code == 0, cert.err);
}

}  // namespace

TEST_CASE("kubectl's typed generators send protobuf, and the cluster keeps every field they send") {
  if (!fs::exists("/usr/bin/kubectl") || !fs::exists("/usr/bin/openssl")) {
    MESSAGE("skipped: /usr/bin/kubectl or /usr/bin/openssl is absent");
    return;
  }
  Home home;
  home.create_cluster("gen");
  write_inputs(home);

  SUBCASE("kubectl does send protobuf") {
    Output verbose = home.kubectl("gen", "create namespace proto-check -v=8");
    REQUIRE_MESSAGE(verbose.code == 0, verbose.err);
    CHECK(verbose.err.find("Content-Type: application/vnd.kubernetes.protobuf") != std::string::npos);
  }
  SUBCASE("every generator") {
    for (const Generator& g : generators(home.path)) {
      CAPTURE(g.args);
      Output dry = home.kubectl("gen", g.verb + " --dry-run=client -o json " + g.args);
      REQUIRE_MESSAGE(dry.code == 0, dry.err);
      Value expected = parse(dry.out);
      std::vector<std::string> diffs;
      contains(parse(g.fragment), expected, "", diffs);
      CHECK_MESSAGE(diffs.empty(), "the dry run lacks what the flags ask for: " << diffs.front());

      Output created = home.kubectl("gen", g.verb + " " + g.args);
      REQUIRE_MESSAGE(created.code == 0, created.err);
      Output got = home.kubectl("gen", "get " + g.resource + " " + g.name + " -o json");
      REQUIRE_MESSAGE(got.code == 0, got.err);
      expected.erase("status");  // the server's to write; kubectl sends an empty one
      diffs.clear();
      contains(expected, parse(got.out), "", diffs);
      for (const auto& diff : diffs) FAIL_CHECK(diff);
    }
  }
}
