// Kubernetes protobuf request bodies (what kubectl's typed generators send) decoded into the JSON
// kubectl would have sent: messages are encoded by hand here, field numbers from the published
// generated.proto files.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "formats/json.hpp"
#include "sim/protobuf.hpp"
#include "tests/sim/sim_client.hpp"

using namespace ktape;
using formats::Value;

namespace {

// A tiny protobuf encoder: each call appends one field.
struct Msg {
  std::string bytes;

  void raw_varint(std::uint64_t v) {
    while (v >= 0x80) {
      bytes += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    bytes += static_cast<char>(v);
  }
  Msg& varint(std::uint32_t n, std::uint64_t v) {
    raw_varint(std::uint64_t{n} << 3);
    raw_varint(v);
    return *this;
  }
  Msg& str(std::uint32_t n, std::string_view s) {
    raw_varint(std::uint64_t{n} << 3 | 2);
    raw_varint(s.size());
    bytes += s;
    return *this;
  }
  Msg& msg(std::uint32_t n, const Msg& m) { return str(n, m.bytes); }
  Msg& fixed32(std::uint32_t n, std::uint32_t v) {
    raw_varint(std::uint64_t{n} << 3 | 5);
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  // A map<string, V> entry: key 1, value 2.
  Msg& entry(std::uint32_t n, std::string_view key, std::string_view value) {
    return msg(n, Msg().str(1, key).str(2, value));
  }
};

std::string envelope(std::string_view api_version, std::string_view kind, const Msg& raw,
                     std::string_view encoding = "") {
  Msg unknown;
  unknown.msg(1, Msg().str(1, api_version).str(2, kind)).msg(2, raw).str(3, encoding).str(4, "");
  return std::string("k8s\0", 4) + unknown.bytes;
}

Msg meta(std::string_view name) {
  return Msg().str(1, name).str(2, "").str(3, "").varint(7, 0).msg(8, Msg());
}

Msg quantity(std::string_view text) { return Msg().str(1, text); }

Value decoded(const std::string& body) {
  auto v = sim::decode_protobuf_object(body);
  REQUIRE_MESSAGE(v.has_value(), v.error().message);
  return *v;
}

Value json(std::string_view text) {
  auto v = formats::parse_json(text);
  REQUIRE(v.has_value());
  return *v;
}

}  // namespace

TEST_CASE("decode_protobuf_object: the envelope's typeMeta gives kind and apiVersion") {
  Value ns =
      decoded(envelope("v1", "Namespace", Msg().msg(1, meta("foo")).msg(2, Msg()).msg(3, Msg().str(1, ""))));
  CHECK(ns == json(R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"foo"}})"));
}

TEST_CASE("decode_protobuf_object: every field kind becomes kubectl's JSON") {
  SUBCASE("maps of strings and bytes, booleans") {
    Msg cm;
    cm.msg(1, meta("cm"))
        .entry(2, "a", "b")
        .entry(2, "empty", "")
        .entry(3, "bin", std::string("\x00\xff\x10", 3))
        .entry(3, "one", "x")
        .entry(3, "two", "xy")
        .varint(4, 1);
    CHECK(decoded(envelope("v1", "ConfigMap", cm)) ==
          json(R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm"},
                   "data":{"a":"b","empty":""},"binaryData":{"bin":"AP8Q","one":"eA==","two":"eHk="},
                   "immutable":true})"));
  }
  SUBCASE("labels, annotations, finalizers, ownerReferences and a creationTimestamp") {
    Msg m = Msg().str(1, "x").entry(11, "app", "web").entry(12, "note", "a b").str(14, "f1").str(14, "f2");
    m.msg(13,
          Msg().str(1, "Deployment").str(3, "d").str(4, "u-1").str(5, "apps/v1").varint(6, 1).varint(7, 0));
    m.msg(8, Msg().varint(1, 1714564800).varint(2, 5));  // 2024-05-01T12:00:00Z
    m.varint(10, 30);
    Value v = decoded(envelope("v1", "ConfigMap", Msg().msg(1, m)));
    CHECK(*v.find("metadata") == json(R"({"name":"x","labels":{"app":"web"},"annotations":{"note":"a b"},
        "finalizers":["f1","f2"],"creationTimestamp":"2024-05-01T12:00:00Z","deletionGracePeriodSeconds":30,
        "ownerReferences":[{"kind":"Deployment","name":"d","uid":"u-1","apiVersion":"apps/v1",
                            "controller":true,"blockOwnerDeletion":false}]})"));
  }
  SUBCASE("Secret data is base64, stringData and type plain strings") {
    Msg s = Msg().msg(1, meta("s")).entry(2, "k", "value").entry(4, "p", "plain").str(3, "Opaque");
    CHECK(decoded(envelope("v1", "Secret", s)) ==
          json(R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"k":"dmFsdWU="},
                   "stringData":{"p":"plain"},"type":"Opaque"})"));
  }
  SUBCASE(
      "a Deployment: int32 pointers keep zero, repeated strings keep empty elements, int64, packed lists") {
    Msg container = Msg().str(1, "c").str(2, "busybox").str(3, "sleep").str(3, "").str(4, "1");
    container.msg(6, Msg().str(1, "").varint(2, 0).varint(3, 80).str(4, "TCP").str(5, ""));
    container.msg(8, Msg().msg(1, Msg().str(1, "cpu").msg(2, quantity("500m"))));
    container.msg(7,
                  Msg().str(1, "FROM").msg(3, Msg().msg(3, Msg().msg(1, Msg().str(1, "cm")).str(2, "key"))));
    Msg security = Msg().str(4, std::string("\x01\x02\xac\x02", 4));  // supplementalGroups 1, 2, 300, packed
    Msg pod = Msg().msg(2, container).str(3, "Always").varint(4, 9000000000).str(6, "").msg(14, security);
    Msg spec = Msg().varint(1, 0).msg(2, Msg().entry(1, "app", "d")).msg(3, Msg().msg(1, Msg()).msg(2, pod));
    spec.msg(4, Msg().str(1, "")).varint(5, 0);
    Value v = decoded(envelope("apps/v1", "Deployment", Msg().msg(1, meta("d")).msg(2, spec).msg(3, Msg())));
    CHECK(*v.find("spec") == json(R"({"replicas":0,"selector":{"matchLabels":{"app":"d"}},
        "template":{"spec":{"containers":[{"name":"c","image":"busybox","command":["sleep",""],"args":["1"],
            "ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"500m"}},
            "env":[{"name":"FROM","valueFrom":{"configMapKeyRef":{"name":"cm","key":"key"}}}]}],
          "restartPolicy":"Always","terminationGracePeriodSeconds":9000000000,
          "securityContext":{"supplementalGroups":[1,2,300]}}}})"));
    CHECK(v.find("status") == nullptr);
  }
  SUBCASE("IntOrString both ways, Quantity maps") {
    Msg port_int = Msg().str(1, "a").varint(3, 80).msg(4, Msg().varint(1, 0).varint(2, 8080).str(3, ""));
    Msg port_str = Msg().str(1, "b").varint(3, 443).msg(4, Msg().varint(1, 1).varint(2, 0).str(3, "https"));
    Msg svc = Msg().msg(1, meta("s")).msg(2, Msg().msg(1, port_int).msg(1, port_str).str(4, "NodePort"));
    CHECK(
        *decoded(envelope("v1", "Service", svc)).find("spec") ==
        json(
            R"({"ports":[{"name":"a","port":80,"targetPort":8080},{"name":"b","port":443,"targetPort":"https"}],
                   "type":"NodePort"})"));
    Msg pdb = Msg().msg(1, meta("p")).msg(2, Msg().msg(1, Msg().varint(1, 1).str(3, "50%")));
    CHECK(*decoded(envelope("policy/v1", "PodDisruptionBudget", pdb)).find("spec") ==
          json(R"({"minAvailable":"50%"})"));
    Msg quota = Msg().msg(1, meta("q")).msg(2, Msg().msg(1, Msg().str(1, "memory").msg(2, quantity("1G"))));
    CHECK(*decoded(envelope("v1", "ResourceQuota", quota)).find("spec") ==
          json(R"({"hard":{"memory":"1G"}})"));
  }
  SUBCASE("embedded structs write their fields into the enclosing object") {
    Msg path = Msg().str(1, "/bar").str(3, "Exact");
    path.msg(2, Msg().msg(4, Msg().str(1, "svc").msg(2, Msg().str(1, "").varint(2, 8080))));
    Msg rule = Msg().str(1, "foo.com").msg(2, Msg().msg(1, Msg().msg(1, path)));
    Msg ing = Msg().msg(1, meta("i")).msg(2, Msg().str(4, "nginx").msg(3, rule));
    CHECK(*decoded(envelope("networking.k8s.io/v1", "Ingress", ing)).find("spec") ==
          json(R"({"ingressClassName":"nginx","rules":[{"host":"foo.com","http":{"paths":[
                   {"path":"/bar","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":8080}}}}]}}]})"));
  }
  SUBCASE("RBAC: an empty apiGroup stays in its list and a RoleRef keeps its empty fields") {
    Msg role = Msg().msg(1, meta("r")).msg(2, Msg().str(1, "get").str(2, "").str(3, "pods"));
    CHECK(*decoded(envelope("rbac.authorization.k8s.io/v1", "Role", role)).find("rules") ==
          json(R"([{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}])"));
    Msg rb = Msg().msg(1, meta("rb")).msg(3, Msg().str(1, "").str(2, "Role").str(3, "r"));
    CHECK(*decoded(envelope("rbac.authorization.k8s.io/v1", "RoleBinding", rb)).find("roleRef") ==
          json(R"({"apiGroup":"","kind":"Role","name":"r"})"));
  }
  SUBCASE("an explicit zero where the Go field is a plain int without omitempty") {
    Msg pc = Msg().msg(1, meta("pc")).varint(2, 0).varint(3, 0).str(4, "");
    CHECK(
        decoded(envelope("scheduling.k8s.io/v1", "PriorityClass", pc)) ==
        json(
            R"({"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc"},"value":0})"));
  }
}

TEST_CASE("decode_protobuf_object: fields that carry nothing are left out, known or not") {
  // Field 99 is no NamespaceSpec field; empty, or a struct of zero values, it says nothing.
  Msg spec = Msg().msg(99, Msg().str(1, "").varint(2, 0)).varint(98, 0).fixed32(97, 0);
  Value ns = decoded(envelope("v1", "Namespace", Msg().msg(1, meta("n")).msg(2, spec)));
  CHECK(ns == json(R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"n"}})"));
}

TEST_CASE(
    "decode_protobuf_object: an unknown field with a value is a 415 naming it, never a partial object") {
  Msg pod = Msg().msg(2, Msg().str(1, "c")).varint(37, 1);
  auto v = sim::decode_protobuf_object(envelope("v1", "Pod", Msg().msg(1, meta("p")).msg(2, pod)));
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().code == 415);
  CHECK(v.error().reason == "UnsupportedMediaType");
  CHECK(v.error().message ==
        "ktape's simulated cluster cannot decode field 37 of v1 PodSpec from protobuf; send JSON (kubectl "
        "create -f)");

  SUBCASE("managedFields (ObjectMeta 17), which kubectl never sends") {
    auto mf = sim::decode_protobuf_object(
        envelope("v1", "ConfigMap", Msg().msg(1, Msg().str(1, "x").msg(17, Msg().str(1, "kubectl")))));
    REQUIRE_FALSE(mf.has_value());
    CHECK(mf.error().message.find("field 17 of meta/v1 ObjectMeta") != std::string::npos);
  }
  SUBCASE("a kind the table does not have") {
    auto sts = sim::decode_protobuf_object(envelope("apps/v1", "StatefulSet", Msg().msg(1, meta("s"))));
    REQUIRE_FALSE(sts.has_value());
    CHECK(sts.error().code == 415);
    CHECK(sts.error().message ==
          "ktape's simulated cluster cannot decode apps/v1 StatefulSet from protobuf; send JSON (kubectl "
          "create -f)");
  }
  SUBCASE("a compressed envelope") {
    auto gz = sim::decode_protobuf_object(envelope("v1", "ConfigMap", Msg().msg(1, meta("x")), "gzip"));
    REQUIRE_FALSE(gz.has_value());
    CHECK(gz.error().code == 415);
  }
}

TEST_CASE("decode_protobuf_object: truncated or garbage bodies are 400 BadRequest") {
  std::string good = envelope("v1", "ConfigMap", Msg().msg(1, meta("x")).entry(2, "a", "b"));
  std::string no_kind = std::string("k8s\0", 4) + Msg().msg(2, Msg().msg(1, meta("x"))).bytes;
  // A length that runs past the end, inside the object.
  std::string inner_overrun = envelope("v1", "ConfigMap", Msg{std::string("\x0a\x05\x0a\x09x", 5)});
  for (const std::string& body :
       {std::string("{\"kind\":\"ConfigMap\"}"), std::string("k8s\0", 4) + "\xff\xff\xff",
        good.substr(0, good.size() / 2), std::string("k8s\0\x0b", 5), inner_overrun, no_kind}) {
    CAPTURE(body);
    auto v = sim::decode_protobuf_object(body);
    REQUIRE_FALSE(v.has_value());
    CHECK(v.error().code == 400);
    CHECK(v.error().reason == "BadRequest");
  }
}

TEST_CASE("metav1 Time, MicroTime and Duration as JSON writes them") {
  using sim::protobuf::format_duration;
  using sim::protobuf::format_time;
  CHECK(format_time(0, 0, false) == "1970-01-01T00:00:00Z");
  CHECK(format_time(951782400, 0, false) == "2000-02-29T00:00:00Z");
  CHECK(format_time(1714564800, 123456789, false) == "2024-05-01T12:00:00Z");
  CHECK(format_time(1714564800, 123456789, true) == "2024-05-01T12:00:00.123456Z");
  CHECK(format_time(-1, 0, false) == "1969-12-31T23:59:59Z");
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(5) == "5ns");
  CHECK(format_duration(1500) == "1.5µs");
  CHECK(format_duration(300000000) == "300ms");
  CHECK(format_duration(1500000000) == "1.5s");
  CHECK(format_duration(120000000000) == "2m0s");
  CHECK(format_duration(3723000000000) == "1h2m3s");
  CHECK(format_duration(-1000000000) == "-1s");
}

TEST_CASE("the server takes protobuf bodies on create and update, and answers in JSON") {
  sim::test::Cluster cluster;
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  const std::string type(sim::k_protobuf_media_type);
  Msg cm = Msg().msg(1, meta("pb")).entry(2, "a", "b");
  auto created = cluster.post(cms, envelope("v1", "ConfigMap", cm), type);
  REQUIRE_MESSAGE(created.status == 201, created.body);
  CHECK(created.json().string_at({"data", "a"}) == "b");
  CHECK(created.json().string_at({"metadata", "namespace"}) == "default");

  Msg update = Msg()
                   .msg(1, Msg().str(1, "pb").str(
                               6, std::string(created.json().string_at({"metadata", "resourceVersion"}))))
                   .entry(2, "a", "c");
  auto updated = cluster.put(cms + "/pb", envelope("v1", "ConfigMap", update), type);
  REQUIRE_MESSAGE(updated.status == 200, updated.body);
  CHECK(updated.json().string_at({"data", "a"}) == "c");

  auto garbage = cluster.post(cms, std::string("k8s\0\xff", 5), type);
  CHECK(garbage.status == 400);
  CHECK(garbage.json().string_at({"reason"}) == "BadRequest");
  auto unknown = cluster.post(cms, envelope("v1", "ConfigMap", Msg().msg(1, meta("u")).str(42, "x")), type);
  CHECK(unknown.status == 415);
  CHECK(unknown.json().string_at({"reason"}) == "UnsupportedMediaType");
  CHECK(unknown.json().string_at({"message"}).find("field 42 of v1 ConfigMap") != std::string_view::npos);
  CHECK(cluster.get(cms + "/u").status == 404);
  // The body's kind must still match the URL's resource.
  auto wrong = cluster.post(cms, envelope("v1", "Secret", Msg().msg(1, meta("w"))), type);
  CHECK(wrong.status == 400);
}

TEST_CASE("PUT .../scale takes a protobuf autoscaling/v1 Scale, replicas 0 included") {
  sim::test::Cluster cluster;
  const std::string deployments = "/apis/apps/v1/namespaces/default/deployments";
  auto created =
      cluster.post(deployments, R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
      "spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},
              "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})");
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const std::string type(sim::k_protobuf_media_type);
  for (std::uint64_t replicas : {4, 0}) {
    CAPTURE(replicas);
    Msg scale =
        Msg().msg(1, meta("d")).msg(2, Msg().varint(1, replicas)).msg(3, Msg().varint(1, 0).str(2, ""));
    auto put = cluster.put(deployments + "/d/scale", envelope("autoscaling/v1", "Scale", scale), type);
    REQUIRE_MESSAGE(put.status == 200, put.body);
    CHECK(put.json().at({"spec", "replicas"})->as_int64() == static_cast<std::int64_t>(replicas));
    CHECK(cluster.get(deployments + "/d").json().at({"spec", "replicas"})->as_int64() ==
          static_cast<std::int64_t>(replicas));
  }
  auto garbage = cluster.put(deployments + "/d/scale", std::string("k8s\0\x0a\x09", 6), type);
  CHECK(garbage.status == 400);
}
