#include "sim/protobuf_wire.hpp"

namespace ktape::sim::protobuf {

std::optional<std::uint64_t> read_single_varint(std::string_view& bytes) {
  std::uint64_t value = 0;
  // A varint is at most 10 bytes (64 bits, 7 per byte).
  for (int shift = 0, i = 0; i < 10 && !bytes.empty(); ++i, shift += 7) {
    auto byte = static_cast<std::uint8_t>(bytes.front());
    bytes.remove_prefix(1);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> WireReader::read_varint() { return read_single_varint(m_rest); }

std::optional<WireField> WireReader::fail() {
  m_failed = true;
  m_rest = {};
  return std::nullopt;
}

std::optional<WireField> WireReader::next() {
  if (m_rest.empty() || m_failed) return std::nullopt;
  auto key = read_varint();
  if (!key) return fail();
  WireField field;
  field.number = static_cast<std::uint32_t>(*key >> 3);
  if (field.number == 0 || (*key >> 3) > 0x1fffffff) return fail();  // 2^29-1: the largest field number
  auto fixed = [&](std::size_t width) -> bool {
    if (m_rest.size() < width) return false;
    for (std::size_t i = 0; i < width; ++i)
      field.varint |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(m_rest[i])) << (8 * i);
    m_rest.remove_prefix(width);
    return true;
  };
  switch (*key & 7) {
    case 0: {
      auto v = read_varint();
      if (!v) return fail();
      field.type = WireType::varint;
      field.varint = *v;
      return field;
    }
    case 1:
      field.type = WireType::fixed64;
      if (!fixed(8)) return fail();
      return field;
    case 5:
      field.type = WireType::fixed32;
      if (!fixed(4)) return fail();
      return field;
    case 2: {
      auto length = read_varint();
      if (!length || *length > m_rest.size()) return fail();
      field.type = WireType::length_delimited;
      field.bytes = m_rest.substr(0, static_cast<std::size_t>(*length));
      m_rest.remove_prefix(static_cast<std::size_t>(*length));
      return field;
    }
    default:  // 3 and 4 are proto2 groups, which no Kubernetes type uses; 6 and 7 do not exist
      return fail();
  }
}

}  // namespace ktape::sim::protobuf
