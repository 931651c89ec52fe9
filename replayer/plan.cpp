// --dry-run's plan: for each object the replay would create, the owner references it would
// re-link (naming the owner by what the recording says it is: new UIDs do not exist yet), the
// ones it would drop or keep dangling, and whether the target already holds it.
#include <cstdio>

#include "ownerref/refs.hpp"
#include "replayer/run.hpp"

namespace ktape::replayer {

std::string format_offset(std::chrono::nanoseconds at) {
  char text[32];
  std::snprintf(text, sizeof text, "+%.3fs", static_cast<double>(at.count()) / 1e9);
  return text;
}

std::string plan_skip(std::string_view at, const std::string& label, const std::string& why) {
  std::string line(at);
  if (!line.empty()) line += " ";
  return line + "skip " + label + ": " + why;
}

namespace {

std::string owner_line(const Run& run, const ownerref::OwnerRef& ref,
                       std::optional<std::chrono::nanoseconds> at) {
  std::string line = "    ownerReference " + ownerref::describe(ref);
  auto it = ref.uid.empty() ? run.creates.end() : run.creates.find(ref.uid);
  if (it == run.creates.end())
    return line + (run.relinker.policy() == ownerref::DanglingOwners::keep
                       ? ": not created by this replay; kept with its old UID (--keep-dangling-owners)"
                       : ": not created by this replay; dropped");
  line += " -> the re-created " + it->second.label;
  if (!it->second.at) return line + " (snapshot)";
  line += " (created at " + format_offset(*it->second.at);
  if (at && *it->second.at > *at) line += "; this create waits for it";
  return line + ")";
}

// What --on-existing does with an object the target already holds; "" when it does not.
std::string existing(Run& run, const kube::ApiResource& resource, const formats::Value& object) {
  std::string ns(resource.namespaced ? object.string_at({"metadata", "namespace"}) : "");
  auto got = run.client.get(resource, ns, object.string_at({"metadata", "name"}));
  if (!got)
    return is_not_found(got.error()) ? "" : "(the target could not be read: " + got.error().message + ")";
  switch (run.options.on_existing) {
    case OnExisting::update:
      return "(exists in the target: updated, --on-existing update)";
    case OnExisting::recreate:
      return "(exists in the target: deleted and created again, --on-existing recreate)";
    case OnExisting::skip:
      break;
  }
  return "exists in the target (--on-existing skip; its UID is mapped)";
}

}  // namespace

std::string plan_create(Run& run, const kube::ApiResource& resource, const formats::Value& object,
                        std::optional<std::chrono::nanoseconds> at) {
  std::string prefix = at ? format_offset(*at) + " " : "";
  std::string label = ownerref::describe_object(object);
  std::string there = existing(run, resource, object);
  if (!there.empty() && there.front() != '(') return plan_skip(at ? format_offset(*at) : "", label, there);
  std::string plan = prefix + "create " + label + (there.empty() ? "" : " " + there);
  for (const auto& ref : ownerref::owner_refs_of(object)) plan.append("\n").append(owner_line(run, ref, at));
  return plan;
}

}  // namespace ktape::replayer
