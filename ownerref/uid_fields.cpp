// The table of UID fields (uid_fields.hpp). Sources: the Kubernetes API reference (every type
// with an ObjectReference or another reference that has a uid), kube-controller-manager's Job
// controller (the controller-uid labels and the generated selector) and the token controller
// (the service-account.uid annotation).
#include "ownerref/uid_fields.hpp"

namespace ktape::ownerref {

namespace {

// The Job controller's labels: the current name and the one older clusters still set.
constexpr std::string_view k_job_uid = "batch.kubernetes.io/controller-uid";
constexpr std::string_view k_legacy_job_uid = "controller-uid";

// NOLINTNEXTLINE(readability-function-size): a data table
std::vector<UidField> make_table() {
  using P = std::vector<std::string_view>;
  const P manual{"spec", "manualSelector"};
  const P selector{"spec", "selector"};
  return {
      // batch/v1 Job: the apiserver generates the selector and the template's labels from the
      // Job's own UID and refuses them from a client (422 "selector not auto-generated").
      {"batch", "Job", P{"spec", "selector", "matchLabels", k_job_uid}, Relink::generated, selector, manual,
       "the Job itself (its generated selector)"},
      {"batch", "Job", P{"spec", "selector", "matchLabels", k_legacy_job_uid}, Relink::generated, selector,
       manual, "the Job itself (its generated selector, legacy label)"},
      {"batch", "Job", P{"spec", "template", "metadata", "labels", k_job_uid}, Relink::generated,
       P{"spec", "template", "metadata", "labels", k_job_uid}, manual, "the Job itself (its Pod template)"},
      {"batch", "Job", P{"spec", "template", "metadata", "labels", k_legacy_job_uid}, Relink::generated,
       P{"spec", "template", "metadata", "labels", k_legacy_job_uid}, manual,
       "the Job itself (its Pod template, legacy label)"},
      // The Job's Pods carry the same labels, which its selector matches.
      {"", "Pod", P{"metadata", "labels", k_job_uid}, Relink::map, {}, {}, "the Pod's Job"},
      {"",
       "Pod",
       P{"metadata", "labels", k_legacy_job_uid},
       Relink::map,
       {},
       {},
       "the Pod's Job (legacy label)"},
      // batch/v1 CronJob: the Jobs it is running.
      {"batch", "CronJob", P{"status", "active", "*", "uid"}, Relink::map, {}, {}, "a running Job"},
      // core/v1 ObjectReferences.
      {"",
       "PersistentVolume",
       P{"spec", "claimRef", "uid"},
       Relink::map,
       {},
       {},
       "the bound PersistentVolumeClaim"},
      {"",
       "Endpoints",
       P{"subsets", "*", "addresses", "*", "targetRef", "uid"},
       Relink::map,
       {},
       {},
       "the endpoint's Pod"},
      {"",
       "Endpoints",
       P{"subsets", "*", "notReadyAddresses", "*", "targetRef", "uid"},
       Relink::map,
       {},
       {},
       "the endpoint's Pod (not ready)"},
      {"", "Event", P{"involvedObject", "uid"}, Relink::map, {}, {}, "the object the Event is about"},
      {"", "Event", P{"related", "uid"}, Relink::map, {}, {}, "a second object of the Event"},
      {"", "ServiceAccount", P{"secrets", "*", "uid"}, Relink::map, {}, {}, "a token Secret"},
      {"",
       "Secret",
       P{"metadata", "annotations", "kubernetes.io/service-account.uid"},
       Relink::map,
       {},
       {},
       "the token's ServiceAccount"},
      // discovery.k8s.io/v1 EndpointSlice.
      {"discovery.k8s.io",
       "EndpointSlice",
       P{"endpoints", "*", "targetRef", "uid"},
       Relink::map,
       {},
       {},
       "the endpoint's Pod"},
      // events.k8s.io/v1 Event.
      {"events.k8s.io", "Event", P{"regarding", "uid"}, Relink::map, {}, {}, "the object the Event is about"},
      {"events.k8s.io", "Event", P{"related", "uid"}, Relink::map, {}, {}, "a second object of the Event"},
      // resource.k8s.io ResourceClaim (dynamic resource allocation): the Pods that reserve it.
      {"resource.k8s.io",
       "ResourceClaim",
       P{"status", "reservedFor", "*", "uid"},
       Relink::map,
       {},
       {},
       "a consumer of the claim"},
  };
}

}  // namespace

std::span<const UidField> uid_fields() {
  static const std::vector<UidField> k_table = make_table();
  return k_table;
}

std::vector<const UidField*> uid_fields_of(std::string_view group, std::string_view kind) {
  std::vector<const UidField*> out;
  for (const UidField& field : uid_fields())
    if (field.kind == kind && field.group == group) out.push_back(&field);
  return out;
}

std::string describe_path(std::span<const std::string_view> path) {
  std::string out;
  for (std::string_view segment : path) {
    if (segment == "*") {
      out += "[*]";
    } else if (segment.find_first_of("./") != std::string_view::npos) {
      out += '[';
      out += segment;
      out += ']';
    } else {
      if (!out.empty()) out += '.';
      out += segment;
    }
  }
  return out;
}

}  // namespace ktape::ownerref
