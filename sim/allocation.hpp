#pragma once
// Service ClusterIPs and NodePorts, allocated as a real kube-apiserver does: ClusterIPs from
// 10.96.0.0/16 (realk8s's --service-cluster-ip-range; 10.96.0.1 is the kubernetes Service's),
// NodePorts from 30000-32767, a requested one reserved when free, the real 422 when it is taken
// or out of range. Thread-safe; the Store owns one and releases what a deleted Service held.
#include <cstdint>
#include <mutex>
#include <random>
#include <set>

#include "formats/value.hpp"
#include "sim/api_error.hpp"

namespace ktape::sim {

class ServiceAllocator {
 public:
  ServiceAllocator();

  // Fills spec.clusterIP(s), ipFamilies, ipFamilyPolicy and nodePorts of a new Service (already
  // defaulted) and reserves them; `reserve` false (a dry run) picks without reserving. On an
  // error nothing stays reserved.
  ApiResult<void> allocate(formats::Value& service, bool reserve);
  // An update: what the new object leaves out is kept from `old` (as the real registry does),
  // nodePorts a new NodePort port needs are allocated, and those it no longer uses released.
  ApiResult<void> update(const formats::Value& old, formats::Value& service, bool reserve);
  // Returns what `service` held to the pools.
  void release(const formats::Value& service);
  // Marks what a stored `service` holds as taken (loading a dump).
  void mark(const formats::Value& service);

 private:
  ApiResult<void> allocate_ip(formats::Value& spec, const std::string& name, bool reserve);
  ApiResult<void> allocate_ports(formats::Value& spec, const formats::Value* old_spec, bool reserve);

  std::mutex m_mu;
  std::set<std::uint32_t> m_ips;  // host order
  std::set<std::int64_t> m_ports;
  std::mt19937 m_rng;
};

}  // namespace ktape::sim
