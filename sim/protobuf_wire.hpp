#pragma once
// The protobuf wire format, read only: enough to walk the messages kube-apiserver clients send
// (varints, length-delimited fields, fixed32/fixed64). No schema here; see protobuf_schema.hpp.
#include <cstdint>
#include <optional>
#include <string_view>

namespace ktape::sim::protobuf {

enum class WireType : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

// One field as it appears on the wire: `varint` holds the value of varint, fixed32 and fixed64
// fields; `bytes` the payload of a length-delimited one (a view into the buffer being read).
struct WireField {
  std::uint32_t number = 0;
  WireType type = WireType::varint;
  std::uint64_t varint = 0;
  std::string_view bytes;
};

// Reads the fields of one message in order. next() returns nullopt at the end of the buffer and
// also on malformed input (a truncated varint or payload, a group or unknown wire type, field
// number 0); failed() tells the two apart.
class WireReader {
 public:
  explicit WireReader(std::string_view buffer) : m_rest(buffer) {}
  std::optional<WireField> next();
  bool failed() const { return m_failed; }

 private:
  std::optional<std::uint64_t> read_varint();
  std::optional<WireField> fail();

  std::string_view m_rest;
  bool m_failed = false;
};

// Reads a whole buffer as one varint (packed repeated scalars are a run of these); nullopt when
// `bytes` does not end exactly after a varint.
std::optional<std::uint64_t> read_single_varint(std::string_view& bytes);

}  // namespace ktape::sim::protobuf
