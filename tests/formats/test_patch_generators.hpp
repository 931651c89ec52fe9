#pragma once
// Seeded generators of Kubernetes objects and of their changes, for the patch property tests:
// Pods, Deployments and a custom resource, with the merge-keyed lists that strategic merge patch
// treats specially (containers, env, ports, volumeMounts, volumes, conditions, ownerReferences,
// podIPs) and a primitive merge list (finalizers).
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "formats/value.hpp"

namespace ktape::formats::testing {

class ObjectGenerator {
 public:
  explicit ObjectGenerator(unsigned seed) : m_rng(seed) {}

  Value pod() {
    Value pod = Value::object();
    pod.set("apiVersion", "v1");
    pod.set("kind", "Pod");
    pod.set("metadata", metadata());
    pod.set("spec", pod_spec());
    pod.set("status", pod_status());
    return pod;
  }

  Value deployment() {
    Value d = Value::object();
    d.set("apiVersion", "apps/v1");
    d.set("kind", "Deployment");
    d.set("metadata", metadata());
    Value spec = Value::object();
    spec.set("replicas", static_cast<int>(pick(5)));
    spec["selector"].set("matchLabels", labels());
    if (chance(0.5)) {
      spec["strategy"].set("type", "Recreate");
    } else {
      spec["strategy"].set("type", "RollingUpdate");
      spec["strategy"]["rollingUpdate"].set("maxSurge", "25%");
    }
    Value& template_metadata = spec["template"].set("metadata", Value::object());
    template_metadata.set("creationTimestamp", nullptr);  // as the apiserver returns templates
    template_metadata.set("labels", labels());
    spec["template"].set("spec", pod_spec());
    d.set("spec", std::move(spec));
    Value status = Value::object();
    status.set("replicas", static_cast<int>(pick(5)));
    status.set("conditions",
               keyed_list({"Available", "Progressing", "ReplicaFailure"}, "type", [&](Value& c) {
                 c.set("status", chance(0.5) ? "True" : "False");
                 c.set("reason", word());
               }));
    d.set("status", std::move(status));
    return d;
  }

  // A custom resource: no built-in metadata, so strategic merge patch is a JSON merge patch.
  Value widget() {
    Value w = Value::object();
    w.set("apiVersion", "example.com/v1");
    w.set("kind", "Widget");
    w.set("metadata", metadata());
    Value spec = Value::object();
    spec.set("size", static_cast<int>(pick(100)));
    spec.set("parts",
             keyed_list({"bolt", "nut", "gear", "axle"}, "name", [&](Value& p) { p.set("count", 1); }));
    spec.set("tags", strings(subset({"red", "green", "blue", "big"})));
    w.set("spec", std::move(spec));
    return w;
  }

  // A changed copy: keys removed, added and changed; list elements reordered, inserted, removed
  // and changed. Merge keys are never changed in place and new elements get fresh ones, so keyed
  // lists stay free of duplicates (as the apiserver's validation keeps them).
  Value mutate(const Value& original) {
    Value copy = original;
    mutate_in_place(copy, 0);
    return copy;
  }

  // A patch mangled at random: directives in odd places and with odd values, nulled merge keys,
  // elements of the wrong type. Applying it must give a Value or an Error, never a crash.
  Value mangle(const Value& patch) {
    Value copy = patch;
    mangle_in_place(copy);
    return copy;
  }

  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(m_rng) < p; }
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(m_rng); }

 private:
  // Keys that identify list elements (merge keys) or the object; they are never mutated.
  static bool is_identity(std::string_view key) {
    for (std::string_view k :
         {"name", "containerPort", "mountPath", "uid", "type", "ip", "apiVersion", "kind"})
      if (key == k) return true;
    return false;
  }

  std::string word() {
    static const char* k_words[] = {"alpha", "beta", "gamma", "delta", "x", "y", "Ready", "zeta"};
    return k_words[pick(std::size(k_words))];
  }
  std::string fresh(std::string_view prefix) { return std::string(prefix) + std::to_string(++m_counter); }

  std::vector<std::string> subset(std::vector<std::string> pool) {
    std::shuffle(pool.begin(), pool.end(), m_rng);
    pool.resize(pick(pool.size() + 1));
    return pool;
  }

  static Value strings(const std::vector<std::string>& items) {
    Value list = Value::array();
    for (const std::string& s : items) list.push_back(Value(s));
    return list;
  }

  template <typename Fill>
  Value keyed_list(std::vector<std::string> names, const char* key, Fill fill) {
    Value list = Value::array();
    for (const std::string& n : subset(std::move(names))) {
      Value e = Value::object();
      e.set(key, n);
      fill(e);
      list.push_back(std::move(e));
    }
    return list;
  }

  Value labels() {
    Value out = Value::object();
    for (const std::string& k : subset({"app", "tier", "team", "version"})) out.set(k, word());
    return out;
  }

  Value metadata() {
    Value m = Value::object();
    m.set("name", fresh("obj-"));
    m.set("namespace", "default");
    m.set("labels", labels());
    if (chance(0.5)) m["annotations"].set("note", word());
    Array finalizers;
    for (const std::string& f :
         subset({"example.com/a", "example.com/b", "kubernetes", "foregroundDeletion"}))
      finalizers.emplace_back(f);
    m.set("finalizers", Value(std::move(finalizers)));
    m.set("ownerReferences", keyed_list({"u1", "u2", "u3"}, "uid", [&](Value& o) {
            o.set("apiVersion", "apps/v1");
            o.set("kind", "ReplicaSet");
            o.set("name", fresh("rs-"));
          }));
    return m;
  }

  Value container() {
    Value c = Value::object();
    c.set("image", word() + ":1");
    c.set("args", strings(subset({"--a", "--b", "--c"})));
    c.set("env", keyed_list({"A", "B", "C", "D"}, "name", [&](Value& e) { e.set("value", word()); }));
    Value ports = Value::array();
    for (int port : {80, 443, 8080}) {
      if (!chance(0.5)) continue;
      Value p = Value::object();
      p.set("containerPort", port);
      p.set("protocol", "TCP");
      ports.push_back(std::move(p));
    }
    c.set("ports", std::move(ports));
    c.set("volumeMounts", keyed_list({"/data", "/cache", "/etc/conf"}, "mountPath",
                                     [&](Value& v) { v.set("name", word()); }));
    c["resources"]["limits"].set("cpu", std::to_string(pick(4) + 1));
    return c;
  }

  Value pod_spec() {
    Value spec = Value::object();
    Value containers = Value::array();
    for (const std::string& n : subset({"app", "sidecar", "proxy", "log"})) {
      Value c = container();
      c.set("name", n);
      containers.push_back(std::move(c));
    }
    spec.set("containers", std::move(containers));
    spec.set("volumes", keyed_list({"data", "cache", "conf"}, "name", [&](Value& v) {
               if (chance(0.5)) {
                 v.set("emptyDir", Value::object());
               } else {
                 v["configMap"].set("name", word());
               }
             }));
    if (chance(0.5)) spec["nodeSelector"].set("disk", word());
    spec.set("tolerations",
             keyed_list({"t1", "t2"}, "key", [&](Value& t) { t.set("effect", "NoSchedule"); }));
    return spec;
  }

  Value pod_status() {
    Value s = Value::object();
    s.set("phase", chance(0.5) ? "Running" : "Pending");
    s.set("conditions",
          keyed_list({"Initialized", "Ready", "ContainersReady", "PodScheduled"}, "type", [&](Value& c) {
            c.set("status", chance(0.5) ? "True" : "False");
            c.set("lastProbeTime", nullptr);  // as the kubelet writes it: new elements must keep it
            c.set("lastTransitionTime", "2024-01-01T00:00:0" + std::to_string(pick(10)) + "Z");
          }));
    s.set("podIPs", keyed_list({"10.0.0.1", "10.0.0.2"}, "ip", [](Value&) {}));
    s.set("containerStatuses", keyed_list({"app", "sidecar"}, "name", [&](Value& c) {
            c.set("ready", chance(0.5));
            c.set("restartCount", static_cast<int>(pick(3)));
          }));
    return s;
  }

  // A fresh element for a list like `list`: a copy of one element with a new identity, or a new
  // unique scalar.
  Value new_element(const Array& list) {
    if (!list.empty() && list.front().is_object()) {
      Value e = list[pick(list.size())];
      for (Member& m : e.as_object()) {
        if (m.key == "containerPort")
          m.value = Value(static_cast<int>(10000 + ++m_counter));
        else if (is_identity(m.key) && m.value.is_string())
          m.value = Value(fresh("new-"));
      }
      return e;
    }
    return Value(fresh("value-"));
  }

  void mutate_array(Array& list, int depth) {
    if (chance(0.25)) std::shuffle(list.begin(), list.end(), m_rng);
    if (!list.empty() && chance(0.25))
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(pick(list.size())));
    if (!list.empty() && chance(0.25)) {
      Value e = new_element(list);
      list.insert(list.begin() + static_cast<std::ptrdiff_t>(pick(list.size() + 1)), std::move(e));
    }
    for (Value& e : list) {
      if (e.is_object() && chance(0.3))
        mutate_in_place(e, depth + 1);
      else if (e.is_string() && chance(0.1))
        e = Value(fresh("value-"));
    }
  }

  void mutate_object(Value& object, int depth) {
    std::vector<std::string> doomed;
    for (Member& m : object.as_object()) {
      if (is_identity(m.key)) continue;
      if (chance(0.08)) {
        doomed.push_back(m.key);
      } else if (m.value.is_object() || m.value.is_array()) {
        if (chance(0.5)) mutate_in_place(m.value, depth + 1);
      } else if (chance(0.2)) {
        m.value = chance(0.1) ? Value(Array{Value(word())}) : Value(word());
      }
    }
    for (const std::string& k : doomed) object.erase(k);
    if (chance(0.1)) object.set(fresh("key"), word());
    if (depth > 0 && chance(0.05)) object.set(fresh("map"), Value::object()).set("inner", word());
  }

  void mutate_in_place(Value& v, int depth) {
    if (v.is_object())
      mutate_object(v, depth);
    else if (v.is_array())
      mutate_array(v.as_array(), depth);
  }

  Value odd_value() {
    switch (pick(6)) {
      case 0:
        return Value("delete");
      case 1:
        return Value("replace");
      case 2:
        return Value(Array{Value("name"), Value(1)});
      case 3:
        return Value(Array{Value::object(), Value(Array{})});
      case 4:
        return Value(nullptr);
      default:
        return Value(word());
    }
  }

  void mangle_in_place(Value& v) {
    if (v.is_array()) {
      for (Value& e : v.as_array())
        if (chance(0.5)) mangle_in_place(e);
      if (chance(0.2)) v.push_back(chance(0.5) ? Value(Object{Member{"$patch", odd_value()}}) : odd_value());
      return;
    }
    if (!v.is_object()) return;
    std::vector<std::string> keys;
    for (Member& m : v.as_object()) {
      keys.push_back(m.key);
      if (chance(0.5)) mangle_in_place(m.value);
    }
    static const char* k_directives[] = {"$patch", "$retainKeys", "$setElementOrder/",
                                         "$deleteFromPrimitiveList/"};
    if (chance(0.3)) {
      std::string key = k_directives[pick(std::size(k_directives))];
      if (key.back() == '/') key += keys.empty() ? "x" : keys[pick(keys.size())];
      v.set(key, odd_value());
    }
    if (!keys.empty() && chance(0.1))
      v.set(keys[pick(keys.size())], chance(0.5) ? Value(nullptr) : odd_value());
  }

  std::mt19937 m_rng;
  unsigned m_counter = 0;
};

}  // namespace ktape::formats::testing
