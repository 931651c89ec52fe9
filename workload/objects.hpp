#pragma once
// The objects the workload creates, shaped like what real controllers and kubelets write.
#include <cstdint>
#include <random>
#include <string>

#include "formats/value.hpp"

namespace ktape::workload {

struct OwnerInfo {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
};

formats::Value make_namespace(const std::string& name);
formats::Value make_deployment(const std::string& ns, const std::string& name, int replicas,
                               const std::string& image);
formats::Value make_replicaset(const std::string& ns, const std::string& name, const std::string& app,
                               const std::string& hash, int replicas, const std::string& image,
                               const OwnerInfo& owner);
// A ~3 KB Pod owned by `owner`; `padding` bytes of annotation drawn from `rng`.
formats::Value make_pod(const std::string& ns, const std::string& name, const std::string& app,
                        const std::string& hash, const std::string& image, const OwnerInfo& owner,
                        std::size_t padding, std::mt19937_64& rng);
formats::Value pod_status(bool ready, int restarts, const std::string& image, const std::string& now, int ip);
formats::Value make_configmap(const std::string& ns, const std::string& name, std::mt19937_64& rng);
formats::Value make_secret(const std::string& ns, const std::string& name, std::mt19937_64& rng);
formats::Value make_service(const std::string& ns, const std::string& name, const std::string& app);
formats::Value make_widget(const std::string& ns, const std::string& name, int size);
std::string random_token(std::mt19937_64& rng, std::size_t length);

}  // namespace ktape::workload
