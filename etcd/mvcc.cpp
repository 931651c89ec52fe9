#include "etcd/mvcc.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "sim/protobuf_wire.hpp"

namespace ktape::etcd {

namespace {

std::int64_t read_be64(std::string_view bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return static_cast<std::int64_t>(v);
}

std::string revision_text(const Revision& r) {
  std::string text = std::to_string(r.main);
  text.append("_").append(std::to_string(r.sub));
  return text;
}

}  // namespace

Result<Revision> parse_revision_key(std::string_view key) {
  // etcd server/storage/mvcc/revision.go: revBytesLen = 8 + 1 + 8, and markTombstone appends 't'.
  bool shape = (key.size() == 17 || (key.size() == 18 && key[17] == 't')) && key[8] == '_';
  if (!shape)
    return fail(ErrorKind::parse,
                "a key of the key bucket that is not a revision (" + std::to_string(key.size()) + " bytes)");
  return Revision{read_be64(key.substr(0, 8)), read_be64(key.substr(9, 8)), key.size() == 18};
}

Result<KeyValue> parse_key_value(std::string_view bytes) {
  KeyValue kv;
  sim::protobuf::WireReader reader(bytes);
  while (auto field = reader.next()) {
    auto number = static_cast<std::int64_t>(field->varint);
    switch (field->number) {
      case 1:
        kv.key = field->bytes;
        break;
      case 2:
        kv.create_revision = number;
        break;
      case 3:
        kv.mod_revision = number;
        break;
      case 4:
        kv.version = number;
        break;
      case 5:
        kv.value = field->bytes;
        break;
      case 6:
        kv.lease = number;
        break;
      default:
        break;  // fields of later etcd versions
    }
  }
  if (reader.failed()) return fail(ErrorKind::parse, "a mvccpb.KeyValue that is not valid protobuf");
  return kv;
}

ValueEncoding classify_value(std::string_view value) {
  // k8s.io/apiserver/pkg/storage/value/transformer.go and runtime/serializer/protobuf: the prefixes.
  if (value.starts_with("k8s:enc:")) return ValueEncoding::encrypted;
  if (value.starts_with(std::string_view("k8s\0", 4))) return ValueEncoding::protobuf;
  if (value.starts_with("{")) return ValueEncoding::json;
  return ValueEncoding::other;
}

std::string_view encoding_name(ValueEncoding encoding) {
  static constexpr std::string_view k_names[] = {"json", "protobuf", "encrypted", "other"};
  return k_names[static_cast<int>(encoding)];
}

Result<KeySpace> read_key_space(const BoltFile& file, std::string_view prefix, std::int64_t at_revision) {
  KeySpace space;
  std::optional<Error> error;
  auto walked = file.for_each({"key"}, [&](std::string_view key, std::string_view value) {
    if (error) return;
    auto rev = parse_revision_key(key);
    if (!rev) {
      error = rev.error();
      error->message = file.name() + ": " + error->message;
      return;
    }
    if (at_revision > 0 && rev->main > at_revision) return;
    space.revision = std::max(space.revision, rev->main);
    auto kv = parse_key_value(value);
    if (!kv) {
      error = kv.error();
      error->message = file.name() + ": revision " + revision_text(*rev) + ": " + error->message;
      return;
    }
    if (!kv->key.starts_with(prefix)) return;
    if (rev->tombstone) {
      space.live.erase(kv->key);
      ++space.tombstones;
      return;
    }
    space.live[kv->key] = *kv;
  });
  if (!walked) return tl::unexpected(walked.error());
  if (error) return tl::unexpected(*error);
  if (at_revision > space.revision && space.revision > 0) space.revision = at_revision;
  return space;
}

}  // namespace ktape::etcd
