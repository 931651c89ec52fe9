// The resource verbs of kube::Client: get, create, update, patch, apply, delete, list and watch.
#include "formats/json.hpp"
#include "kube/client.hpp"
#include "kube/client_impl.hpp"
#include "kube/status.hpp"

namespace ktape::kube {
namespace {

using formats::Value;

void add_query(std::string& path, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += name;
  path += '=';
  path += percent_encode(value);
}

Result<void> check_namespace(const ApiResource& resource, std::string_view namespace_name,
                             std::string_view verb) {
  if (resource.namespaced && namespace_name.empty()) {
    return fail(ErrorKind::invalid, std::string(verb) + " " + resource.qualified_name() +
                                        ": a namespaced resource needs a namespace");
  }
  return {};
}

// List items come without apiVersion and kind; put them first, as kubectl prints them.
Value with_type(Value item, const std::string& api_version, const std::string& kind) {
  if (!item.is_object() || item.contains("kind")) return item;
  formats::Object members;
  members.reserve(item.size() + 2);
  members.push_back({"apiVersion", Value(api_version)});
  members.push_back({"kind", Value(kind)});
  for (auto& member : item.as_object()) members.push_back(std::move(member));
  return Value(std::move(members));
}

ListPage to_page(Value list, const ApiResource& resource) {
  ListPage page;
  page.resource_version = std::string(list.string_at({"metadata", "resourceVersion"}));
  page.continue_token = std::string(list.string_at({"metadata", "continue"}));
  if (const Value* remaining = list.at({"metadata", "remainingItemCount"})) {
    page.remaining_item_count = remaining->as_int64();
  }
  std::string api_version(list.string_at({"apiVersion"}, resource.api_version()));
  std::string kind(list.string_at({"kind"}));
  kind = kind.ends_with("List") ? kind.substr(0, kind.size() - 4) : resource.kind;
  if (Value* items = list.find("items"); items && items->is_array()) {
    page.items.reserve(items->size());
    for (auto& item : items->as_array()) page.items.push_back(with_type(std::move(item), api_version, kind));
  }
  return page;
}

}  // namespace

std::string resource_path(const ApiResource& resource, std::string_view namespace_name, std::string_view name,
                          std::string_view subresource) {
  std::string path = resource.group.empty() ? "/api/" + resource.version
                                            : "/apis/" + resource.group + "/" + resource.version;
  if (resource.namespaced && !namespace_name.empty()) path += "/namespaces/" + percent_encode(namespace_name);
  path += "/" + resource.resource;
  if (!name.empty()) path += "/" + percent_encode(name);
  if (!name.empty() && !subresource.empty()) path += "/" + std::string(subresource);
  return path;
}

Result<Value> Client::get(const ApiResource& resource, std::string_view namespace_name, std::string_view name,
                          std::string_view subresource) {
  if (auto ok = check_namespace(resource, namespace_name, "get"); !ok) return fail(ok.error());
  Call call;
  call.path = resource_path(resource, namespace_name, name, subresource);
  return m_impl->send_json(call);
}

Result<Value> Client::create(const ApiResource& resource, std::string_view namespace_name,
                             const Value& object, Answer answer) {
  return create_subresource(resource, namespace_name, {}, {}, object, answer);
}

Result<Value> Client::create_subresource(const ApiResource& resource, std::string_view namespace_name,
                                         std::string_view name, std::string_view subresource,
                                         const Value& object, Answer answer) {
  if (auto ok = check_namespace(resource, namespace_name, "create"); !ok) return fail(ok.error());
  Call call;
  call.method = "POST";
  call.path = resource_path(resource, namespace_name, name, subresource);
  call.body = formats::to_json(object);
  call.content_type = "application/json";
  return m_impl->send_json(call, answer);
}

Result<Value> Client::update(const ApiResource& resource, std::string_view namespace_name,
                             const Value& object, std::string_view subresource, Answer answer) {
  if (auto ok = check_namespace(resource, namespace_name, "update"); !ok) return fail(ok.error());
  std::string_view name = object.string_at({"metadata", "name"});
  if (name.empty())
    return fail(ErrorKind::invalid,
                "update " + resource.qualified_name() + ": the object has no metadata.name");
  Call call;
  call.method = "PUT";
  call.path = resource_path(resource, namespace_name, name, subresource);
  call.body = formats::to_json(object);
  call.content_type = "application/json";
  return m_impl->send_json(call, answer);
}

Result<Value> Client::patch(const ApiResource& resource, std::string_view namespace_name,
                            std::string_view name, formats::PatchType type, const Value& patch,
                            std::string_view subresource, Answer answer) {
  if (auto ok = check_namespace(resource, namespace_name, "patch"); !ok) return fail(ok.error());
  Call call;
  call.method = "PATCH";
  call.path = resource_path(resource, namespace_name, name, subresource);
  call.body = formats::to_json(patch);
  call.content_type = std::string(formats::content_type(type));
  return m_impl->send_json(call, answer);
}

Result<Value> Client::apply(const ApiResource& resource, std::string_view namespace_name, const Value& config,
                            const ApplyOptions& options, Answer answer) {
  if (auto ok = check_namespace(resource, namespace_name, "apply"); !ok) return fail(ok.error());
  std::string_view name = config.string_at({"metadata", "name"});
  if (name.empty() || config.string_at({"apiVersion"}).empty() || config.string_at({"kind"}).empty())
    return fail(ErrorKind::invalid, "apply " + resource.qualified_name() +
                                        ": the configuration needs apiVersion, kind and metadata.name");
  if (options.field_manager.empty())
    return fail(ErrorKind::invalid, "apply " + resource.qualified_name() + " " + std::string(name) +
                                        ": a server-side apply needs a field manager");
  Call call;
  call.method = "PATCH";
  call.path = resource_path(resource, namespace_name, name, options.subresource);
  add_query(call.path, "fieldManager", options.field_manager);
  add_query(call.path, "force", options.force ? "true" : "false");
  call.body = formats::to_json(config);
  call.content_type = "application/apply-patch+yaml";
  return m_impl->send_json(call, answer);
}

Result<Value> Client::remove(const ApiResource& resource, std::string_view namespace_name,
                             std::string_view name, const DeleteOptions& options) {
  if (auto ok = check_namespace(resource, namespace_name, "delete"); !ok) return fail(ok.error());
  Value body = Value::object();
  body.set("kind", "DeleteOptions");
  body.set("apiVersion", "v1");
  if (!options.propagation_policy.empty()) body.set("propagationPolicy", options.propagation_policy);
  if (options.grace_period_seconds) body.set("gracePeriodSeconds", *options.grace_period_seconds);
  if (!options.precondition_uid.empty()) body["preconditions"].set("uid", options.precondition_uid);
  if (!options.precondition_resource_version.empty()) {
    body["preconditions"].set("resourceVersion", options.precondition_resource_version);
  }
  Call call;
  call.method = "DELETE";
  call.path = resource_path(resource, namespace_name, name);
  call.body = formats::to_json(body);
  call.content_type = "application/json";
  return m_impl->send_json(call);
}

ListPager::ListPager(Client* client, ApiResource resource, ListOptions options)
    : m_client(client), m_resource(std::move(resource)), m_options(std::move(options)) {}

Result<std::optional<ListPage>> ListPager::next() {
  if (m_done) return std::optional<ListPage>();
  Call call;
  call.path = resource_path(m_resource, m_options.namespace_name);
  if (m_options.limit > 0) add_query(call.path, "limit", std::to_string(m_options.limit));
  add_query(call.path, "continue", m_options.continue_token);
  add_query(call.path, "labelSelector", m_options.label_selector);
  add_query(call.path, "fieldSelector", m_options.field_selector);
  if (m_options.continue_token.empty()) {
    add_query(call.path, "resourceVersion", m_options.resource_version);
    add_query(call.path, "resourceVersionMatch", m_options.resource_version_match);
  }
  auto list = m_client->m_impl->send_json(call);
  if (!list) {
    m_done = true;
    return fail(list.error());
  }
  ListPage page = to_page(std::move(*list), m_resource);
  m_options.continue_token = page.continue_token;
  m_done = page.continue_token.empty();
  return std::optional<ListPage>(std::move(page));
}

ListPager Client::list(const ApiResource& resource, ListOptions options) {
  return ListPager(this, resource, std::move(options));
}

Result<ListPage> Client::list_all(const ApiResource& resource, ListOptions options) {
  ListPager pager = list(resource, std::move(options));
  ListPage all;
  while (true) {
    auto page = pager.next();
    if (!page) return fail(page.error());
    if (!*page) break;
    if (all.resource_version.empty()) all.resource_version = (*page)->resource_version;
    for (auto& item : (*page)->items) all.items.push_back(std::move(item));
  }
  return all;
}

Result<WatchStream> Client::watch(const ApiResource& resource, const WatchOptions& options) {
  Call call;
  call.path = resource_path(resource, options.namespace_name);
  add_query(call.path, "watch", "1");
  add_query(call.path, "resourceVersion", options.resource_version);
  if (options.allow_watch_bookmarks) add_query(call.path, "allowWatchBookmarks", "true");
  if (options.send_initial_events) {
    add_query(call.path, "sendInitialEvents", "true");
    add_query(call.path, "resourceVersionMatch", "NotOlderThan");
  }
  if (options.timeout.count() > 0)
    add_query(call.path, "timeoutSeconds", std::to_string(options.timeout.count()));
  add_query(call.path, "labelSelector", options.label_selector);
  add_query(call.path, "fieldSelector", options.field_selector);
  auto idle = options.idle_timeout;
  if (idle.count() == 0 && options.timeout.count() > 0) idle = options.timeout + std::chrono::seconds(60);
  for (int attempt = 0; attempt < 2; ++attempt) {
    m_impl->limiter.acquire();
    auto request = m_impl->build(call);
    if (!request) return fail(request.error());
    request->idle_timeout = idle;
    auto transfer = m_impl->transport->start(std::move(*request));
    // A stop request while the server has not answered yet must not wait for it.
    std::stop_callback stop_waiting(options.stop, [transfer] { transfer->cancel(); });
    auto headers = transfer->wait_headers();
    if (!headers) return fail(headers.error());
    if (headers->status == 200 && is_json_content(headers->content_type)) {
      return WatchStream(transfer, "watch " + call.path, options.stop);
    }
    if (headers->status == 200) {
      transfer->cancel();
      return fail(ErrorKind::parse,
                  m_impl->where(call) + ": the answer is " + headers->content_type +
                      ", not JSON; the server URL does not look like a Kubernetes apiserver");
    }
    HttpResponse failed = *headers;
    std::string chunk;
    while (true) {
      auto more = transfer->read(chunk);
      if (!more || !*more) break;
    }
    failed.body = std::move(chunk);
    if (failed.status == 401 && attempt == 0 && m_impl->credentials.invalidate()) continue;
    return fail(response_error(failed, m_impl->where(call)));
  }
  return fail(ErrorKind::http_status, m_impl->where(call) + ": unauthorized", 401);
}

}  // namespace ktape::kube
