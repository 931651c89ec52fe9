#include "kube/discovery.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

namespace ktape::kube {
namespace {

using formats::Value;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> strings_of(const Value* array) {
  std::vector<std::string> out;
  if (!array || !array->is_array()) return out;
  for (const auto& item : array->as_array()) {
    if (item.is_string()) out.push_back(item.as_string());
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The aggregated form of one resource (apidiscovery.k8s.io/v2 APIResourceDiscovery).
ApiResource aggregated_resource(const Value& r, const std::string& group, const std::string& version,
                                bool preferred) {
  ApiResource out;
  out.group = group;
  out.version = version;
  out.resource = std::string(r.string_at({"resource"}));
  out.kind = std::string(r.string_at({"responseKind", "kind"}));
  out.singular = std::string(r.string_at({"singularResource"}));
  out.namespaced = r.string_at({"scope"}) == "Namespaced";
  out.verbs = strings_of(r.find("verbs"));
  out.short_names = strings_of(r.find("shortNames"));
  out.categories = strings_of(r.find("categories"));
  if (const Value* subs = r.find("subresources"); subs && subs->is_array()) {
    for (const auto& sub : subs->as_array()) out.subresources.emplace_back(sub.string_at({"subresource"}));
  }
  if (out.singular.empty()) out.singular = lower(out.kind);
  out.preferred = preferred;
  return out;
}

Result<void> add_aggregated(Discovery& discovery, const Value& list, std::string_view where) {
  if (list.is_null()) return {};
  const Value* items = list.find("items");
  if (list.string_at({"kind"}) != "APIGroupDiscoveryList" || !items || !items->is_array()) {
    return fail(ErrorKind::parse, std::string(where) + ": not an APIGroupDiscoveryList");
  }
  for (const auto& group_doc : items->as_array()) {
    std::string group(group_doc.string_at({"metadata", "name"}));
    const Value* versions = group_doc.find("versions");
    if (!versions || !versions->is_array()) continue;
    bool first = true;  // the server lists versions in preference order
    for (const auto& version_doc : versions->as_array()) {
      std::string version(version_doc.string_at({"version"}));
      if (const Value* resources = version_doc.find("resources"); resources && resources->is_array()) {
        for (const auto& r : resources->as_array()) {
          discovery.resources.push_back(aggregated_resource(r, group, version, first));
        }
      }
      first = false;
    }
  }
  return {};
}

// Ranks how `name` matches a resource: 0 plural, 1 singular, 2 short name, 3 kind; -1 no match.
int match_rank(const ApiResource& r, const std::string& name) {
  if (r.resource == name) return 0;
  if (r.singular == name) return 1;
  for (const auto& s : r.short_names) {
    if (s == name) return 2;
  }
  if (lower(r.kind) == name) return 3;
  return -1;
}

}  // namespace

std::string ApiResource::api_version() const { return group.empty() ? version : group + "/" + version; }
bool ApiResource::has_verb(std::string_view verb) const { return contains(verbs, verb); }
bool ApiResource::has_subresource(std::string_view name) const { return contains(subresources, name); }
std::string ApiResource::qualified_name() const { return group.empty() ? resource : resource + "." + group; }

Result<Discovery> parse_aggregated_discovery(const formats::Value& core, const formats::Value& groups) {
  Discovery discovery;
  discovery.aggregated = true;
  if (auto r = add_aggregated(discovery, core, "/api"); !r) return fail(r.error());
  if (auto r = add_aggregated(discovery, groups, "/apis"); !r) return fail(r.error());
  return discovery;
}

Result<Discovery> parse_legacy_discovery(const std::vector<LegacyGroupVersion>& documents) {
  Discovery discovery;
  for (const auto& doc : documents) {
    const Value* resources = doc.resource_list.find("resources");
    if (!resources || !resources->is_array()) {
      return fail(ErrorKind::parse, "discovery of " +
                                        (doc.group.empty() ? doc.version : doc.group + "/" + doc.version) +
                                        ": not an APIResourceList");
    }
    std::vector<ApiResource> found;
    for (const auto& r : resources->as_array()) {
      std::string name(r.string_at({"name"}));
      if (auto slash = name.find('/'); slash != std::string::npos) {
        for (auto& parent : found) {
          if (parent.resource == name.substr(0, slash)) parent.subresources.push_back(name.substr(slash + 1));
        }
        continue;
      }
      ApiResource out;
      out.group = doc.group;
      out.version = doc.version;
      out.resource = name;
      out.kind = std::string(r.string_at({"kind"}));
      out.singular = std::string(r.string_at({"singularName"}));
      if (out.singular.empty()) out.singular = lower(out.kind);
      const Value* namespaced = r.find("namespaced");
      out.namespaced = namespaced && namespaced->is_bool() && namespaced->as_bool();
      out.verbs = strings_of(r.find("verbs"));
      out.short_names = strings_of(r.find("shortNames"));
      out.categories = strings_of(r.find("categories"));
      out.preferred = doc.preferred;
      found.push_back(std::move(out));
    }
    for (auto& r : found) discovery.resources.push_back(std::move(r));
  }
  return discovery;
}

const ApiResource* Discovery::find(std::string_view group, std::string_view version,
                                   std::string_view resource) const {
  for (const auto& r : resources) {
    if (r.group == group && r.version == version && r.resource == resource) return &r;
  }
  return nullptr;
}

std::vector<ApiResource> Discovery::preferred() const {
  std::vector<ApiResource> out;
  std::set<std::pair<std::string, std::string>> seen;
  // Preferred versions first; a resource served only at another version still appears once.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& r : resources) {
      if (r.preferred != (pass == 0)) continue;
      if (seen.insert({r.group, r.resource}).second) out.push_back(r);
    }
  }
  return out;
}

Result<ApiResource> Discovery::resolve(std::string_view name) const {
  const std::string wanted = lower(name);
  // Candidate readings of the name: (resource, group, version); a group or version of "*" is any.
  std::vector<std::tuple<std::string, std::string, std::string>> readings{{wanted, "*", "*"}};
  if (auto dot = wanted.find('.'); dot != std::string::npos) {
    std::string head = wanted.substr(0, dot);
    std::string rest = wanted.substr(dot + 1);
    readings = {{head, rest, "*"}};
    if (auto dot2 = rest.find('.'); dot2 != std::string::npos) {
      readings.emplace_back(head, rest.substr(dot2 + 1), rest.substr(0, dot2));
    }
  }
  const ApiResource* best = nullptr;
  std::tuple<int, int, int> best_key{};
  for (const auto& [res, group, version] : readings) {
    for (std::size_t i = 0; i < resources.size(); ++i) {
      const auto& r = resources[i];
      if (group != "*" && r.group != group) continue;
      if (version != "*" && r.version != version) continue;
      int rank = match_rank(r, res);
      if (rank < 0) continue;
      // Lower is better: match kind, then a preferred version, then core group, then order.
      std::tuple<int, int, int> key{rank, r.preferred ? 0 : 1, r.group.empty() ? 0 : 1};
      if (!best || key < best_key) {
        best = &r;
        best_key = key;
      }
    }
    if (best) break;
  }
  if (!best) {
    return fail(ErrorKind::not_found,
                "the server does not serve a resource named \"" + std::string(name) + "\"");
  }
  return *best;
}

}  // namespace ktape::kube
