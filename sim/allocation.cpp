#include "sim/allocation.hpp"

#include <charconv>
#include <vector>

#include "sim/validation.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

constexpr std::uint32_t k_net = (10u << 24) | (96u << 16);  // 10.96.0.0/16
constexpr std::uint32_t k_size = 1u << 16;
constexpr std::int64_t k_port_min = 30000, k_port_max = 32767;  // --service-node-port-range

std::string ip_text(std::uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

std::optional<std::uint32_t> parse_ip(std::string_view text) {
  std::uint32_t ip = 0;
  int parts = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end && parts < 4) {
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || octet > 255) return std::nullopt;
    ip = (ip << 8) | octet;
    ++parts;
    p = next;
    if (p < end && *p == '.') ++p;
  }
  if (parts != 4 || p != end) return std::nullopt;
  return ip;
}

bool needs_ip(const Value& spec) {
  return spec.string_at({"type"}) != "ExternalName" && spec.string_at({"clusterIP"}) != "None";
}

bool needs_node_ports(const Value& spec) {
  std::string_view type = spec.string_at({"type"});
  if (type == "NodePort") return true;
  const Value* alloc = spec.find("allocateLoadBalancerNodePorts");
  return type == "LoadBalancer" && !(alloc && alloc->is_bool() && !alloc->as_bool());
}

std::string printed_ips(std::string_view ip) { return "[]string{" + go_quote(ip) + "}"; }

ApiError invalid_service(const Value& service, const std::string& field, const std::string& value,
                         const std::string& detail) {
  ResourceInfo info;
  info.kind = "Service";
  FieldErrors errors;
  errors.invalid(field, value, detail);
  return err_invalid_causes(info, service.string_at({"metadata", "name"}), errors.causes());
}

}  // namespace

ServiceAllocator::ServiceAllocator() : m_rng(std::random_device{}()) {
  m_ips.insert(k_net | 1);  // the kubernetes Service
}

ApiResult<void> ServiceAllocator::allocate_ip(Value& spec, const std::string& name, bool reserve) {
  std::string given(spec.string_at({"clusterIP"}));
  if (given.empty()) {
    std::uniform_int_distribution<std::uint32_t> pick(2, k_size - 2);
    std::uint32_t ip = 0;
    for (int tries = 0; tries < 1000 && (ip == 0 || m_ips.count(ip)); ++tries) ip = k_net | pick(m_rng);
    if (m_ips.count(ip)) return tl::unexpected(err_internal("failed to allocate a serviceIP: range is full"));
    if (reserve) m_ips.insert(ip);
    spec.set("clusterIP", ip_text(ip));
  } else {
    auto ip = parse_ip(given);
    Value svc = Value::object();
    svc["metadata"].set("name", name);
    if (!ip || (*ip & 0xffff0000u) != k_net || (*ip & 0xffffu) == 0 || (*ip & 0xffffu) == 0xffffu)
      return tl::unexpected(
          invalid_service(svc, "spec.clusterIPs", printed_ips(given),
                          "failed to allocate IP " + given + ": the provided IP (" + given +
                              ") is not in the valid range. The range of valid IPs is 10.96.0.0/16"));
    if (m_ips.count(*ip))
      return tl::unexpected(
          invalid_service(svc, "spec.clusterIPs", printed_ips(given),
                          "failed to allocate IP " + given + ": provided IP is already allocated"));
    if (reserve) m_ips.insert(*ip);
  }
  spec.set("clusterIPs", formats::Array{Value(spec.string_at({"clusterIP"}))});
  return {};
}

ApiResult<void> ServiceAllocator::allocate_ports(Value& spec, const Value* old_spec, bool reserve) {
  Value* ports = spec.find("ports");
  if (!ports || !ports->is_array() || !needs_node_ports(spec)) return {};
  std::vector<std::int64_t> taken;
  for (std::size_t i = 0; i < ports->size(); ++i) {
    Value& p = ports->as_array()[i];
    const Value* given = p.find("nodePort");
    auto port = given && given->is_number() ? given->as_int64().value_or(0) : 0;
    bool kept = false;
    if (old_spec)
      if (const Value* old_ports = old_spec->find("ports"); old_ports && old_ports->is_array())
        for (const Value& op : old_ports->as_array())
          if (op.find("nodePort") &&
              (port == 0 ? op.find("port") && p.find("port") && *op.find("port") == *p.find("port")
                         : op.find("nodePort")->as_int64() == port)) {
            port = op.find("nodePort")->as_int64().value_or(0);
            kept = true;
          }
    if (kept) {
      p.set("nodePort", port);
      continue;
    }
    if (port == 0) {
      std::uniform_int_distribution<std::int64_t> pick(k_port_min, k_port_max);
      for (int tries = 0; tries < 5000 && (port == 0 || m_ports.count(port)); ++tries) port = pick(m_rng);
    } else {
      std::string field = "spec.ports[" + std::to_string(i) + "].nodePort";
      Value svc = Value::object();
      std::string detail;
      if (port < k_port_min || port > k_port_max)
        detail = "provided port is not in the valid range. The range of valid ports is 30000-32767";
      else if (m_ports.count(port))
        detail = "provided port is already allocated";
      if (!detail.empty()) {
        if (reserve)
          for (auto t : taken) m_ports.erase(t);
        ApiError e = invalid_service(svc, field, std::to_string(port), detail);
        return tl::unexpected(std::move(e));
      }
    }
    if (reserve) m_ports.insert(port), taken.push_back(port);
    p.set("nodePort", port);
  }
  return {};
}

ApiResult<void> ServiceAllocator::allocate(Value& service, bool reserve) {
  Value* spec = service.find("spec");
  if (!spec || !spec->is_object()) return {};
  std::lock_guard lock(m_mu);
  std::string name(service.string_at({"metadata", "name"}));
  if (needs_ip(*spec)) {
    if (auto ok = allocate_ip(*spec, name, reserve); !ok) return ok;
  } else if (spec->string_at({"clusterIP"}) == "None") {
    spec->set("clusterIPs", formats::Array{Value("None")});
  }
  if (spec->string_at({"type"}) != "ExternalName") {
    if (!spec->find("ipFamilies")) spec->set("ipFamilies", formats::Array{Value("IPv4")});
    if (!spec->find("ipFamilyPolicy")) spec->set("ipFamilyPolicy", "SingleStack");
  }
  auto ports = allocate_ports(*spec, nullptr, reserve);
  if (!ports && reserve && needs_ip(*spec))
    if (auto ip = parse_ip(spec->string_at({"clusterIP"}))) m_ips.erase(*ip);
  if (!ports) {
    Value& details = ports.error().details;
    details.set("name", name);
    ports.error().message.replace(ports.error().message.find("\"\""), 2, go_quote(name));
  }
  return ports;
}

ApiResult<void> ServiceAllocator::update(const Value& old, Value& service, bool reserve) {
  Value* spec = service.find("spec");
  const Value* old_spec = old.find("spec");
  if (!spec || !spec->is_object() || !old_spec) return {};
  std::lock_guard lock(m_mu);
  for (const char* key : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"}) {
    const Value* was = old_spec->find(key);
    const Value* now = spec->find(key);
    if (was && (!now || (now->is_string() && now->as_string().empty()))) spec->set(key, *was);
  }
  auto ports = allocate_ports(*spec, old_spec, reserve);
  if (!ports) {
    std::string name(service.string_at({"metadata", "name"}));
    ports.error().details.set("name", name);
    ports.error().message.replace(ports.error().message.find("\"\""), 2, go_quote(name));
  }
  return ports;
}

void ServiceAllocator::release(const Value& service) {
  std::lock_guard lock(m_mu);
  if (auto ip = parse_ip(service.string_at({"spec", "clusterIP"}))) m_ips.erase(*ip);
  if (const Value* ports = service.at({"spec", "ports"}); ports && ports->is_array())
    for (const Value& p : ports->as_array())
      if (const Value* n = p.find("nodePort"); n && n->is_number()) m_ports.erase(n->as_int64().value_or(0));
}

void ServiceAllocator::mark(const Value& service) {
  std::lock_guard lock(m_mu);
  if (auto ip = parse_ip(service.string_at({"spec", "clusterIP"}))) m_ips.insert(*ip);
  if (const Value* ports = service.at({"spec", "ports"}); ports && ports->is_array())
    for (const Value& p : ports->as_array())
      if (const Value* n = p.find("nodePort"); n && n->is_number()) m_ports.insert(n->as_int64().value_or(0));
}

}  // namespace ktape::sim
