#pragma once
// Shared by the restore tests: the simulated cluster in-process on a free loopback port (a real
// apiserver over HTTP), a client to it, and recordings written by hand to a temp directory.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>

#include "formats/value.hpp"
#include "kube/client.hpp"
#include "restore/restore.hpp"
#include "sim/server.hpp"
#include "tests/support/temp_dir.hpp"

namespace ktape::restore::test {

constexpr std::int64_t k_second = 1'000'000'000;

struct SimTarget {
  std::unique_ptr<sim::Server> server;
  std::unique_ptr<kube::Client> client;
  kube::Discovery discovery;

  explicit SimTarget(bool garbage_collector = true);
  kube::ApiResource resource(const std::string& name);
  // The object, or nullopt when the target has none.
  std::optional<formats::Value> get(const std::string& resource, const std::string& ns,
                                    const std::string& name);
  // Creates `object_json` (REQUIREs success); returns what the server answered.
  formats::Value create(const std::string& resource, const std::string& object_json);
  // Reads `resource` ns/name, sets `field` ("data" member `key`) to `value` and PUTs it back.
  void set_data(const std::string& ns, const std::string& name, const std::string& key,
                const std::string& value);
  void remove(const std::string& resource, const std::string& ns, const std::string& name);
  // Another client of the target, which the server records as field manager `user_agent` up to
  // its first '/' ("kubectl-label/v1.32.0" writes as manager kubectl-label).
  std::unique_ptr<kube::Client> client_as(const std::string& user_agent) const;
};

// A ConfigMap's data value ("" when absent).
std::string data_of(const formats::Value& object, const std::string& key);

// One restore: plan (REQUIREd), pre-flight problems must be none, apply, and the plan again.
struct Restored {
  Plan plan;
  replayer::SummaryReport report;
  Plan after;  // the final verify: no writes left when the target equals the state
};
Restored restore_into(SimTarget& target, const RestoreOptions& options);

// Writes recordings into a temp directory removed afterwards.
class Files {
 public:
  std::string write(const std::string& name, const std::string& text);
  std::string path(const std::string& name) const { return (m_dir.path() / name).string(); }

 private:
  test_support::TempDir m_dir{"ktape-restore"};
};

// A kubeconfig for the target, written into `files` (for the ktape binary); returns its path.
std::string kubeconfig_for(SimTarget& target, Files& files);

// Recording documents (JSON, which YAML reads).
std::string snapshot_doc(const std::string& object_json);
std::string configmap_json(const std::string& ns, const std::string& name, const std::string& uid,
                           const std::string& data_json, const std::string& labels = "");

}  // namespace ktape::restore::test
