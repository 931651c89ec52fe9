#pragma once
// kube::Client: one target apiserver, one connection pool, thread-safe. Discovery, paginated
// LIST, streamed WATCH, and the write verbs, with retries (backoff with jitter on connection
// errors, 429 honouring Retry-After, 500/503/504 for idempotent verbs) and an optional client-side
// QPS/burst limiter. Errors map the server's metav1.Status onto ErrorKind (not_found, conflict
// with Error::reason "AlreadyExists" or "Conflict", expired, throttled, http_status) and name the
// request; they never contain a token or key.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/patch.hpp"
#include "formats/value.hpp"
#include "kube/clock.hpp"
#include "kube/discovery.hpp"
#include "kube/rest_config.hpp"
#include "kube/watch.hpp"

namespace ktape::kube {

struct ClientOptions {
  double qps = 0;       // client-side limit in requests/s; 0 = off (the default, like --qps 0)
  int burst = 10;       // bucket size when qps > 0 (client-go's default burst)
  int max_retries = 5;  // attempts after the first for retriable failures
  std::chrono::milliseconds backoff_base{200};       // first retry delay, doubled each attempt
  std::chrono::milliseconds backoff_max{10000};      // cap of one delay (Retry-After is capped at 60 s)
  std::chrono::milliseconds connect_timeout{30000};  // TCP+TLS connect (kubectl's 30 s)
  std::chrono::seconds request_idle_timeout{60};     // non-watch request aborted after this long silent
  std::shared_ptr<Clock> clock;                      // null: the system clock
  std::string user_agent = "ktape/" KTAPE_VERSION;
};

struct ListOptions {
  std::string namespace_name;          // "" = all namespaces (ignored for cluster-scoped resources)
  std::string label_selector;          // "app=web,tier!=db"; "" = everything
  std::string field_selector;          // "metadata.name=x"; "" = everything
  std::int64_t limit = 500;            // page size; 0 = no pagination (one page)
  std::string continue_token;          // resume from a previous page's continue_token
  std::string resource_version;        // "" = most recent (quorum read); "0" = any cached version
  std::string resource_version_match;  // "", "NotOlderThan" or "Exact"
};

struct ListPage {
  formats::Array items;          // every item carries apiVersion and kind (filled in from the list)
  std::string resource_version;  // the list's metadata.resourceVersion
  std::string continue_token;    // "" on the last page
  std::optional<std::int64_t> remaining_item_count;
};

class Client;

// The pages of one LIST, fetched lazily: next() returns the next page, nullopt after the last.
// A 410 on a continue token is ErrorKind::expired (the caller relists from scratch). The Client
// must outlive its pagers; one pager is used by one thread at a time.
class ListPager {
 public:
  Result<std::optional<ListPage>> next();

 private:
  friend class Client;
  ListPager(Client* client, ApiResource resource, ListOptions options);
  Client* m_client;
  ApiResource m_resource;
  ListOptions m_options;
  bool m_done = false;
};

struct DeleteOptions {
  std::string propagation_policy;  // "", "Background", "Foreground" or "Orphan"
  std::optional<std::int64_t> grace_period_seconds;
  std::string precondition_uid;               // "" = none
  std::string precondition_resource_version;  // "" = none
};

// A server-side apply (PATCH application/apply-patch+yaml): the configuration names the fields its
// manager owns; the server merges them, records them in metadata.managedFields under the manager
// with operation Apply, and removes the fields this manager applied before and leaves out now
// (unless another manager owns them too). Separate from formats::PatchType, which describes the
// patches a recording holds.
struct ApplyOptions {
  std::string field_manager;  // required: the manager the fields are recorded for ("ktape")
  // false: a field another manager owns with another value is a 409 conflict Error whose message
  // names each such field ("conflict with \"kubectl-edit\": .spec.replicas"); true: the apply
  // takes those fields over (the server's force=true).
  bool force = false;
  std::string subresource;  // "" (the object) or "status"
};

// How much of a write's answer the caller reads. On small objects, turning the whole answer into a
// Value costs about as much as the rest of the request; a caller that needs only the new UID or
// resourceVersion asks for identity, one that needs nothing (a status write) for none. Errors
// are read whole either way. When an answer has no metadata object, it is read whole.
enum class Answer {
  object,    // the whole object the server returned
  metadata,  // its apiVersion, kind and metadata (other fields may be left out)
  identity,  // its apiVersion, kind and metadata's name, namespace, uid and resourceVersion
  none,      // nothing: a null Value
};

class Client {
 public:
  // A server without a scheme gets https:// when TLS settings are present, else http:// (as in
  // client-go); another scheme is an invalid Error.
  static Result<std::unique_ptr<Client>> create(RestConfig config, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const RestConfig& config() const;

  // The server's /version document (gitVersion, major, minor, ...).
  Result<formats::Value> server_version();
  // Aggregated discovery when the server serves it, else the legacy documents (fetched in
  // parallel). A group version that fails to answer is skipped only if others answered.
  Result<Discovery> discover();

  // LIST as lazily fetched pages.
  ListPager list(const ApiResource& resource, ListOptions options);
  // Every page gathered; handy for small lists and tests.
  Result<ListPage> list_all(const ApiResource& resource, ListOptions options);
  // Starts a WATCH; the stream is read with WatchStream::next(). A refused start (403, 404, a
  // 410 answered as HTTP status) is an Error here; starting is not retried (the caller's list+watch
  // loop backs off). A stream may outlive the Client: it then fails with a cancelled Error.
  Result<WatchStream> watch(const ApiResource& resource, const WatchOptions& options);

  // `subresource` is "" or e.g. "status". `namespace_name` is ignored for cluster-scoped resources
  // and required for namespaced ones.
  Result<formats::Value> get(const ApiResource& resource, std::string_view namespace_name,
                             std::string_view name, std::string_view subresource = {});
  // POST; the namespace is the argument's (the object's own metadata.namespace is not read).
  Result<formats::Value> create(const ApiResource& resource, std::string_view namespace_name,
                                const formats::Value& object, Answer answer = Answer::object);
  // POST to a subresource of the object `name`: pods/NAME/binding, pods/NAME/eviction (both
  // empty: to the collection, as create).
  Result<formats::Value> create_subresource(const ApiResource& resource, std::string_view namespace_name,
                                            std::string_view name, std::string_view subresource,
                                            const formats::Value& object, Answer answer = Answer::object);
  // PUT to the object's metadata.name; pass subresource "status" to write status.
  Result<formats::Value> update(const ApiResource& resource, std::string_view namespace_name,
                                const formats::Value& object, std::string_view subresource = {},
                                Answer answer = Answer::object);
  Result<formats::Value> patch(const ApiResource& resource, std::string_view namespace_name,
                               std::string_view name, formats::PatchType type, const formats::Value& patch,
                               std::string_view subresource = {}, Answer answer = Answer::object);
  // Server-side apply of `config` (apiVersion, kind and metadata.name required; the namespace is the
  // argument's) to the object metadata.name names; creates it when absent (on the object, not a
  // subresource). An empty options.field_manager is an invalid Error, sent nothing. Conflicts are
  // ErrorKind::conflict with reason "Conflict". The body is JSON, which is valid YAML.
  Result<formats::Value> apply(const ApiResource& resource, std::string_view namespace_name,
                               const formats::Value& config, const ApplyOptions& options,
                               Answer answer = Answer::object);
  // DELETE; returns what the server answered (the object, or a Status).
  Result<formats::Value> remove(const ApiResource& resource, std::string_view namespace_name,
                                std::string_view name, const DeleteOptions& options = {});

  // GET of any path on the server ("/version", "/apis"), as JSON. `accept` is the Accept header.
  Result<formats::Value> get_path(std::string_view path, std::string_view accept = "application/json");

  // How many requests were retried, and how many times the exec plugin ran (for tests, summaries).
  std::int64_t retries() const;
  int exec_runs() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  friend class ListPager;
  std::unique_ptr<Impl> m_impl;
};

// Builds the request path of a resource: /api/v1/namespaces/NS/pods/NAME/status and the like.
// Empty `namespace_name` or `name` leaves that part out. Names are percent-encoded.
std::string resource_path(const ApiResource& resource, std::string_view namespace_name,
                          std::string_view name = {}, std::string_view subresource = {});

}  // namespace ktape::kube
