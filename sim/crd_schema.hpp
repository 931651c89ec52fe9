#pragma once
// Custom resources under their CRD's structural schema, as the apiextensions-apiserver treats
// them on every write: `default`s applied where a field is absent (objects, nested, inside array
// items), then fields the schema does not declare pruned (unless x-kubernetes-preserve-unknown-
// fields). apiVersion, kind and metadata are always kept.
#include <string>
#include <vector>

#include "formats/value.hpp"

namespace ktape::sim {

// The openAPIV3Schema of `version` in the CustomResourceDefinition `crd`, nullptr when it has
// none.
const formats::Value* crd_version_schema(const formats::Value& crd, std::string_view version);

// Applies `schema` to the custom object in place; returns the pruned fields' paths
// (".spec.unknown", the form the real server's warnings use).
std::vector<std::string> apply_structural_schema(const formats::Value& schema, formats::Value& object);

}  // namespace ktape::sim
