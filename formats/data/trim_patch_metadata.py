#!/usr/bin/env python3
"""Writes formats/data/patch-metadata.json from the full table captured from kube-apiserver 1.32.

usage: trim_patch_metadata.py /work/shared/k8s-reference/patch-metadata.json > patch-metadata.json

Strategic merge patch only needs, per definition, the properties that carry a patch strategy or a
merge key, or that lead (through ref / list / map) to a definition that does. Everything else
(listType, listMapKeys, mapType, definitions without any directive below them) behaves exactly as
having no metadata, so it is dropped. Every root is kept, so that "is this a built-in type" stays
answerable; a root whose definition was dropped is a built-in type without directives.
"""
import json
import sys


def main():
    full = json.load(open(sys.argv[1]))
    defs = full["definitions"]

    def target(prop):
        return prop.get("ref") or prop.get("list") or prop.get("map")

    keep = set()
    changed = True
    while changed:  # fixed point: a definition is kept when anything below it carries a directive
        changed = False
        for name, props in defs.items():
            if name in keep:
                continue
            for prop in props.values():
                if "strategy" in prop or "mergeKey" in prop or target(prop) in keep:
                    keep.add(name)
                    changed = True
                    break

    out_defs = {}
    for name in sorted(keep):
        out = {}
        for pname, prop in sorted(defs[name].items()):
            t = target(prop)
            if not ("strategy" in prop or "mergeKey" in prop or t in keep):
                continue
            entry = {}
            for shape in ("ref", "list", "map"):
                if shape in prop:
                    entry[shape] = prop[shape] if prop[shape] in keep else ""
            for field in ("mergeKey", "strategy"):
                if field in prop:
                    entry[field] = prop[field]
            out[pname] = entry
        out_defs[name] = out

    result = {"roots": dict(sorted(full["roots"].items())), "definitions": out_defs}
    json.dump(result, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
