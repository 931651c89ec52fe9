#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets of fuzz/, generated from testdata/ (not committed: run by
scripts/fuzz.sh into its build directory). Usage: fuzz-seeds.py OUT_DIR; writes OUT_DIR/TARGET/*."""
import gzip
import hashlib
import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(sys.argv[1])


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = OUT / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def objects():
    """Every Kubernetes object in testdata: whole YAML documents, and the manifests the fidelity
    cases pass to kubectl on stdin."""
    found = []
    for path in sorted((ROOT / "testdata").rglob("*.yaml")):
        try:
            docs = list(yaml.safe_load_all(path.read_text()))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for doc in docs:
            if isinstance(doc, dict) and "kind" in doc and "apiVersion" in doc:
                found.append(doc)
            for step in (doc or {}).get("steps", []) if isinstance(doc, dict) else []:
                if isinstance(step, dict) and isinstance(step.get("stdin"), str):
                    try:
                        found += [d for d in yaml.safe_load_all(step["stdin"]) if isinstance(d, dict)]
                    except yaml.YAMLError:
                        pass
    return [json.loads(json.dumps(o, default=str)) for o in found]


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def protobuf_body(api_version, kind, name, data=None):
    meta = field(1, name.encode())
    obj = field(1, meta)
    for key, value in (data or {}).items():  # ConfigMap.data is field 2, map<string,string>
        obj += field(2, field(1, key.encode()) + field(2, value.encode()))
    type_meta = field(1, api_version.encode()) + field(2, kind.encode())
    return b"k8s\0" + field(1, type_meta) + field(2, obj)


def http(method, target, body=b"", content_type="application/json", extra=""):
    head = f"{method} {target} HTTP/1.1\r\nHost: fuzz\r\nContent-Type: {content_type}\r\n{extra}"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def main():
    objs = objects()
    for path in sorted((ROOT / "testdata").rglob("*")):
        if path.is_file() and path.suffix in (".yaml", ".gz"):
            raw = path.read_bytes()
            put("reader", b"p" + raw)
            if path.suffix == ".yaml" and len(raw) < 4096:
                put("reader", b"g" + raw)
                put("reader", b"z" + raw)
        if path.is_file() and "kubeconfig" in path.parts:
            put("kubeconfig", path.read_bytes())
    put("reader", b"p" + gzip.compress(b"a: 1\n---\nb: [1, 2]\n"))
    for o in objs[:200]:
        text = json.dumps(o, separators=(",", ":"))
        put("json", text)
        put("reader", "p" + yaml.safe_dump(o, sort_keys=False))
        put("watch", json.dumps({"type": "ADDED", "object": o}, separators=(",", ":")))
        put("watch", json.dumps({"type": "MODIFIED", "object": o}))
        meta = o.get("metadata", {}) if isinstance(o.get("metadata"), dict) else {}
        labelled = json.loads(text)
        labelled.setdefault("metadata", {})["labels"] = {"fuzz": "yes"}
        put("patch", "s" + text + "\n---\n" + json.dumps(labelled))
        put("patch", "m" + text + "\n---\n" + json.dumps({"metadata": {"labels": {"a": None}}}))
        put("patch", "j" + text + "\n---\n" +
            json.dumps([{"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
                        {"op": "remove", "path": "/metadata/name"}]))
        kind = o.get("kind", "")
        plural = kind.lower() + "s"
        api = "/api/v1" if o.get("apiVersion") == "v1" else "/apis/" + str(o.get("apiVersion"))
        ns = "/namespaces/default" if kind not in ("Namespace", "ClusterRole", "PriorityClass") else ""
        put("sim_request", http("POST", f"{api}{ns}/{plural}", text.encode()))
        name = meta.get("name", "x")
        put("sim_request", http("PATCH", f"{api}{ns}/{plural}/{name}",
                                json.dumps({"metadata": {"labels": {"p": "q"}}}).encode(),
                                "application/strategic-merge-patch+json"))
    put("watch", '{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12"}}}')
    put("watch", '{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","code":410,"reason":"Expired"}}')
    for body in (protobuf_body("v1", "Namespace", "ns1"), protobuf_body("v1", "ConfigMap", "cm", {"k": "v"}),
                 protobuf_body("apps/v1", "Deployment", "web"), protobuf_body("v1", "Secret", "s")):
        put("protobuf", body)
        put("sim_request", http("POST", "/api/v1/namespaces/default/configmaps", body,
                                "application/vnd.kubernetes.protobuf"))
    for target in ("/api", "/apis", "/version", "/api/v1/namespaces?limit=1", "/api/v1/pods?watch=1&resourceVersion=0",
                   "/api/v1/namespaces/default/configmaps?labelSelector=a%3Db&fieldSelector=metadata.name%3Dx",
                   "/apis/apps/v1/namespaces/default/deployments/web/scale", "/openapi/v3", "/ktape/v1/stats"):
        put("sim_request", http("GET", target, extra="Accept: application/json;as=Table;v=v1;g=meta.k8s.io\r\n"))
    put("sim_request", http("DELETE", "/api/v1/namespaces/default/configmaps/cm",
                            b'{"propagationPolicy":"Foreground"}'))
    put("sim_request", b"POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"1a\r\n{\"metadata\":{\"name\":\"n\"}}\r\n0\r\n\r\n")


main()
