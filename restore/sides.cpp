// read_sides: the recorded state on its own thread, the target's LISTs on this one.
#include "restore/sides.hpp"

#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>

#include "store/state_at.hpp"

namespace ktape::restore {

namespace {

using formats::Value;
using kube::ApiResource;

// Objects per LIST page: fewer round trips than client-go's 500 when a restore reads a whole
// namespace, while a page stays a few MB.
constexpr std::int64_t k_page = 5000;

// Plural by "apiVersion|Kind", indexed once: the reader asks for every object it reads.
store::PluralResolver resolver_of(const kube::Discovery& discovery) {
  auto index = std::make_shared<std::unordered_map<std::string, std::string>>();
  for (const auto& r : discovery.resources) index->emplace(r.api_version() + "|" + r.kind, r.resource);
  return [index, last = std::string(), plural = std::string()](std::string_view api_version,
                                                               std::string_view kind) mutable {
    std::string wanted;
    wanted.append(api_version).append("|").append(kind);
    if (wanted == last) return plural;
    auto it = index->find(wanted);
    plural = it != index->end() ? it->second : store::guess_plural(kind);
    last = std::move(wanted);
    return plural;
  };
}

std::vector<std::string> header_resources(const store::OpenedRecording& opened) {
  std::vector<std::string> out;
  if (!opened.header) return out;
  if (const Value* rs = opened.header->selection.find("resources"); rs != nullptr && rs->is_array())
    for (const auto& r : rs->as_array())
      if (r.is_string()) out.push_back(r.as_string());
  return out;
}

// Runs on the reader thread: it owns `opened` and reads only `discovery` (shared, never written).
Result<StateSide> read_state_at(store::OpenedRecording opened, const kube::Discovery& discovery,
                                std::optional<std::int64_t> at_ns) {
  StateSide out;
  out.header_resources = header_resources(opened);
  if (opened.header) out.server_version = opened.header->server_version;
  store::RecordedState state(resolver_of(discovery));
  auto rest = store::apply_until(opened.reader, state, at_ns);
  if (!rest) return fail(rest.error());
  out.objects = state.release_objects();
  return out;
}

// The resources to list, each once and list-able only: --resource when given; else those `names`
// resolve to (qualified names, as a header holds them) and those of `keys`' objects.
class ToList {
 public:
  ToList(const kube::Discovery& served, const kube::SelectionMatcher& matcher)
      : m_served(served), m_matcher(matcher) {}

  void add(const ApiResource& r) {
    if (!kube::contains_resource(m_all, r) && r.has_verb("list") && m_matcher.resource_selected(r) &&
        !kube::excluded_by_default(r))
      m_all.push_back(r);
  }
  void add_names(const std::vector<std::string>& names) {
    for (const auto& name : names)
      if (auto r = m_served.resolve(name)) add(*r);
  }
  void add_keys(const store::ObjectMap& objects) {
    for (const auto& [key, object] : objects) {
      auto k = split_key(key);
      auto [group, version] = split_api_version(k.api_version);
      if (const auto* r = m_served.find(group, version, k.resource)) add(*r);
    }
  }
  // The resources added since the last call.
  std::vector<ApiResource> take() {
    std::vector<ApiResource> out(m_all.begin() + static_cast<long>(m_taken), m_all.end());
    m_taken = m_all.size();
    return out;
  }

 private:
  const kube::Discovery& m_served;
  const kube::SelectionMatcher& m_matcher;
  std::vector<ApiResource> m_all;
  std::size_t m_taken = 0;
};

Result<void> list_into(kube::Client& client, const ApiResource& r, const kube::ListOptions& list,
                       const std::function<void(Value&&)>& take) {
  auto pager = client.list(r, list);
  for (;;) {
    auto page = pager.next();
    if (!page) return fail(with_context(page.error(), "listing " + r.qualified_name()));
    if (!*page) return {};
    for (auto& item : (*page)->items) take(std::move(item));
  }
}

Result<void> list_objects(kube::Client& client, const std::vector<ApiResource>& resources,
                          const RestoreOptions& options, LiveSide& out) {
  kube::ListOptions list;
  list.namespace_name = kube::server_side_namespace(options.selection);
  list.label_selector = options.selection.label_selector;
  list.limit = k_page;
  for (const auto& r : resources) {
    const std::string api_version = r.api_version();
    auto listed = list_into(client, r, list, [&](Value&& item) {
      auto key = store::RecordedState::key(api_version, r.resource, item.string_at({"metadata", "namespace"}),
                                           item.string_at({"metadata", "name"}));
      out.objects.emplace(std::move(key), std::move(item));
    });
    if (!listed) return fail(listed.error());
  }
  return {};
}

Result<void> list_namespaces(kube::Client& client, const kube::Discovery& discovery, LiveSide& out) {
  auto ns = discovery.resolve("namespaces");
  if (!ns) return {};
  kube::ListOptions list;
  list.limit = k_page;
  return list_into(client, *ns, list, [&](Value&& item) {
    out.namespaces.emplace(item.string_at({"metadata", "name"}));
  });
}

}  // namespace

KeyParts split_key(std::string_view key) {
  KeyParts k;
  std::string_view* parts[] = {&k.api_version, &k.resource, &k.namespace_name, &k.name};
  for (auto* part : parts) {
    auto bar = key.find('|');
    *part = key.substr(0, bar);
    key.remove_prefix(bar == std::string_view::npos ? key.size() : bar + 1);
  }
  return k;
}

std::pair<std::string, std::string> split_api_version(std::string_view api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string_view::npos) return {"", std::string(api_version)};
  return {std::string(api_version.substr(0, slash)), std::string(api_version.substr(slash + 1))};
}

const ApiResource* Resources::find(const KeyParts& k) const {
  auto [group, version] = split_api_version(k.api_version);
  if (const auto* r = served.find(group, version, k.resource)) return r;
  for (const auto& r : defined)
    if (r.group == group && r.version == version && r.resource == k.resource) return &r;
  return nullptr;
}

Result<Sides> read_sides(kube::Client& client, const RestoreOptions& options,
                         const kube::Discovery& discovery, const kube::SelectionMatcher& matcher) {
  auto opened = store::open_recording(options.path);
  if (!opened) return fail(opened.error());
  ToList to_list(discovery, matcher);
  to_list.add_names(header_resources(*opened));
  // --resource is listed as named (events too, which no default listing includes).
  auto first = matcher.resources().empty() ? to_list.take() : matcher.resources();
  std::optional<Result<StateSide>> state;
  Sides sides;
  Result<void> listed;
  {
    std::jthread reader([&state, &discovery, &options, recording = std::move(*opened)]() mutable {
      try {
        state = read_state_at(std::move(recording), discovery, options.at_ns);
      } catch (const std::exception& e) {
        state = fail(ErrorKind::invalid, options.path + ": " + e.what());
      }
    });
    listed = list_objects(client, first, options, sides.live);
    if (listed) listed = list_namespaces(client, discovery, sides.live);
  }  // the reader is joined here
  if (!*state) return fail(state->error());
  if (!listed) return fail(listed.error());
  sides.state = std::move(**state);
  if (matcher.resources().empty()) {
    to_list.add_keys(sides.state.objects);
    if (auto more = list_objects(client, to_list.take(), options, sides.live); !more)
      return fail(more.error());
  }
  return sides;
}

}  // namespace ktape::restore
