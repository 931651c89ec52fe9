#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "formats/recording.hpp"
#include "store/state.hpp"

using namespace ktape;
using namespace ktape::formats;
using ktape::store::RecordedState;

namespace {

std::string testdata(const std::string& name) { return std::string(KTAPE_SOURCE_DIR) + "/testdata/" + name; }

std::vector<RecordingEntry> read_all(RecordingReader& r) {
  std::vector<RecordingEntry> out;
  for (;;) {
    auto e = r.next();
    REQUIRE_MESSAGE(e, (e ? "" : e.error().message));
    if (!*e) break;
    out.push_back(std::move(**e));
  }
  return out;
}

}  // namespace

TEST_CASE("RecordedState rebuilds kwok's recording step by step") {
  auto r = RecordingReader::open(testdata("kwok/recording.yaml"));
  REQUIRE(r);
  RecordedState state;
  auto entries = read_all(*r);
  REQUIRE(entries.size() == 5);
  for (std::size_t i = 0; i < 3; ++i) REQUIRE(state.apply(entries[i]));
  // After the create and the strategic patch: 3 replicas, the new image, the condition added.
  const auto& objects = state.objects();
  auto it = objects.find(RecordedState::key("apps/v1", "deployments", "shop", "web"));
  REQUIRE(it != objects.end());
  CHECK(it->second.at({"spec", "replicas"})->as_int64() == 3);
  auto containers = it->second.at({"spec", "template", "spec", "containers"});
  REQUIRE(containers);
  CHECK(containers->as_array().size() == 1);
  CHECK(containers->as_array()[0].string_at({"image"}) == "nginx:1.28");
  CHECK(it->second.at({"status", "conditions"})->as_array()[0].string_at({"type"}) == "Available");
  for (std::size_t i = 3; i < entries.size(); ++i) REQUIRE(state.apply(entries[i]));
  CHECK(objects.size() == 2);  // the namespace and the endpoints; the deployment was deleted
  CHECK(objects.count(RecordedState::key("v1", "namespaces", "", "shop")) == 1);
  CHECK(objects.count(RecordedState::key("v1", "endpoints", "shop", "web")) == 1);
  auto again = state.apply(entries[4]);
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::not_found);
  CHECK(again.error().message == "delete of apps/v1 deployments shop/web, which does not exist");
}
