#include "sim/protobuf.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "sim/protobuf_schema.hpp"
#include "sim/protobuf_wire.hpp"

namespace ktape::sim {

using formats::Value;
using protobuf::FieldKind;
using protobuf::FieldSchema;
using protobuf::MessageSchema;
using protobuf::WireField;
using protobuf::WireReader;
using protobuf::WireType;

namespace {

// Deeper nesting than any Kubernetes type has; a body nesting further is hostile or broken.
constexpr int k_max_depth = 64;
// time.Time's zero value (0001-01-01T00:00:00Z) in Unix seconds.
constexpr std::int64_t k_zero_time_seconds = -62135596800;

ApiError malformed(const std::string& what) {
  return err_bad_request("the object provided is unrecognized: couldn't decode protobuf: " + what);
}

ApiError unsupported(const std::string& what) {
  return err_unsupported_media("ktape's simulated cluster cannot decode " + what +
                               " from protobuf; send JSON (kubectl create -f)");
}

std::string base64(std::string_view bytes) {
  static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    auto n = static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i])) << 16 |
             static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i + 1])) << 8 |
             static_cast<std::uint8_t>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += k_alphabet[(n >> shift) & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i + 1])) << 8;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += rest == 2 ? k_alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// `value` with `digits` implied decimals, trailing zeros dropped: (1500, 3) -> "1.5".
std::string decimal(std::uint64_t value, int digits) {
  std::uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string out = std::to_string(value / scale);
  std::string fraction = std::to_string(value % scale);
  fraction.insert(0, static_cast<std::size_t>(digits) - fraction.size(), '0');
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return fraction.empty() ? out : out + "." + fraction;
}

}  // namespace

std::string protobuf::format_time(std::int64_t seconds, std::int32_t nanos, bool micros) {
  std::int64_t days = seconds / 86400, rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buffer[64];
  int n = std::snprintf(buffer, sizeof buffer, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld",
                        static_cast<long long>(year), static_cast<long long>(month),
                        static_cast<long long>(day), static_cast<long long>(rem / 3600),
                        static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  std::string out(buffer, static_cast<std::size_t>(n));
  if (micros) {
    std::snprintf(buffer, sizeof buffer, ".%06d", nanos / 1000);
    out += buffer;
  }
  return out + "Z";
}

std::string protobuf::format_duration(std::int64_t nanos) {
  if (nanos == 0) return "0s";
  std::string sign = nanos < 0 ? "-" : "";
  std::uint64_t u = nanos < 0 ? 0 - static_cast<std::uint64_t>(nanos) : static_cast<std::uint64_t>(nanos);
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + decimal(u, 3) + "µs";
  if (u < 1000000000) return sign + decimal(u, 6) + "ms";
  constexpr std::uint64_t k_minute = 60000000000ULL, k_hour = 60 * k_minute;
  std::string out = decimal(u % k_minute, 9) + "s";
  if (u >= k_minute) out = std::to_string(u / k_minute % 60) + "m" + out;
  if (u >= k_hour) out = std::to_string(u / k_hour) + "h" + out;
  return sign + out;
}

namespace {

// True when a field carries nothing: a zero number, an empty payload, or a payload that reads as
// a message whose every field carries nothing (gogo protobuf writes every non-pointer field, so
// an unset struct arrives as a few zero-valued fields).
bool carries_nothing(const WireField& field, int depth = 0) {
  if (field.type != WireType::length_delimited) return field.varint == 0;
  if (field.bytes.empty()) return true;
  if (depth >= k_max_depth) return false;
  WireReader reader(field.bytes);
  while (auto inner = reader.next())
    if (!carries_nothing(*inner, depth + 1)) return false;
  return !reader.failed();
}

bool is_empty(const Value& v) {
  switch (v.type()) {
    case Value::Type::null:
      return true;
    case Value::Type::boolean:
      return !v.as_bool();
    case Value::Type::number:
      return v.number_text() == "0";
    case Value::Type::string:
      return v.as_string().empty();
    case Value::Type::array:
    case Value::Type::object:
      return v.size() == 0;
  }
  return false;
}

// Writes the fields of `bytes`, a `schema` message, into `out`.
ApiResult<void> decode_message(const MessageSchema& schema, std::string_view bytes, Value& out, int depth);

ApiError wrong_wire_type(const FieldSchema& field, const MessageSchema& owner) {
  return malformed("field " + std::to_string(field.number) + " (" + std::string(field.json) + ") of " +
                   std::string(owner.name) + " has the wrong wire type");
}

// The fields of a small fixed message (Quantity, IntOrString, Time, Duration): number -> field.
struct Small {
  std::int64_t ints[4] = {0, 0, 0, 0};
  std::string_view strings[4];
};

std::optional<Small> read_small(std::string_view bytes) {
  Small small;
  WireReader reader(bytes);
  while (auto f = reader.next()) {
    if (f->number >= 4) continue;  // none of these messages has more than three fields
    if (f->type == WireType::length_delimited)
      small.strings[f->number] = f->bytes;
    else
      small.ints[f->number] = static_cast<std::int64_t>(f->varint);
  }
  if (reader.failed()) return std::nullopt;
  return small;
}

// A special message (Quantity, IntOrString, Time, MicroTime, Duration) as its JSON scalar; a
// null Value for a zero Time.
std::optional<Value> special(FieldKind kind, std::string_view bytes) {
  auto small = read_small(bytes);
  if (!small) return std::nullopt;
  switch (kind) {
    case FieldKind::quantity:
      return Value(std::string(small->strings[1]));
    case FieldKind::int_or_string:  // type 1 is String, else Int
      if (small->ints[1] == 1) return Value(std::string(small->strings[3]));
      return Value(static_cast<std::int64_t>(static_cast<std::int32_t>(small->ints[2])));
    case FieldKind::time:
    case FieldKind::micro_time:
      if ((small->ints[1] == 0 || small->ints[1] == k_zero_time_seconds) && small->ints[2] == 0)
        return Value();
      return Value(protobuf::format_time(small->ints[1], static_cast<std::int32_t>(small->ints[2]),
                                         kind == FieldKind::micro_time));
    case FieldKind::duration:
      return Value(protobuf::format_duration(small->ints[1]));
    default:
      return std::nullopt;
  }
}

// One map<string, V> entry (key 1, value 2): sets `key` and returns the value as JSON.
ApiResult<Value> map_entry_value(FieldKind kind, std::string_view bytes, std::string& key) {
  std::string_view value;
  WireReader reader(bytes);
  while (auto f = reader.next()) {
    if (f->type != WireType::length_delimited) continue;
    if (f->number == 1) key = std::string(f->bytes);
    if (f->number == 2) value = f->bytes;
  }
  if (reader.failed()) return tl::unexpected(malformed("a map entry is truncated"));
  if (kind == FieldKind::string_map) return Value(std::string(value));
  if (kind == FieldKind::bytes_map) return Value(base64(value));
  auto quantity = special(FieldKind::quantity, value);
  if (!quantity) return tl::unexpected(malformed("a Quantity in a map is truncated"));
  return std::move(*quantity);
}

// One value of `field` (one element, for a list) as JSON.
ApiResult<Value> decode_value(const FieldSchema& field, const MessageSchema& owner, const WireField& wire,
                              int depth) {
  bool varint = wire.type == WireType::varint;
  switch (field.kind) {
    case FieldKind::boolean:
      if (!varint) return tl::unexpected(wrong_wire_type(field, owner));
      return Value(wire.varint != 0);
    case FieldKind::int32:
      if (!varint) return tl::unexpected(wrong_wire_type(field, owner));
      return Value(static_cast<std::int64_t>(static_cast<std::int32_t>(wire.varint)));
    case FieldKind::int64:
      if (!varint) return tl::unexpected(wrong_wire_type(field, owner));
      return Value(static_cast<std::int64_t>(wire.varint));
    default:
      break;
  }
  if (wire.type != WireType::length_delimited) return tl::unexpected(wrong_wire_type(field, owner));
  switch (field.kind) {
    case FieldKind::string:
      return Value(std::string(wire.bytes));
    case FieldKind::bytes:
      return Value(base64(wire.bytes));
    case FieldKind::message: {
      const MessageSchema* nested = protobuf::find_message(field.message);
      if (!nested)
        return tl::unexpected(err_internal("no protobuf schema for " + std::string(field.message)));
      Value object = Value::object();
      if (auto ok = decode_message(*nested, wire.bytes, object, depth + 1); !ok)
        return tl::unexpected(ok.error());
      return object;
    }
    default: {
      auto scalar = special(field.kind, wire.bytes);
      if (!scalar)
        return tl::unexpected(malformed("field " + std::to_string(field.number) + " of " +
                                        std::string(owner.name) + " is truncated"));
      return std::move(*scalar);
    }
  }
}

ApiResult<void> add_map_entry(const FieldSchema& field, const MessageSchema& owner, const WireField& wire,
                              Value& out) {
  if (wire.type != WireType::length_delimited) return tl::unexpected(wrong_wire_type(field, owner));
  std::string key;
  auto v = map_entry_value(field.kind, wire.bytes, key);
  if (!v) return tl::unexpected(v.error());
  Value& map = out[field.json];
  if (map.is_null()) map = Value::object();
  map.set(key, std::move(*v));
  return {};
}

// Elements stay even when empty (apiGroups: [""]); scalars may come packed in one payload.
ApiResult<void> add_list_elements(const FieldSchema& field, const MessageSchema& owner, const WireField& wire,
                                  Value& out, int depth) {
  Value& list = out[field.json];
  if (list.is_null()) list = Value::array();
  bool scalar =
      field.kind == FieldKind::boolean || field.kind == FieldKind::int32 || field.kind == FieldKind::int64;
  if (!scalar || wire.type != WireType::length_delimited) {
    auto v = decode_value(field, owner, wire, depth);
    if (!v) return tl::unexpected(v.error());
    list.push_back(std::move(*v));
    return {};
  }
  std::string_view rest = wire.bytes;
  while (!rest.empty()) {
    auto n = protobuf::read_single_varint(rest);
    if (!n) return tl::unexpected(malformed("a packed list in " + std::string(owner.name) + " is truncated"));
    auto v = decode_value(field, owner, WireField{wire.number, WireType::varint, *n, {}}, depth);
    if (!v) return tl::unexpected(v.error());
    list.push_back(std::move(*v));
  }
  return {};
}

// Writes one wire field into `out`: a map entry, a list element, the fields of an embedded
// struct, or a value (left out when empty and the JSON field is omitempty).
ApiResult<void> decode_field(const FieldSchema& field, const MessageSchema& owner, const WireField& wire,
                             Value& out, int depth) {
  switch (field.kind) {
    case FieldKind::inline_message: {
      const MessageSchema* nested = protobuf::find_message(field.message);
      if (!nested)
        return tl::unexpected(err_internal("no protobuf schema for " + std::string(field.message)));
      if (wire.type != WireType::length_delimited) return tl::unexpected(wrong_wire_type(field, owner));
      return decode_message(*nested, wire.bytes, out, depth + 1);
    }
    case FieldKind::string_map:
    case FieldKind::bytes_map:
    case FieldKind::quantity_map:
      return add_map_entry(field, owner, wire, out);
    default:
      break;
  }
  if (field.repeated()) return add_list_elements(field, owner, wire, out, depth);
  auto v = decode_value(field, owner, wire, depth);
  if (!v) return tl::unexpected(v.error());
  if (is_empty(*v) && !field.keep_zero()) {
    out.erase(field.json);
    return {};
  }
  if (!v->is_null()) out.set(field.json, std::move(*v));
  return {};
}

ApiResult<void> decode_message(const MessageSchema& schema, std::string_view bytes, Value& out, int depth) {
  if (depth > k_max_depth) return tl::unexpected(malformed("messages nest too deep"));
  WireReader reader(bytes);
  while (auto wire = reader.next()) {
    const FieldSchema* field = schema.field(wire->number);
    if (!field) {
      if (carries_nothing(*wire)) continue;
      return tl::unexpected(
          unsupported("field " + std::to_string(wire->number) + " of " + std::string(schema.name)));
    }
    if (auto ok = decode_field(*field, schema, *wire, out, depth); !ok) return ok;
  }
  if (reader.failed())
    return tl::unexpected(malformed(std::string(schema.name) + " is truncated or not protobuf"));
  return {};
}

struct Envelope {
  std::string api_version, kind, content_encoding;
  std::string_view raw;
};

ApiResult<Envelope> read_envelope(std::string_view body) {
  static constexpr std::string_view k_magic("k8s\0", 4);
  if (body.substr(0, k_magic.size()) != k_magic)
    return tl::unexpected(malformed("the body does not start with the magic bytes k8s\\0"));
  Envelope envelope;
  WireReader reader(body.substr(k_magic.size()));
  while (auto f = reader.next()) {
    if (f->type != WireType::length_delimited) continue;
    if (f->number == 1) {  // runtime.TypeMeta
      WireReader type_meta(f->bytes);
      while (auto t = type_meta.next()) {
        if (t->type != WireType::length_delimited) continue;
        if (t->number == 1) envelope.api_version = std::string(t->bytes);
        if (t->number == 2) envelope.kind = std::string(t->bytes);
      }
      if (type_meta.failed()) return tl::unexpected(malformed("the envelope's typeMeta is truncated"));
    }
    if (f->number == 2) envelope.raw = f->bytes;
    if (f->number == 3) envelope.content_encoding = std::string(f->bytes);
  }
  if (reader.failed()) return tl::unexpected(malformed("the envelope is truncated or not protobuf"));
  return envelope;
}

}  // namespace

ApiResult<Value> decode_protobuf_object(std::string_view body) {
  auto envelope = read_envelope(body);
  if (!envelope) return tl::unexpected(envelope.error());
  if (envelope->kind.empty() || envelope->api_version.empty())
    return tl::unexpected(err_bad_request("Object 'Kind' is missing in the protobuf envelope"));
  std::string what = envelope->api_version + " " + envelope->kind;
  if (!envelope->content_encoding.empty())
    return tl::unexpected(unsupported(what + " in content encoding \"" + envelope->content_encoding + "\""));
  const MessageSchema* schema = protobuf::find_kind(envelope->api_version, envelope->kind);
  if (!schema) return tl::unexpected(unsupported(what));
  Value object = Value::object();
  object.set("kind", envelope->kind);
  object.set("apiVersion", envelope->api_version);
  if (auto ok = decode_message(*schema, envelope->raw, object, 0); !ok) return tl::unexpected(ok.error());
  return object;
}

}  // namespace ktape::sim
