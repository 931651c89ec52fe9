// The UID fields besides ownerReferences (uid_fields.hpp): every row of the table re-linked in an
// object about to be created and in each kind of patch, then the Job and its Pods in the shapes
// the Job controller and kubectl give them.
#include <doctest/doctest.h>

#include <string>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "ownerref/relinker.hpp"
#include "ownerref/uid_fields.hpp"

using namespace ktape;
using namespace ktape::ownerref;
using formats::PatchType;
using formats::Value;

namespace {

Value json(std::string_view text) {
  auto v = formats::parse_json(text);
  REQUIRE_MESSAGE(v, text);
  return *v;
}

// `leaf` placed at `path` under a new object; "*" becomes a list of two elements holding it.
Value build(std::span<const std::string_view> path, const Value& leaf) {
  if (path.empty()) return leaf;
  Value inner = build(path.subspan(1), leaf);
  if (path.front() == "*") {
    Value list = Value::array();
    list.push_back(inner);
    list.push_back(inner);
    return list;
  }
  Value out = Value::object();
  out.set(path.front(), std::move(inner));
  return out;
}

// Sets the value at `path` (no "*"), making the objects on the way.
void put(Value& doc, std::span<const std::string_view> path, Value value) {
  Value* at = &doc;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) at = &(*at)[path[i]];
  at->set(path.back(), std::move(value));
}

// Every value at `path` ("*": each element), as strings; "<absent>" where a step is missing.
void collect(const Value* node, std::span<const std::string_view> path, std::vector<std::string>& out) {
  if (!node) {
    out.emplace_back("<absent>");
    return;
  }
  if (path.empty()) {
    out.emplace_back(node->is_string() ? node->as_string() : "<not a string>");
    return;
  }
  if (path.front() == "*") {
    if (!node->is_array()) {
      out.emplace_back("<not a list>");
      return;
    }
    for (const Value& e : node->as_array()) collect(&e, path.subspan(1), out);
    return;
  }
  collect(node->find(path.front()), path.subspan(1), out);
}

std::vector<std::string> values_at(const Value& doc, std::span<const std::string_view> path) {
  std::vector<std::string> out;
  collect(&doc, path, out);
  return out;
}

std::string api_version_of(const UidField& field) {
  return field.group.empty() ? "v1" : std::string(field.group) + "/v1";
}

// An object of the row's kind with "old-uid" in the row's field.
Value object_for(const UidField& field) {
  Value object = build(field.path, Value("old-uid"));
  object.set("apiVersion", Value(api_version_of(field)));
  object.set("kind", Value(std::string(field.kind)));
  object["metadata"].set("name", Value("x"));
  return object;
}

// The row's path as a JSON pointer, elements at index 0, escaped as RFC 6901 says.
std::string pointer_of(std::span<const std::string_view> path) {
  std::string out;
  for (std::string_view segment : path) {
    out += '/';
    if (segment == "*") {
      out += '0';
      continue;
    }
    for (char c : segment) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  }
  return out;
}

// "old-uid" was created as "NEW-UID".
void map_old(Relinker& relinker) {
  relinker.record_created({"", "Thing", "demo", "it"}, "old-uid", "NEW-UID");
}

}  // namespace

TEST_CASE("uid_fields: the table names each field once, with a path to a uid") {
  REQUIRE(uid_fields().size() >= 15);
  for (const UidField& field : uid_fields()) {
    CAPTURE(field.kind);
    CAPTURE(describe_path(field.path));
    CHECK_FALSE(field.path.empty());
    CHECK_FALSE(field.what.empty());
    CHECK((field.relink == Relink::map || !field.drop.empty()));
    std::size_t same = 0;
    for (const UidField& other : uid_fields())
      if (other.group == field.group && other.kind == field.kind && other.path == field.path) ++same;
    CHECK(same == 1);
  }
  CHECK(uid_fields_of("", "PersistentVolume").size() == 1);
  CHECK(uid_fields_of("batch", "Job").size() == 4);
  CHECK(uid_fields_of("apps", "Deployment").empty());
  CHECK(uid_fields_of("", "Job").empty());  // by group too
  CHECK(describe_path(uid_fields_of("", "PersistentVolume")[0]->path) == "spec.claimRef.uid");
}

TEST_CASE("rewrite_object: every row of the table") {
  for (const UidField& field : uid_fields()) {
    CAPTURE(field.kind);
    CAPTURE(describe_path(field.path));
    Relinker relinker;
    map_old(relinker);
    Value object = object_for(field);
    auto done = relinker.rewrite_object(object);
    REQUIRE(done);
    if (field.relink == Relink::map) {
      for (const auto& v : values_at(object, field.path)) CHECK(v == "NEW-UID");
      CHECK(done->rewritten == values_at(object, field.path).size());
      CHECK(done->left_to_server == 0);
    } else {
      CHECK(values_at(object, field.drop) == std::vector<std::string>{"<absent>"});
      CHECK(done->left_to_server == 1);
      CHECK(done->rewritten == 0);
      // With the boolean that makes the field the user's, it is mapped instead.
      Value manual = object_for(field);
      put(manual, field.unless, Value(true));
      auto kept = relinker.rewrite_object(manual);
      REQUIRE(kept);
      CHECK(values_at(manual, field.path) == std::vector<std::string>{"NEW-UID"});
      CHECK(kept->left_to_server == 0);
    }
    // An unmapped UID is left as recorded, and not counted.
    Relinker empty;
    Value unmapped = object_for(field);
    if (field.relink == Relink::map) {
      auto none = empty.rewrite_object(unmapped);
      REQUIRE(none);
      CHECK(none->rewritten == 0);
      for (const auto& v : values_at(unmapped, field.path)) CHECK(v == "old-uid");
    }
  }
}

TEST_CASE("rewrite_patch: every row of the table, in merge, strategic and JSON patches") {
  for (const UidField& field : uid_fields()) {
    CAPTURE(field.kind);
    CAPTURE(describe_path(field.path));
    Relinker relinker;
    map_old(relinker);
    for (PatchType type : {PatchType::merge, PatchType::strategic}) {
      Value patch = build(field.path, Value("old-uid"));
      auto done = relinker.rewrite_patch(type, patch, field.group, field.kind);
      REQUIRE(done);
      for (const auto& v : values_at(patch, field.path)) CHECK(v == "NEW-UID");  // generated ones too
      CHECK(done->rewritten == values_at(patch, field.path).size());
      // Another kind's patch of the same shape is not this field.
      Value other = build(field.path, Value("old-uid"));
      REQUIRE(relinker.rewrite_patch(type, other, "apps", "Deployment"));
      for (const auto& v : values_at(other, field.path)) CHECK(v == "old-uid");
    }
    SUBCASE("JSON patch: the leaf itself, and the whole document") {
      std::string pointer = pointer_of(field.path);
      Value patch = json(R"([{"op":"replace","path":")" + pointer +
                         R"(","value":"old-uid"},)"
                         R"({"op":"add","path":"","value":{}},{"op":"remove","path":")" +
                         pointer + R"("}])");
      patch.as_array()[1].set("value", build(field.path, Value("old-uid")));
      auto done = relinker.rewrite_patch(PatchType::json, patch, field.group, field.kind);
      REQUIRE(done);
      CHECK(patch.as_array()[0].string_at({"value"}) == "NEW-UID");
      for (const auto& v : values_at(patch.as_array()[1]["value"], field.path)) CHECK(v == "NEW-UID");
    }
    SUBCASE("JSON patch: the parent of the uid") {
      auto parent = std::span(field.path).first(field.path.size() - 1);
      Value patch = Value::array();
      Value op = Value::object();
      op.set("op", Value("add"));
      op.set("path", Value(pointer_of(parent)));
      op.set("value", build(std::span(field.path).last(1), Value("old-uid")));
      patch.push_back(op);
      auto done = relinker.rewrite_patch(PatchType::json, patch, field.group, field.kind);
      REQUIRE(done);
      CHECK(done->rewritten == 1);
      CHECK(values_at(patch.as_array()[0]["value"], std::span(field.path).last(1)) ==
            std::vector<std::string>{"NEW-UID"});
    }
  }
}

// kubectl create job once --image=busybox, as a 1.32 apiserver stores it.
const char* k_job = R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once","namespace":"demo",
  "uid":"job-old","labels":{"batch.kubernetes.io/controller-uid":"job-old","batch.kubernetes.io/job-name":"once",
  "controller-uid":"job-old","job-name":"once"}},
  "spec":{"backoffLimit":6,"completions":1,"parallelism":1,
   "selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"job-old"}},
   "template":{"metadata":{"labels":{"batch.kubernetes.io/controller-uid":"job-old",
     "batch.kubernetes.io/job-name":"once","controller-uid":"job-old","job-name":"once","team":"a"}},
    "spec":{"containers":[{"name":"once","image":"busybox"}],"restartPolicy":"Never"}}}})";

TEST_CASE("rewrite_object: a Job is created without its generated selector and template labels") {
  Relinker relinker;
  Value job = json(k_job);
  auto done = relinker.rewrite_object(job);
  REQUIRE(done);
  CHECK(done->left_to_server == 3);  // the selector and the two template labels
  CHECK(job.at({"spec", "selector"}) == nullptr);
  CHECK(*job.at({"spec", "template", "metadata", "labels"}) ==
        json(R"({"batch.kubernetes.io/job-name":"once","job-name":"once","team":"a"})"));
  CHECK(job.string_at({"spec", "template", "spec", "restartPolicy"}) == "Never");
  // The Job's own labels are not a field the apiserver checks: left as recorded (the Job
  // controller does not read them), as is metadata.uid, which the replayer strips.
  CHECK(job.string_at({"metadata", "labels", "controller-uid"}) == "job-old");

  SUBCASE("manualSelector: the selector is the user's and stays") {
    Value manual = json(k_job);
    manual["spec"].set("manualSelector", Value(true));
    relinker.record_created({"batch", "Job", "demo", "once"}, "job-old", "job-new");
    auto kept = relinker.rewrite_object(manual);
    REQUIRE(kept);
    CHECK(kept->left_to_server == 0);
    CHECK(manual.string_at({"spec", "selector", "matchLabels", "batch.kubernetes.io/controller-uid"}) ==
          "job-new");
    CHECK(manual.string_at({"spec", "template", "metadata", "labels", "controller-uid"}) == "job-new");
  }
  SUBCASE("manualSelector false is the default") {
    Value explicit_false = json(k_job);
    explicit_false["spec"].set("manualSelector", Value(false));
    auto again = relinker.rewrite_object(explicit_false);
    REQUIRE(again);
    CHECK(again->left_to_server == 3);
  }
}

TEST_CASE("rewrite_object and rewrite_patch: the Job's Pods follow its new UID") {
  Relinker relinker;
  relinker.record_created({"batch", "Job", "demo", "once"}, "job-old", "job-new");
  Value pod = json(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"once-x","namespace":"demo",
    "labels":{"batch.kubernetes.io/controller-uid":"job-old","controller-uid":"job-old","job-name":"once"},
    "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"once","uid":"job-old","controller":true}]}})");
  auto done = relinker.rewrite_object(pod);
  REQUIRE(done);
  CHECK(done->rewritten == 3);  // the owner and both labels
  CHECK(pod.string_at({"metadata", "labels", "batch.kubernetes.io/controller-uid"}) == "job-new");
  CHECK(pod.string_at({"metadata", "labels", "controller-uid"}) == "job-new");
  CHECK(pod.string_at({"metadata", "labels", "job-name"}) == "once");

  // A label change recorded as a strategic patch, applied to the target's Pod.
  Value patch = json(R"({"metadata":{"labels":{"controller-uid":"job-old","extra":"1"}}})");
  REQUIRE(relinker.rewrite_patch(PatchType::strategic, patch, "", "Pod"));
  auto applied = formats::apply_strategic_merge_patch(pod, patch);
  REQUIRE(applied);
  CHECK(applied->string_at({"metadata", "labels", "controller-uid"}) == "job-new");
  CHECK(applied->string_at({"metadata", "labels", "extra"}) == "1");
}

TEST_CASE("rewrite_patch: an Endpoints change names the re-created Pods") {
  Relinker relinker;
  relinker.record_created({"", "Pod", "demo", "a"}, "pod-a", "POD-A");
  Value patch = json(R"({"subsets":[{"addresses":[
      {"ip":"10.0.0.1","targetRef":{"kind":"Pod","name":"a","namespace":"demo","uid":"pod-a"}},
      {"ip":"10.0.0.2","targetRef":{"kind":"Pod","name":"gone","namespace":"demo","uid":"pod-gone"}}],
    "ports":[{"port":80}]}]})");
  auto done = relinker.rewrite_patch(PatchType::strategic, patch, "", "Endpoints");
  REQUIRE(done);
  CHECK(done->rewritten == 1);
  CHECK(patch["subsets"].as_array()[0]["addresses"].as_array()[0].string_at({"targetRef", "uid"}) == "POD-A");
  CHECK(patch["subsets"].as_array()[0]["addresses"].as_array()[1].string_at({"targetRef", "uid"}) ==
        "pod-gone");
  CHECK(relinker.stats().rewritten == 1);
}
