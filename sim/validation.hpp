#pragma once
// Validation of built-in objects as a real kube-apiserver 1.32 words it: every refused field is
// a cause of one 422 Invalid Status (`Kind[.group] "name" is invalid: field: message`, or
// `[...]` around several), the causes in the order the real validators find them. Checks are
// by kind, dispatched by table; a kind without checks of its own still gets the metadata ones.
#include <string>
#include <vector>

#include "formats/value.hpp"
#include "sim/api_error.hpp"
#include "sim/resources.hpp"

namespace ktape::sim {

struct Cause {
  std::string reason;   // "FieldValueInvalid", "FieldValueRequired", ...
  std::string field;    // "spec.containers[0].name"
  std::string message;  // "Invalid value: \"App_1\": a lowercase RFC 1123 label must..."
};

// Collects causes with the wording of k8s.io/apimachinery/pkg/util/validation/field.
class FieldErrors {
 public:
  // `value` is already printed as Go prints it (go_quote for strings).
  void invalid(std::string field, const std::string& value, const std::string& detail);
  void required(std::string field, const std::string& detail = {});
  void unsupported(std::string field, const std::string& value, const std::vector<std::string>& supported);
  void duplicate(std::string field, const std::string& value);
  void forbidden(std::string field, const std::string& detail);
  void not_found(std::string field, const std::string& value);
  void too_long(std::string field, const std::string& detail);
  bool empty() const { return m_causes.empty(); }
  const std::vector<Cause>& causes() const { return m_causes; }

 private:
  std::vector<Cause> m_causes;
};

// Go's %q of a string.
std::string go_quote(std::string_view s);
// Go's %#v of a JSON object of strings: map[string]string{"a":"b", "c":"d"} (keys sorted).
std::string go_string_map(const formats::Value& map);

// The 422 for `causes` on the object `name` of `info`.
ApiError err_invalid_causes(const ResourceInfo& info, std::string_view name,
                            const std::vector<Cause>& causes);

// Validates a new object (defaulted, with its server-set fields) of `info`; an ApiError 422 when
// anything is refused.
ApiResult<void> validate_create(const ResourceInfo& info, const formats::Value& object);
// Validates an update of `old` to `object`: everything validate_create checks, then what may
// not change (immutable fields).
ApiResult<void> validate_update(const ResourceInfo& info, const formats::Value& old,
                                const formats::Value& object);

namespace detail {
// One kind's checks; `old` is nullptr on create.
using Validator = void (*)(const formats::Value& object, const formats::Value* old, FieldErrors& errors);
Validator find_validator(const ResourceInfo& info);
// The metadata checks every kind gets (names of labels and annotations, their values, owner
// references).
void validate_metadata(const formats::Value& object, FieldErrors& errors);
// ValidateObjectMetaUpdate's immutable fields: name, namespace, uid, creationTimestamp,
// deletionTimestamp and deletionGracePeriodSeconds of `object` as they are in `old` (after
// restore_server_metadata put back what an update may leave out).
void validate_metadata_update(const formats::Value& object, const formats::Value& old, FieldErrors& errors);
// A PodSpec at `path` ("spec", "spec.template.spec"). `claim_templates` names volumes that a
// StatefulSet's volumeClaimTemplates provide (mounts may refer to them).
void validate_pod_spec(const formats::Value& spec, const std::string& path, FieldErrors& errors,
                       const std::vector<std::string>& claim_templates = {});
// What a Pod update may not change (everything in spec but images, activeDeadlineSeconds,
// added tolerations and terminationGracePeriodSeconds).
void validate_pod_update(const formats::Value& object, const formats::Value& old, FieldErrors& errors);
// The label checks of a map at `path` (metadata.labels, a selector's matchLabels...).
void validate_labels(const formats::Value* labels, const std::string& path, FieldErrors& errors);
// nullopt when `key` is a qualified name ("prefix/name"), else the cause message.
std::optional<std::string> check_qualified_name(std::string_view key);
}  // namespace detail

}  // namespace ktape::sim
