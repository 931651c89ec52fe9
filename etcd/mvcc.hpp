#pragma once
// etcd's MVCC store as a snapshot holds it: the `key` bucket of its bbolt file maps revision keys
// (8-byte big-endian main revision, '_', 8-byte big-endian sub revision, and a trailing 't' for a
// tombstone: a delete) to mvccpb.KeyValue protobuf messages (go.etcd.io/etcd/api/v3/mvccpb/kv.proto:
// key 1, create_revision 2, mod_revision 3, version 4, value 5, lease 6).
#include <cstdint>
#include <map>
#include <string_view>

#include "etcd/bolt.hpp"
#include "formats/error.hpp"

namespace ktape::etcd {

struct Revision {
  std::int64_t main = 0;  // the transaction's revision
  std::int64_t sub = 0;   // the change's index inside it
  bool tombstone = false;
};

// A key of the `key` bucket; an Error (parse) when it is not 17 or 18 bytes of that layout.
Result<Revision> parse_revision_key(std::string_view key);

struct KeyValue {
  std::string_view key;    // "/registry/configmaps/default/web"
  std::string_view value;  // the stored bytes (for Kubernetes: JSON, "k8s\0" protobuf or "k8s:enc:...")
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;  // the object's resourceVersion
  std::int64_t version = 0;
  std::int64_t lease = 0;
};

// One mvccpb.KeyValue; views point into `bytes`. An Error (parse) on malformed protobuf.
Result<KeyValue> parse_key_value(std::string_view bytes);

struct KeySpace {
  std::map<std::string_view, KeyValue> live;  // by key: the latest revision of each live key
  std::int64_t revision = 0;                  // the highest revision the file holds (or at_revision)
  std::size_t tombstones = 0;                 // deletes applied
};

// How kube-apiserver stored a value: custom resources as JSON, built-in types as Kubernetes
// protobuf (a "k8s\0" prefix, then a runtime.Unknown), encrypted at rest ("k8s:enc:" and the
// provider: never decoded, only reported).
enum class ValueEncoding { json, protobuf, encrypted, other };
ValueEncoding classify_value(std::string_view value);
// "json", "protobuf", "encrypted", "other".
std::string_view encoding_name(ValueEncoding encoding);

// The keys under `prefix` alive at `at_revision` (0: the latest) in `file`'s `key` bucket, each at
// its latest revision not after it. Views point into `file`. Errors: those of BoltFile::for_each,
// parse (a revision key or a value that does not decode: the message names the revision).
Result<KeySpace> read_key_space(const BoltFile& file, std::string_view prefix, std::int64_t at_revision = 0);

}  // namespace ktape::etcd
