// Strategic merge patch, directive by directive. Expected patches are what kubectl and
// kube-apiserver's strategicpatch package produce for the same change (checked by hand against
// `kubectl patch --local` and the Kubernetes documentation on strategic merge patch).
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "formats/patch_metadata.hpp"

using namespace ktape;
using namespace ktape::formats;

namespace {

Value j(std::string_view text) {
  auto v = parse_json(text);
  REQUIRE_MESSAGE(v, std::string(text));
  return *v;
}

Value pod(std::string_view body) {
  return j(R"({"apiVersion":"v1","kind":"Pod",)" + std::string(body) + "}");
}

// create(original, modified) must be `expected`, and applying it must give back `modified`.
void check_create(const Value& original, const Value& modified, std::string_view expected) {
  auto patch = create_strategic_merge_patch(original, modified);
  REQUIRE_MESSAGE(patch, patch.error().message);
  CHECK_MESSAGE(*patch == j(expected), to_json(*patch));
  auto applied = apply_strategic_merge_patch(original, *patch);
  REQUIRE_MESSAGE(applied, applied.error().message);
  CHECK_MESSAGE(*applied == modified, to_json(*applied));
}

void check_apply(const Value& original, std::string_view patch, const Value& expected) {
  auto applied = apply_strategic_merge_patch(original, j(patch));
  REQUIRE_MESSAGE(applied, applied.error().message);
  CHECK_MESSAGE(*applied == expected, to_json(*applied));
  // Lists are compared in order by ==; members are not, so check the text for order too.
  CHECK(to_json(*applied->find("spec")) == to_json(*expected.find("spec")));
}

void check_apply_error(const Value& original, std::string_view patch, std::string_view words) {
  auto applied = apply_strategic_merge_patch(original, j(patch));
  REQUIRE_FALSE(applied);
  CHECK(applied.error().kind == ErrorKind::invalid);
  CHECK_MESSAGE(applied.error().message.find(words) != std::string::npos, applied.error().message);
}

const char* const k_two_containers =
    R"("spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]})";

}  // namespace

TEST_CASE("has_strategic_metadata knows the built-in types by apiVersion and kind") {
  CHECK(has_strategic_metadata("v1", "Pod"));
  CHECK(has_strategic_metadata("v1", "ConfigMap"));  // built in, though without any directive
  CHECK(has_strategic_metadata("apps/v1", "Deployment"));
  CHECK(has_strategic_metadata("batch/v1", "Job"));
  CHECK(has_strategic_metadata("apiextensions.k8s.io/v1", "CustomResourceDefinition"));
  CHECK_FALSE(has_strategic_metadata("v1", "Deployment"));
  CHECK_FALSE(has_strategic_metadata("apps/v1", "Pod"));
  CHECK_FALSE(has_strategic_metadata("example.com/v1", "Widget"));
  CHECK_FALSE(has_strategic_metadata("", "Pod"));
}

TEST_CASE("create: a merge-keyed list sends only the changed element and the order") {
  const Value original = pod(k_two_containers);
  check_create(original, pod(R"("spec":{"containers":[{"name":"a","image":"x2"},{"name":"b","image":"y"}]})"),
               R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                           "containers":[{"name":"a","image":"x2"}]}})");
  // Removal: a delete directive by merge key.
  check_create(original, pod(R"("spec":{"containers":[{"name":"b","image":"y"}]})"),
               R"({"spec":{"$setElementOrder/containers":[{"name":"b"}],
                           "containers":[{"$patch":"delete","name":"a"}]}})");
  // A pure reorder is only an order.
  check_create(original, pod(R"("spec":{"containers":[{"name":"b","image":"y"},{"name":"a","image":"x"}]})"),
               R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}})");
  // An insertion in the middle: the new element whole, the order says where.
  check_create(
      original,
      pod(R"("spec":{"containers":[{"name":"a","image":"x"},{"name":"c","image":"z"},{"name":"b","image":"y"}]})"),
      R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"c"},{"name":"b"}],
                           "containers":[{"name":"c","image":"z"}]}})");
  // Emptied: deletes only; the order of an empty list is not written.
  check_create(original, pod(R"("spec":{"containers":[]})"),
               R"({"spec":{"containers":[{"$patch":"delete","name":"a"},{"$patch":"delete","name":"b"}]}})");
}

TEST_CASE("create: nested merge lists (Pod -> PodSpec -> Container -> EnvVar, ports by containerPort)") {
  const Value original =
      pod(R"("spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],
      "ports":[{"containerPort":80,"protocol":"TCP"}]}]})");
  const Value modified = pod(R"("spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"3"}],
      "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}]}]})");
  check_create(original, modified,
               R"({"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"name":"a",
      "$setElementOrder/env":[{"name":"Y"}],"env":[{"name":"Y","value":"3"},{"$patch":"delete","name":"X"}],
      "$setElementOrder/ports":[{"containerPort":80},{"containerPort":443}],
      "ports":[{"containerPort":443,"protocol":"TCP"}]}]}})");
}

TEST_CASE("create: finalizers are a primitive merge list") {
  const Value original = pod(R"("metadata":{"name":"p","finalizers":["a","b"]})");
  check_create(
      original, pod(R"("metadata":{"name":"p","finalizers":["b","c"]})"),
      R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"$setElementOrder/finalizers":["b","c"],
                               "finalizers":["c"]}})");
  check_create(original, pod(R"("metadata":{"name":"p","finalizers":["a","b","c"]})"),
               R"({"metadata":{"$setElementOrder/finalizers":["a","b","c"],"finalizers":["c"]}})");
  check_create(original, pod(R"("metadata":{"name":"p"})"), R"({"metadata":{"finalizers":null}})");
}

TEST_CASE("create: ownerReferences merge by uid, conditions by type") {
  const Value original = pod(R"("metadata":{"ownerReferences":[{"uid":"1","kind":"ReplicaSet","name":"r"}]},
      "status":{"conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]})");
  const Value modified =
      pod(R"("metadata":{"ownerReferences":[{"uid":"1","kind":"ReplicaSet","name":"r","controller":true}]},
      "status":{"conditions":[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}]})");
  check_create(original, modified, R"({"metadata":{"$setElementOrder/ownerReferences":[{"uid":"1"}],
      "ownerReferences":[{"uid":"1","controller":true}]},
      "status":{"$setElementOrder/conditions":[{"type":"Ready"},{"type":"PodScheduled"}],
      "conditions":[{"type":"Ready","status":"True"}]}})");
}

TEST_CASE("create: retainKeys for volumes and a Deployment's strategy") {
  check_create(pod(R"("spec":{"volumes":[{"name":"v","emptyDir":{}}]})"),
               pod(R"("spec":{"volumes":[{"name":"v","configMap":{"name":"c"}}]})"),
               R"({"spec":{"$setElementOrder/volumes":[{"name":"v"}],"volumes":[{"name":"v",
                   "$retainKeys":["configMap","name"],"configMap":{"name":"c"},"emptyDir":null}]}})");
  const Value rolling = j(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}}}})");
  const Value recreate = j(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "spec":{"replicas":1,"strategy":{"type":"Recreate"}}})");
  check_create(rolling, recreate,
               R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"}}})");
  check_create(
      recreate, rolling,
      R"({"spec":{"strategy":{"$retainKeys":["rollingUpdate","type"],"rollingUpdate":{"maxSurge":"25%"},
                   "type":"RollingUpdate"}}})");
}

TEST_CASE("create: lists without a merge strategy are replaced whole") {
  // tolerations and containerStatuses are atomic; a CRD's conditions have listType map but no
  // patch strategy, so strategic merge patch replaces them too.
  check_create(pod(R"("spec":{"tolerations":[{"key":"a"},{"key":"b"}]})"),
               pod(R"("spec":{"tolerations":[{"key":"b"}]})"), R"({"spec":{"tolerations":[{"key":"b"}]}})");
  const Value crd = j(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "status":{"conditions":[{"type":"Established","status":"False"},{"type":"NamesAccepted","status":"True"}]}})");
  const Value crd2 = j(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "status":{"conditions":[{"type":"Established","status":"True"},{"type":"NamesAccepted","status":"True"}]}})");
  check_create(crd, crd2, R"({"status":{"conditions":[{"type":"Established","status":"True"},
      {"type":"NamesAccepted","status":"True"}]}})");
  // A Job's conditions carry patchStrategy merge (with listType atomic): the strategy wins.
  const Value job = j(
      R"({"apiVersion":"batch/v1","kind":"Job","status":{"conditions":[{"type":"Complete","status":"False"}]}})");
  const Value job2 = j(
      R"({"apiVersion":"batch/v1","kind":"Job","status":{"conditions":[{"type":"Complete","status":"True"}]}})");
  check_create(
      job, job2,
      R"({"status":{"$setElementOrder/conditions":[{"type":"Complete"}],"conditions":[{"type":"Complete","status":"True"}]}})");
}

TEST_CASE("create: maps diff recursively with null for removed keys") {
  check_create(pod(R"("metadata":{"labels":{"a":"1","b":"2"},"annotations":{"x":"y"}})"),
               pod(R"("metadata":{"labels":{"a":"1","c":"3"}})"),
               R"({"metadata":{"annotations":null,"labels":{"b":null,"c":"3"}}})");
  check_create(pod(k_two_containers), pod(k_two_containers), "{}");
}

TEST_CASE("create and apply: a custom resource gets a JSON merge patch") {
  const Value widget =
      j(R"({"apiVersion":"example.com/v1","kind":"Widget","spec":{"parts":[{"name":"a"},{"name":"b"}]}})");
  const Value changed =
      j(R"({"apiVersion":"example.com/v1","kind":"Widget","spec":{"parts":[{"name":"b"}]}})");
  check_create(widget, changed, R"({"spec":{"parts":[{"name":"b"}]}})");
  // Directives mean nothing there: the keys are data, as in a JSON merge patch.
  auto applied = apply_strategic_merge_patch(widget, j(R"({"spec":{"$retainKeys":["x"]}})"));
  REQUIRE(applied);
  CHECK(*applied->at({"spec", "$retainKeys"}) == j(R"(["x"])"));
}

TEST_CASE("apply: merge lists merge by key; new elements come first without an order") {
  const Value original = pod(k_two_containers);
  // As kubectl patch --local does: a patch element not in the list goes before the server's.
  check_apply(
      original, R"({"spec":{"containers":[{"name":"c","image":"z"},{"name":"a","image":"q"}]}})",
      pod(R"("spec":{"containers":[{"name":"c","image":"z"},{"name":"a","image":"q"},{"name":"b","image":"y"}]})"));
  check_apply(original, R"({"spec":{"containers":[{"name":"a","image":null,"tty":true}]}})",
              pod(R"("spec":{"containers":[{"name":"a","tty":true},{"name":"b","image":"y"}]})"));
}

TEST_CASE("apply: $setElementOrder orders the result; server-only elements keep their place") {
  const Value original = pod(k_two_containers);
  check_apply(original, R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}})",
              pod(R"("spec":{"containers":[{"name":"b","image":"y"},{"name":"a","image":"x"}]})"));
  check_apply(
      original,
      R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"},{"name":"c"}],
                          "containers":[{"name":"c","image":"z"}]}})",
      pod(R"("spec":{"containers":[{"name":"b","image":"y"},{"name":"a","image":"x"},{"name":"c","image":"z"}]})"));
  // "a" is not in the order (the client did not know it). Go interleaves the server-only element
  // after patch elements it cannot place (kubectl patch --local gives c, a, b).
  check_apply(
      original,
      R"({"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"b"}],
                          "containers":[{"name":"c","image":"z"}]}})",
      pod(R"("spec":{"containers":[{"name":"c","image":"z"},{"name":"a","image":"x"},{"name":"b","image":"y"}]})"));
}

TEST_CASE("apply: $patch directives in lists and maps") {
  const Value original =
      pod(R"("metadata":{"labels":{"a":"1","b":"2"}},"spec":{"securityContext":{"runAsUser":1},
      "containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]})");
  check_apply(original, R"({"spec":{"containers":[{"$patch":"delete","name":"a"}]}})",
              pod(R"("metadata":{"labels":{"a":"1","b":"2"}},"spec":{"securityContext":{"runAsUser":1},
                  "containers":[{"name":"b","image":"y"}]})"));
  check_apply(original, R"({"spec":{"containers":[{"name":"z","image":"q"},{"$patch":"replace"}]}})",
              pod(R"("metadata":{"labels":{"a":"1","b":"2"}},"spec":{"securityContext":{"runAsUser":1},
                  "containers":[{"name":"z","image":"q"}]})"));
  // $patch: delete on a map empties it; replace swaps the content.
  check_apply(original, R"({"spec":{"securityContext":{"$patch":"delete"}}})",
              pod(R"("metadata":{"labels":{"a":"1","b":"2"}},"spec":{"securityContext":{},
                  "containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]})"));
  check_apply(original, R"({"metadata":{"labels":{"$patch":"replace","c":"3"}}})",
              pod(R"("metadata":{"labels":{"c":"3"}},"spec":{"securityContext":{"runAsUser":1},
                  "containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]})"));
}

TEST_CASE("apply: a field the target lacks is created without directives, as Go does") {
  const Value original = pod(R"("spec":{"containers":[{"name":"a","image":"x"}]})");
  // A map with $patch where nothing exists creates nothing (kubectl patch --local agrees); nulls
  // in new maps are dropped; directive elements of a new merge list do not survive.
  check_apply(
      original,
      R"({"spec":{"nodeSelector":{"$patch":"replace","x":"y"},"extra":{"inner":{"$patch":"delete"},"a":null,"z":1},
                          "initContainers":[{"$patch":"delete","name":"q"},{"name":"i"}]}})",
      pod(R"("spec":{"containers":[{"name":"a","image":"x"}],"extra":{"z":1},"initContainers":[{"name":"i"}]})"));
  // $deleteFromPrimitiveList for a list that is not there deletes nothing.
  check_apply(original, R"({"spec":{"$deleteFromPrimitiveList/nothing":"x"}})", original);
  // A null deletion list removes the field itself (Go's reading of it).
  check_apply(original, R"({"spec":{"$deleteFromPrimitiveList/containers":null}})", pod(R"("spec":{})"));
}

TEST_CASE("apply: nulls in new values, as kubectl patch --local treats them") {
  const Value original = pod(R"("spec":{"containers":[{"name":"a","image":"x"}],"initContainers":[]})");
  // An element appended to a list the target has is copied as is, nulls included...
  check_apply(
      original, R"({"spec":{"containers":[{"name":"b","image":null,"sub":{"q":null,"r":1}}]}})",
      pod(R"("spec":{"containers":[{"name":"b","image":null,"sub":{"q":null,"r":1}},{"name":"a","image":"x"}],
                  "initContainers":[]})"));
  check_apply(
      original, R"({"spec":{"initContainers":[{"name":"b","image":null}]}})",
      pod(R"("spec":{"containers":[{"name":"a","image":"x"}],"initContainers":[{"name":"b","image":null}]})"));
  // ...while a value for a field the target lacks loses its nulls, lists included.
  check_apply(
      original,
      R"({"spec":{"ephemeralContainers":[{"name":"b","image":null}],"tolerations":[{"key":"b","value":null}],
                          "containers":[{"name":"a","sub":{"q":null,"r":1}}]}})",
      pod(R"("spec":{"containers":[{"name":"a","image":"x","sub":{"r":1}}],"initContainers":[],
                  "ephemeralContainers":[{"name":"b"}],"tolerations":[{"key":"b"}]})"));
}

TEST_CASE("apply: $deleteFromPrimitiveList and $retainKeys") {
  const Value original = pod(R"("metadata":{"finalizers":["a","b","c"]},
      "spec":{"volumes":[{"name":"v","emptyDir":{},"secret":{"secretName":"s"}}]})");
  check_apply(
      original, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b","zz"]}})",
      pod(R"("metadata":{"finalizers":["a","c"]},"spec":{"volumes":[{"name":"v","emptyDir":{},"secret":{"secretName":"s"}}]})"));
  check_apply(
      original, R"({"metadata":{"finalizers":["d"]}})",
      pod(R"("metadata":{"finalizers":["d","a","b","c"]},"spec":{"volumes":[{"name":"v","emptyDir":{},"secret":{"secretName":"s"}}]})"));
  check_apply(
      original,
      R"({"spec":{"volumes":[{"name":"v","$retainKeys":["name","secret"],"secret":{"secretName":"t"}}]}})",
      pod(R"("metadata":{"finalizers":["a","b","c"]},"spec":{"volumes":[{"name":"v","secret":{"secretName":"t"}}]})"));
}

TEST_CASE("apply: invalid strategic patches are Errors that say what is wrong") {
  const Value original = pod(R"("metadata":{"labels":{"a":"1"}},)" + std::string(k_two_containers));
  check_apply_error(original, R"({"metadata":{"labels":{"$patch":"merge"}}})",
                    R"(unknown $patch value "merge" in a map)");
  check_apply_error(original, R"({"metadata":{"labels":{"$patch":"bogus"}}})",
                    "metadata.labels: unknown $patch value");
  check_apply_error(original, R"({"spec":{"containers":[{"$patch":"bogus","name":"a"}]}})",
                    R"(spec.containers: unknown $patch value "bogus" in a list element)");
  check_apply_error(original, R"({"spec":{"containers":[{"image":"q"}]}})",
                    R"(spec.containers: an element does not contain the declared merge key "name")");
  check_apply_error(original, R"({"spec":{"containers":[{"$patch":"delete"}]}})",
                    "does not contain the merge key");
  check_apply_error(original, R"({"spec":{"containers":[{"$patch":"merge"}]}})",
                    "$patch: merge is not supported");
  check_apply_error(original, R"({"metadata":{"$retainKeys":["name"],"labels":{"c":"1"}}})",
                    R"(metadata: field "labels" is set but missing from $retainKeys)");
  check_apply_error(original, R"({"metadata":{"$retainKeys":"labels"}})", "$retainKeys must be a list");
  check_apply_error(
      original,
      R"({"spec":{"$setElementOrder/containers":[{"name":"b"}],"containers":[{"name":"a","image":"z"}]}})",
      "does not match its $setElementOrder list");
  check_apply_error(original,
                    R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"$patch":"delete"}]}})",
                    R"(spec.containers: a $setElementOrder entry does not contain the merge key "name")");
  check_apply_error(original, R"({"spec":{"volumes":[["a"]]}})",
                    "spec.volumes: lists of lists cannot be merged");
  check_apply_error(original, R"({"spec":{"containers":["a"]}})", "mixes elements of different types");
  auto not_object = apply_strategic_merge_patch(original, j("[1]"));
  REQUIRE_FALSE(not_object);
  CHECK(not_object.error().message.find("must be a JSON object") != std::string::npos);
}

TEST_CASE("create: a merge-list element without its merge key is an Error") {
  auto patch = create_strategic_merge_patch(pod(R"("spec":{"containers":[{"image":"x"}]})"),
                                            pod(R"("spec":{"containers":[{"name":"a","image":"x"}]})"));
  REQUIRE_FALSE(patch);
  CHECK(patch.error().kind == ErrorKind::invalid);
  CHECK(patch.error().message.find(
            R"(spec.containers: an element does not contain the declared merge key "name")") !=
        std::string::npos);
}

TEST_CASE("the metadata table descends through ref, list and map definitions") {
  using ktape::formats::detail::find_root_schema;
  auto pod_schema = find_root_schema("v1", "Pod");
  REQUIRE(pod_schema);
  const auto container = pod_schema->object_at("spec").element_at("containers");
  CHECK(container.name() == "io.k8s.api.core.v1.Container");
  REQUIRE(container.field("env") != nullptr);
  CHECK(container.field("env")->merge_key == "name");
  CHECK(container.field("ports")->merge_key == "containerPort");
  CHECK(container.field("args") == nullptr);  // atomic: no metadata kept
  const auto* volumes = pod_schema->object_at("spec").field("volumes");
  REQUIRE(volumes != nullptr);
  CHECK((volumes->merge && volumes->retain_keys && !volumes->replace));
  CHECK(pod_schema->object_at("metadata").field("ownerReferences")->merge_key == "uid");
  const auto* finalizers = pod_schema->object_at("metadata").field("finalizers");
  CHECK((finalizers->merge && finalizers->merge_key.empty()));
  // A map of definitions: every key of JSONSchemaProps.properties is a JSONSchemaProps.
  auto crd = find_root_schema("apiextensions.k8s.io/v1", "CustomResourceDefinition");
  REQUIRE(crd);
  const auto props = crd->object_at("spec")
                         .element_at("versions")
                         .object_at("schema")
                         .object_at("openAPIV3Schema")
                         .object_at("properties")
                         .object_at("anything");
  REQUIRE(props.field("x-kubernetes-validations") != nullptr);
  CHECK(props.field("x-kubernetes-validations")->merge_key == "rule");
  // PodDisruptionBudget's selector is replaced whole.
  auto pdb = find_root_schema("policy/v1", "PodDisruptionBudget");
  REQUIRE(pdb);
  CHECK(pdb->object_at("spec").field("selector")->replace);
  CHECK_FALSE(find_root_schema("example.com/v1", "Widget"));
}

TEST_CASE("create and apply: a replace-strategy map is sent whole") {
  const Value pdb = j(R"({"apiVersion":"policy/v1","kind":"PodDisruptionBudget",
      "spec":{"selector":{"matchLabels":{"app":"a","tier":"x"}}}})");
  const Value changed = j(R"({"apiVersion":"policy/v1","kind":"PodDisruptionBudget",
      "spec":{"selector":{"matchLabels":{"app":"b"}}}})");
  check_create(pdb, changed, R"({"spec":{"selector":{"matchLabels":{"app":"b"}}}})");
}
