// LIST: paging over a consistent snapshot, expired continue tokens, label and field selectors.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "tests/sim/sim_client.hpp"

using namespace ktape;
using namespace ktape::sim::test;

namespace {
const std::string k_cms = "/api/v1/namespaces/default/configmaps";

std::vector<std::string> names(const formats::Value& list) {
  std::vector<std::string> out;
  for (const auto& item : list.find("items")->as_array())
    out.emplace_back(item.string_at({"metadata", "name"}));
  return out;
}

std::string encode(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_') {
      out += ch;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(ch));
      out += hex;
    }
  }
  return out;
}
}  // namespace

TEST_CASE("limit and continue page through every object once, at one resourceVersion") {
  Cluster c;
  for (int i = 0; i < 25; ++i) c.post(k_cms, configmap("cm" + std::to_string(100 + i)));
  auto first = c.get(k_cms + "?limit=10").json();
  CHECK(first["items"].size() == 10);
  CHECK(first.at({"metadata", "remainingItemCount"})->as_int64() == 15);
  std::string rv(first.string_at({"metadata", "resourceVersion"}));
  std::vector<std::string> all = names(first);
  std::string token(first.string_at({"metadata", "continue"}));
  std::atomic<bool> writing{true};
  std::thread writer([&] {  // concurrent writes must not show up in the pages that follow
    for (int i = 0; writing && i < 200; ++i) {
      c.post(k_cms, configmap("late" + std::to_string(i)));
      c.del(k_cms + "/cm" + std::to_string(110 + i % 15));
    }
  });
  while (!token.empty()) {
    auto page = c.get(k_cms + "?limit=10&continue=" + encode(token)).json();
    CHECK(page.string_at({"metadata", "resourceVersion"}) == rv);
    for (auto& n : names(page)) all.push_back(n);
    token = std::string(page.string_at({"metadata", "continue"}));
  }
  writing = false;
  writer.join();
  REQUIRE(all.size() == 25);
  std::set<std::string> unique(all.begin(), all.end());
  CHECK(unique.size() == 25);
  CHECK(*unique.begin() == "cm100");
  CHECK(*unique.rbegin() == "cm124");
}

TEST_CASE("an evicted continue token is 410 Expired; a garbled one is 400") {
  Cluster c;
  for (int i = 0; i < 3; ++i) c.post(k_cms, configmap("cm" + std::to_string(i)));
  std::string token(c.get(k_cms + "?limit=1").json().string_at({"metadata", "continue"}));
  for (int i = 0; i < 40; ++i) c.get(k_cms + "?limit=1");
  Reply r = c.get(k_cms + "?limit=1&continue=" + encode(token));
  CHECK(r.status == 410);
  CHECK(r.json().string_at({"reason"}) == "Expired");
  CHECK(c.get(k_cms + "?limit=1&continue=zzz").status == 400);
}

TEST_CASE("label selectors: every operator") {
  Cluster c;
  c.post(k_cms, configmap("a", R"({"env":"prod","tier":"web","rank":"3"})"));
  c.post(k_cms, configmap("b", R"({"env":"dev","tier":"db","rank":"7"})"));
  c.post(k_cms, configmap("d", R"({"env":"test"})"));
  c.post(k_cms, configmap("e"));
  struct Case {
    std::string selector;
    std::vector<std::string> expected;
  };
  for (const Case& t : std::vector<Case>{
           {"env=prod", {"a"}},
           {"env==dev", {"b"}},
           {"env!=prod", {"b", "d", "e"}},
           {"env in (prod,dev)", {"a", "b"}},
           {"env notin (prod,dev)", {"d", "e"}},
           {"tier", {"a", "b"}},
           {"!tier", {"d", "e"}},
           {"rank>5", {"b"}},
           {"rank<5", {"a"}},
           {"env=prod,tier=web", {"a"}},
           {"env in (prod,dev),tier!=web", {"b"}},
       }) {
    INFO(t.selector);
    Reply r = c.get(k_cms + "?labelSelector=" + encode(t.selector));
    REQUIRE(r.status == 200);
    CHECK(names(r.json()) == t.expected);
  }
  Reply bad = c.get(k_cms + "?labelSelector=" + encode("env in prod"));
  CHECK(bad.status == 400);
  CHECK(bad.json().string_at({"reason"}) == "BadRequest");
}

TEST_CASE("field selectors on metadata.name and metadata.namespace") {
  Cluster c;
  c.post(k_cms, configmap("one"));
  c.post(k_cms, configmap("two"));
  c.post("/api/v1/namespaces/kube-system/configmaps", configmap("three"));
  CHECK(names(c.get(k_cms + "?fieldSelector=metadata.name%3Dtwo").json()) == std::vector<std::string>{"two"});
  CHECK(names(c.get(k_cms + "?fieldSelector=metadata.name!%3Dtwo").json()) ==
        std::vector<std::string>{"one"});
  CHECK(names(c.get("/api/v1/configmaps?fieldSelector=metadata.namespace%3Dkube-system").json()) ==
        std::vector<std::string>{"three"});
  auto limited = c.get("/api/v1/configmaps?limit=1&labelSelector=").json();
  CHECK(limited["items"].size() == 1);
}
