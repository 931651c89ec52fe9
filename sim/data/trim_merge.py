#!/usr/bin/env python3
"""Writes sim/data/openapi-merge.json from a real kube-apiserver's OpenAPI v3 documents.

usage: trim_merge.py DIR > openapi-merge.json
  DIR holds the documents as `kubectl get --raw /openapi/v3/<path>` answers them, one file per
  group-version (the names do not matter), as for trim_openapi.py.

Server-side apply and managedFields need, per definition, how its lists and maps merge: the
`x-kubernetes-list-type` (map, with its `x-kubernetes-list-map-keys`, or set; atomic is the
default and is left out) of each list property, and which objects are atomic
(`x-kubernetes-map-type: atomic`, on a property or on a whole definition). Where each property
leads is in openapi-defaults.json already.

Output shape:
  {"atomic": ["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector", ...],
   "properties": {"io.k8s.api.core.v1.Container": {"ports": {"list": "map", "keys": ["containerPort",
   "protocol"]}, "args": ...}, ...}}
  where a property is {"list": "map", "keys": [...]}, {"list": "set"} or {"map": "atomic"}, with
  "zero": "null" when the field is a required list or object (null in the Go zero value).
"""
import json
import os
import sys


def entry(schema):
    out = {}
    lt = schema.get("x-kubernetes-list-type")
    if lt == "map":
        out = {"list": "map", "keys": schema.get("x-kubernetes-list-map-keys", [])}
    elif lt == "set":
        out = {"list": "set"}
    if schema.get("x-kubernetes-map-type") == "atomic":
        out["map"] = "atomic"
    return out


def main():
    atomic, props, seen = set(), {}, set()
    folder = sys.argv[1]
    for name in sorted(os.listdir(folder)):
        doc = json.load(open(os.path.join(folder, name)))
        for sname, schema in doc.get("components", {}).get("schemas", {}).items():
            if sname in seen:
                continue
            seen.add(sname)
            if schema.get("x-kubernetes-map-type") == "atomic":
                atomic.add(sname)
            required = set(schema.get("required") or [])
            for p, ps in sorted((schema.get("properties") or {}).items()):
                e = entry(ps)
                # a required list or object without a default is a Go field without omitempty:
                # it is null in the type's zero value, so it is never "added" as a whole
                if p in required and "default" not in ps and (ps.get("type") in ("array", "object")
                                                              or "allOf" in ps or "$ref" in ps):
                    e["zero"] = "null"
                if e:
                    props.setdefault(sname, {})[p] = e
    json.dump({"atomic": sorted(atomic), "properties": props}, sys.stdout, separators=(",", ":"),
              sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
