// check: the pre-flight, every problem at once.
#include <charconv>

#include "restore/restore.hpp"
#include "store/digest.hpp"

namespace ktape::restore {

namespace {

// The sidecar only: that every document parses and applies, make_plan already found while reading
// the state (its errors name the file, document and line).
void check_file(const RestoreOptions& options, Preflight& out) {
  auto integrity = store::verify_sidecar(options.path);
  if (!integrity) {
    out.problems.push_back(options.path + ": " + integrity.error().message);
  } else if (*integrity == store::Integrity::missing_sidecar) {
    out.warnings.push_back(options.path + ": no .sha256 sidecar: its integrity cannot be checked");
  } else if (*integrity == store::Integrity::mismatch) {
    out.problems.push_back(options.path +
                           ": does not match its .sha256 sidecar (corrupt or changed; see ktape verify)");
  }
}

// "v1.32.1" -> {1, 32}; nullopt when it does not read so.
std::optional<std::pair<int, int>> major_minor(std::string_view version) {
  if (!version.empty() && version.front() == 'v') version.remove_prefix(1);
  int major = 0, minor = 0;
  auto [p, ec] = std::from_chars(version.data(), version.data() + version.size(), major);
  if (ec != std::errc() || p == version.data() + version.size() || *p != '.') return std::nullopt;
  auto [q, ec2] = std::from_chars(p + 1, version.data() + version.size(), minor);
  if (ec2 != std::errc()) return std::nullopt;
  return std::pair{major, minor};
}

void check_version(kube::Client& client, const Plan& plan, Preflight& out) {
  auto recorded = major_minor(plan.recorded_server_version);
  if (!recorded) return;
  auto served = client.server_version();
  if (!served) {
    out.warnings.push_back("the target's /version: " + served.error().message);
    return;
  }
  auto target_version = std::string(served->string_at({"gitVersion"}));
  auto target = major_minor(target_version);
  if (!target) return;
  if (target->first != recorded->first) {
    out.problems.push_back("recorded from Kubernetes " + plan.recorded_server_version + ", the target is " +
                           target_version + ": another major version");
  } else if (target->second != recorded->second) {
    out.warnings.push_back("recorded from Kubernetes " + plan.recorded_server_version + ", the target is " +
                           target_version + " (minor version skew)");
  }
}

void check_deletes(const RestoreOptions& options, const Plan& plan, Preflight& out) {
  auto deletes = plan.count(Action::remove);
  auto limit = options.max_delete.value_or(plan.live_selected / 10);
  if (deletes <= limit) return;
  std::string line = "the plan deletes " + std::to_string(deletes) + " of the target's " +
                     std::to_string(plan.live_selected) + " selected objects, more than ";
  line += options.max_delete ? "--max-delete " + std::to_string(limit)
                             : std::to_string(limit) + " (10%; raise it with --max-delete N)";
  out.problems.push_back(line);
}

}  // namespace

Preflight check(kube::Client& client, const RestoreOptions& options, const Plan& plan) {
  Preflight out;
  check_file(options, out);
  for (const auto& r : plan.unserved)
    out.problems.push_back("the target serves no " + r + " and the recorded state has no CRD defining it");
  for (const auto& ns : plan.missing_namespaces)
    out.problems.push_back(
        "namespace " + ns +
        " is neither in the target nor in the recorded state (create it, or select it out)");
  check_version(client, plan, out);
  check_deletes(options, plan, out);
  return out;
}

}  // namespace ktape::restore
