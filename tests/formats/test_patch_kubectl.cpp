// Cross-check against the reference implementation: kubectl applies strategic merge patches with
// k8s.io/apimachinery's strategicpatch package (the code kube-apiserver runs), and `kubectl patch
// --local` does so without a cluster. Skipped when kubectl is not installed.
#include <doctest/doctest.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "tests/formats/test_patch_generators.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::formats;

namespace {

constexpr const char* k_kubectl = "/usr/bin/kubectl";

// Pairs per kind; KTAPE_PATCH_ORACLE_PAIRS raises it for a longer soak (each pair runs kubectl
// twice, about 0.2 s per run).
unsigned pair_count() {
  const char* env = std::getenv("KTAPE_PATCH_ORACLE_PAIRS");
  return env != nullptr ? static_cast<unsigned>(std::atoi(env)) : 12;
}

class Scratch {
 public:
  Scratch() {
    // An empty kubeconfig of its own, so that the user's (or a broken $KUBECONFIG) plays no part.
    test_support::write_file(m_dir.path() / "kubeconfig", "apiVersion: v1\nkind: Config\n");
  }
  std::filesystem::path write(const std::string& name, const Value& v) const {
    auto path = m_dir.path() / name;
    test_support::write_file(path, to_json(v));
    return path;
  }
  std::filesystem::path dir() const { return m_dir.path(); }

 private:
  test_support::TempDir m_dir{"ktape-patch"};
};

// kubectl's result of applying `patch` to `doc`, or nullopt when kubectl refused the patch.
std::optional<Value> kubectl_apply(const Scratch& scratch, const Value& doc, const Value& patch) {
  const auto doc_file = scratch.write("doc.json", doc);
  const auto patch_file = scratch.write("patch.json", patch);
  const auto out_file = scratch.dir() / "out.json";
  const std::string command = "KUBECONFIG='" + (scratch.dir() / "kubeconfig").string() + "' " + k_kubectl +
                              " patch --local --type strategic -o json -f '" + doc_file.string() +
                              "' --patch-file '" + patch_file.string() + "' > '" + out_file.string() +
                              "' 2>/dev/null";
  if (std::system(command.c_str()) != 0) return std::nullopt;
  const std::string text = test_support::read_file(out_file);
  auto parsed = parse_json(text);
  REQUIRE_MESSAGE(parsed, text);
  return *parsed;
}

// Where the live object lacks a field the patch sets, Go copies the patch value verbatim, nested
// directives and nulls included; kube-apiserver then decodes the result into the typed object,
// which drops them. ktape applies the directives to an empty value instead. Compare what the
// apiserver would store: no "$..." keys, no nulls, no {"$patch": ...} list elements.
Value as_stored(const Value& v) {
  if (v.is_object()) {
    Value out = Value::object();
    for (const Member& m : v.as_object())
      if (!m.value.is_null() && m.key.front() != '$') out.set(m.key, as_stored(m.value));
    return out;
  }
  if (v.is_array()) {
    Value out = Value::array();
    for (const Value& e : v.as_array())
      if (e.find("$patch") == nullptr) out.push_back(as_stored(e));
    return out;
  }
  return v;
}

void cross_check(bool deployments) {
  Scratch scratch;
  const unsigned pairs = pair_count();
  for (unsigned seed = 5000; seed < 5000 + pairs; ++seed) {
    testing::ObjectGenerator gen(seed);
    const Value old_doc = deployments ? gen.deployment() : gen.pod();
    const Value new_doc = gen.mutate(old_doc);
    const Value live_doc = gen.mutate(old_doc);  // what a server may hold instead of old_doc
    auto patch = create_strategic_merge_patch(old_doc, new_doc);
    REQUIRE(patch);
    CAPTURE(seed);
    CAPTURE(to_json(*patch));

    // Go applies our patch to the original and gets exactly the modified object.
    auto by_kubectl = kubectl_apply(scratch, old_doc, *patch);
    REQUIRE(by_kubectl);
    CHECK(*by_kubectl == new_doc);

    // On a document that drifted from the original, both implementations agree (order of
    // server-only list elements, deletes of absent elements, and so on).
    CAPTURE(to_json(live_doc));
    auto on_live = kubectl_apply(scratch, live_doc, *patch);
    auto ours = apply_strategic_merge_patch(live_doc, *patch);
    if (!on_live && !kubectl_apply(scratch, live_doc, Value::object())) continue;  // Go cannot read it
    REQUIRE(on_live.has_value() == ours.has_value());
    if (!on_live) continue;
    const std::string both = "ours: " + to_json(*ours) + "\nkubectl: " + to_json(*on_live);
    CHECK_MESSAGE(as_stored(*ours) == as_stored(*on_live), both);
  }
}

// kubectl present and able to patch a local file; otherwise the cross-check says so and is skipped.
bool kubectl_works() {
  if (std::filesystem::exists(k_kubectl)) {
    Scratch scratch;
    auto pod = parse_json(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}})");
    if (kubectl_apply(scratch, *pod, *parse_json(R"({"metadata":{"labels":{"a":"b"}}})"))) return true;
  }
  MESSAGE("kubectl patch --local is not available: the cross-check with Go's strategicpatch is skipped");
  return false;
}

}  // namespace

TEST_CASE("strategic merge patches agree with kubectl's strategicpatch on Pods") {
  if (kubectl_works()) cross_check(false);
}

TEST_CASE("strategic merge patches agree with kubectl's strategicpatch on Deployments") {
  if (kubectl_works()) cross_check(true);
}

// Hand-written patches can be malformed in ways kubectl's own never are. Where Go copies a value
// verbatim ktape may be stricter (an Error), so only results both sides accept are compared.
TEST_CASE("mangled strategic merge patches that both accept give kubectl's result") {
  if (!kubectl_works()) return;
  Scratch scratch;
  unsigned compared = 0;
  for (unsigned seed = 4000; seed < 4000 + 2 * pair_count(); ++seed) {
    testing::ObjectGenerator gen(seed);
    const Value old_doc = seed % 2 == 0 ? gen.pod() : gen.deployment();
    auto patch = create_strategic_merge_patch(old_doc, gen.mutate(old_doc));
    REQUIRE(patch);
    const Value mangled = gen.mangle(*patch);
    CAPTURE(to_json(mangled));
    auto ours = apply_strategic_merge_patch(old_doc, mangled);
    auto theirs = kubectl_apply(scratch, old_doc, mangled);
    if (!ours || !theirs) continue;
    ++compared;
    CHECK(as_stored(*ours) == as_stored(*theirs));
  }
  CHECK(compared > pair_count());
}
