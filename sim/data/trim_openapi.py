#!/usr/bin/env python3
"""Writes sim/data/openapi-defaults.json from a real kube-apiserver's OpenAPI v3 documents.

usage: trim_openapi.py DIR > openapi-defaults.json
  DIR holds the documents as `kubectl get --raw /openapi/v3/<path>` answers them, one file per
  group-version (api_v1.json, apis_apps_v1.json, ...); the names do not matter.

The simulated cluster needs, per definition, the property names (for fieldValidation=Strict),
where each property leads (a definition, an array of one, a map of one), the `default` values the
real server's OpenAPI declares (they are what Go's serialization of a non-omitempty field writes,
plus the +default markers), and which strings are base64 bytes (`format: byte`). Descriptions,
types and validations are dropped; `kinds` maps "group/version/Kind" to its definition.

Output shape:
  {"kinds": {"apps/v1/Deployment": "io.k8s.api.apps.v1.Deployment", ...},
   "schemas": {"io.k8s.api.apps.v1.Deployment": {"spec": {"ref": "...", "default": {}}, ...}}}
  where a property is {"ref": D} (an object of definition D), {"items": D} (an array of D),
  {"map": D} (a map of D), each optional, with "default" and "byte": true (a base64 string, or an
  array or map of them) when they apply.
"""
import json
import os
import sys

PREFIX = "#/components/schemas/"


def target(schema):
    """The definition a schema refers to, directly or through allOf."""
    if "$ref" in schema:
        return schema["$ref"][len(PREFIX):]
    for sub in schema.get("allOf", []):
        if "$ref" in sub:
            return sub["$ref"][len(PREFIX):]
    return None


def prop_entry(schema):
    entry = {}
    ref = target(schema)
    if ref:
        entry["ref"] = ref
    items = schema.get("items")
    if isinstance(items, dict):
        if target(items):
            entry["items"] = target(items)
        if items.get("format") == "byte":
            entry["byte"] = True
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        if target(extra):
            entry["map"] = target(extra)
        if extra.get("format") == "byte":
            entry["byte"] = True
    if schema.get("format") == "byte":
        entry["byte"] = True
    if "default" in schema:
        entry["default"] = schema["default"]
    return entry


def main():
    schemas, kinds = {}, {}
    folder = sys.argv[1]
    for name in sorted(os.listdir(folder)):
        doc = json.load(open(os.path.join(folder, name)))
        for sname, schema in doc.get("components", {}).get("schemas", {}).items():
            if sname.endswith("List") or sname in schemas:
                continue
            props = schema.get("properties")
            if not isinstance(props, dict):
                continue
            schemas[sname] = {p: prop_entry(s) for p, s in sorted(props.items())}
            for gvk in schema.get("x-kubernetes-group-version-kind", []):
                key = (gvk["group"] + "/" if gvk["group"] else "") + gvk["version"] + "/" + gvk["kind"]
                if key not in kinds and gvk["kind"] == sname.rsplit(".", 1)[-1]:
                    kinds[key] = sname
    json.dump({"kinds": dict(sorted(kinds.items())), "schemas": schemas}, sys.stdout,
              separators=(",", ":"), sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
