#pragma once
// Defaulting as a real kube-apiserver 1.32 applies it when it decodes a built-in object: the Go
// SetDefaults_* functions of the API types (one table, keyed by OpenAPI definition, so a PodSpec
// is defaulted wherever one appears: Pods and every pod template), then the OpenAPI `default`s of
// sim/data/openapi-defaults.json (what Go's serialization writes for a non-omitempty field left
// unset: `resources: {}`, `protocol: TCP`, `status.loadBalancer: {}`...). Fields that no Go
// struct has are dropped, as decoding drops them, and reported so that fieldValidation can
// refuse (Strict) or warn about them. Custom resources are left alone (see crd_schema.hpp).
#include <string>
#include <vector>

#include "formats/value.hpp"
#include "sim/resources.hpp"

namespace ktape::sim {

struct Decoded {
  // The unknown fields dropped, as the real strict decoder names them
  // ("spec.containers[0].imagePullPolicyy"), in document order.
  std::vector<std::string> unknown_fields;
  // Set when a value cannot be decoded into its Go type: the decoder's words ("illegal base64
  // data at input byte 3" for a []byte that is not base64).
  std::string error;
};

// Defaults `object` (of the built-in kind `info`) in place and drops its unknown fields. A kind
// without a schema (a custom resource) is left as it is.
Decoded apply_defaults(const ResourceInfo& info, formats::Value& object);

namespace detail {
// The Go defaulter of one OpenAPI definition ("io.k8s.api.core.v1.PodSpec"), or nullptr. It
// receives an object of that definition, before its children are defaulted (as Go's generated
// SetObjectDefaults_* call them).
using Defaulter = void (*)(formats::Value& object);
Defaulter find_go_defaulter(std::string_view definition);
}  // namespace detail

}  // namespace ktape::sim
