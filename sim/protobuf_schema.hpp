#pragma once
// ktape's own table of the Kubernetes protobuf messages that kubectl's typed generators send
// (`kubectl create namespace|configmap|secret|deployment|job|cronjob|service|...`) and the types
// they contain: for each message, field number -> JSON name and how to turn the value into JSON.
// The numbers and names are facts from the Kubernetes API's published generated.proto files
// (k8s.io/api core/v1, apps/v1, batch/v1, rbac/v1, networking/v1, policy/v1, scheduling/v1,
// autoscaling/v1, and apimachinery's meta/v1, api/resource and util/intstr).
#include <cstdint>
#include <string_view>
#include <vector>

namespace ktape::sim::protobuf {

enum class FieldKind : std::uint8_t {
  string,
  boolean,
  int32,
  int64,
  bytes,           // base64 in JSON
  message,         // a nested message, named by FieldSchema::message
  inline_message,  // a Go embedded struct: its fields are written into the enclosing JSON object
  string_map,      // map<string, string>
  bytes_map,       // map<string, bytes>: values base64
  quantity_map,    // map<string, resource.Quantity>
  quantity,        // resource.Quantity -> its string
  int_or_string,   // intstr.IntOrString -> a JSON number or string
  time,            // metav1.Time -> RFC 3339 in seconds
  micro_time,      // metav1.MicroTime -> RFC 3339 in microseconds
  duration,        // metav1.Duration -> Go's duration text ("1h2m3s")
};

enum FieldFlag : std::uint8_t {
  k_repeated = 1,
  // Written even when zero or empty: a pointer in the Go type (present on the wire only when
  // set, so an explicit 0, false, "" or {} means something) or a JSON field without omitempty.
  k_keep_zero = 2,
};

struct FieldSchema {
  std::uint32_t number = 0;
  std::string_view json;
  FieldKind kind = FieldKind::string;
  std::string_view message;  // for message and inline_message
  std::uint8_t flags = 0;

  bool repeated() const { return flags & k_repeated; }
  bool keep_zero() const { return flags & k_keep_zero; }
};

struct MessageSchema {
  std::string_view name;  // "v1 PodSpec", "apps/v1 DeploymentSpec", "meta/v1 ObjectMeta"
  std::vector<FieldSchema> fields;

  // nullptr when the message has no field `number`.
  const FieldSchema* field(std::uint32_t number) const;
};

// The message of a named type; nullptr when the table does not have it.
const MessageSchema* find_message(std::string_view name);
// The top-level message for an object of `api_version` and `kind` ("apps/v1", "Deployment");
// nullptr when the table does not have that kind.
const MessageSchema* find_kind(std::string_view api_version, std::string_view kind);

}  // namespace ktape::sim::protobuf
