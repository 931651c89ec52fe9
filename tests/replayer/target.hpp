#pragma once
// Shared by the replayer tests: a scripted target (a cpp-httplib server that serves discovery,
// keeps the objects written to it, records every request and lets a test answer any request
// itself), a clock whose time a test holds back, and recordings written to a temp file.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "formats/value.hpp"
#include "kube/client.hpp"
#include "kube/clock.hpp"
#include "replayer/replayer.hpp"
#include "tests/kube/helpers.hpp"
#include "tests/support/recording_text.hpp"

namespace ktape::replayer::test {

// One request as the target received it.
struct Request {
  std::size_t order = 0;  // arrival order among the API requests (discovery not counted), from 0
  std::size_t nth = 0;    // how many requests with the same method and path came before it
  std::string method, path, body, content_type;             // path without the query
  std::string query;                                        // "a=b&c=d" as received (decoded), "" for none
  std::chrono::steady_clock::time_point arrived, answered;  // real time
  std::optional<std::chrono::steady_clock::time_point> clock_arrived;  // the test clock's now(), if set
  int status = 0;                                                      // the answer's, once answered
  formats::Value json() const;                                         // the body parsed; null if none
  // A string in the body ("" when absent), copied out of it.
  std::string string_at(std::initializer_list<std::string_view> path) const;
  // The UID of the body's only ownerReference (REQUIREs exactly one).
  std::string owner_uid() const;
  // "POST /api/v1/namespaces/demo/configmaps", for exact sequence checks.
  std::string line() const { return method + " " + path; }
};

// What the script answers instead of the target's default.
struct Reply {
  int status = 200;
  std::string body;         // JSON
  std::string retry_after;  // Retry-After header, "" for none
};

// A metav1.Status error answer: `reason` "NotFound", "AlreadyExists", "Conflict", ...
Reply status_reply(int code, const std::string& reason, const std::string& message);

// A test's answer to one request, or nullopt to let the target answer as a server would. Runs on
// the server's threads, several at once; it may block (to hold a request in flight).
using Script = std::function<std::optional<Reply>(const Request&)>;

// The target: legacy discovery of namespaces, configmaps, secrets, pods (+status), services
// (+status), serviceaccounts, apps/v1
// deployments and replicasets (+status), CRDs (+status) and every custom resource whose CRD was
// created in it. Writes behave as an apiserver's on a store keyed by path: create gives
// uid "new-NAME" (then "new-NAME-2", ... for re-creates) and answers 409 AlreadyExists for a
// present name, get/patch/update/delete of an absent object answer 404, a created CRD is
// Established at once.
class ScriptedTarget {
 public:
  ScriptedTarget();
  ~ScriptedTarget();
  ScriptedTarget(const ScriptedTarget&) = delete;
  ScriptedTarget& operator=(const ScriptedTarget&) = delete;

  void script(Script script);
  // Stamps each request's clock_arrived with this clock's now().
  void use_clock(std::shared_ptr<kube::Clock> clock);
  // Puts an object in the store as if created before (uid and resourceVersion as given in it).
  void put(const std::string& collection_path, formats::Value object);
  // The stored object at `path`, if any.
  std::optional<formats::Value> stored(const std::string& path) const;

  std::unique_ptr<kube::Client> client(kube::ClientOptions options = {}) const;
  std::vector<Request> requests() const;              // every API request, in arrival order
  std::vector<Request> writes() const;                // the same without GETs
  std::vector<std::string> write_lines() const;       // writes() as "METHOD path"
  int peak_in_flight() const;                         // most requests being answered at once
  int peak_in_flight(const std::string& path) const;  // the same for one path (subresources apart)

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  bool discovery(const httplib::Request& req, httplib::Response& res);
  Reply answer(const Request& request);
  Reply create(const Request& request);
  Reply update(const Request& request, const std::string& object_path);

  kube::test::ScriptedServer m_server;
  mutable std::mutex m_mutex;
  Script m_script;
  std::shared_ptr<kube::Clock> m_clock;
  std::vector<Request> m_requests;
  std::map<std::string, formats::Value> m_store;  // object path -> object
  std::map<std::string, int> m_creates;           // object path -> creates so far
  std::vector<formats::Value> m_crds;             // CRDs created, for discovery
  std::map<std::string, int> m_in_flight;         // path -> requests being answered
  std::map<std::string, int> m_peak;              // path -> most at once
  int m_all_in_flight = 0, m_all_peak = 0;
  std::int64_t m_resource_version = 0;
};

// A clock whose time moves only when slept through (as kube::test::FakeClock), and never past a
// limit the test sets: a sleep that would cross it waits (really, briefly) and returns having
// slept only up to it, so a replay's pacing stops at the limit until the test raises it.
class GatedClock final : public kube::Clock {
 public:
  explicit GatedClock(std::chrono::nanoseconds limit = std::chrono::nanoseconds::max()) : m_limit(limit) {}
  std::chrono::steady_clock::time_point now() const override;
  std::chrono::system_clock::time_point wall_now() const override;
  void sleep_for(std::chrono::nanoseconds d) override;
  void set_limit(std::chrono::nanoseconds limit);
  std::chrono::nanoseconds elapsed() const;

 private:
  mutable std::mutex m_mutex;
  std::condition_variable m_raised;
  std::chrono::nanoseconds m_elapsed{0};
  std::chrono::nanoseconds m_limit;
};

// Writes recordings for a test into a temp directory removed afterwards.
class Recordings {
 public:
  // The path of a new recording file `name` holding `text`.
  std::string write(const std::string& name, const std::string& text);

 private:
  kube::test::TempDir m_dir;
};

// Recording documents. Templates are JSON, which YAML reads.
constexpr std::int64_t k_second = 1'000'000'000;
constexpr std::int64_t k_ms = 1'000'000;

// The collection paths the tests' objects (namespace demo) are written to.
inline const std::string k_cms = "/api/v1/namespaces/demo/configmaps";
inline const std::string k_deps = "/apis/apps/v1/namespaces/demo/deployments";
inline const std::string k_rss = "/apis/apps/v1/namespaces/demo/replicasets";
inline const std::string k_pods = "/api/v1/namespaces/demo/pods";
inline const std::string k_services = "/api/v1/namespaces/demo/services";
inline const std::string k_widgets = "/apis/example.com/v1/namespaces/demo/widgets";
inline const std::string k_crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
// event_doc, owner_json and object_json are the test support library's.
using test_support::event_doc;
using test_support::object_json;
using test_support::owner_json;
// A snapshot document (any object_json).
std::string snapshot_doc(const std::string& object_json);
std::string namespace_doc(const std::string& name, const std::string& uid);
// A namespaced CRD for group `group`, kind `kind`, plural `plural`, version v1.
std::string crd_json(const std::string& group, const std::string& kind, const std::string& plural);

// One replay into a ScriptedTarget: options at speed 0 (as fast as possible) on a GatedClock with
// no limit, so no test waits for recorded time.
struct Replay {
  ScriptedTarget target;
  Recordings files;
  std::shared_ptr<GatedClock> clock = std::make_shared<GatedClock>();
  ReplayOptions options;
  Controls controls;
  std::vector<std::string> log;
  std::unique_ptr<kube::Client> client;

  Replay();
  // Writes `recording` and replays it; the replay must start (REQUIREd).
  SummaryReport run(const std::string& recording);
  Result<SummaryReport> attempt(const std::string& recording);
};

// Whether `done` holds within `seconds` (real time), polled.
bool eventually(const std::function<bool()>& done, double seconds = 10);

}  // namespace ktape::replayer::test
