#include "s3/xml.hpp"

#include <charconv>

namespace ktape::s3 {
namespace {

void append_utf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// Decodes one entity starting at text[0] == '&'; returns the characters consumed (0: not one).
std::size_t decode_entity(std::string_view text, std::string& out) {
  auto semi = text.find(';');
  if (semi == std::string_view::npos || semi > 10) return 0;
  std::string_view name = text.substr(1, semi - 1);
  static constexpr std::pair<std::string_view, char> k_named[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (const auto& [entity, c] : k_named) {
    if (name == entity) {
      out += c;
      return semi + 1;
    }
  }
  if (name.size() < 2 || name[0] != '#') return 0;
  bool hex = name[1] == 'x' || name[1] == 'X';
  std::string_view digits = name.substr(hex ? 2 : 1);
  unsigned code = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
  if (ec != std::errc() || end != digits.data() + digits.size() || code > 0x10FFFF) return 0;
  append_utf8(out, code);
  return semi + 1;
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      if (std::size_t n = decode_entity(text.substr(i), out); n > 0) {
        i += n;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

std::vector<std::string> xml_elements(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  std::string open = "<";
  open.append(tag);
  std::string close = "</";
  close.append(tag).append(">");
  std::size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    std::size_t after = pos + open.size();
    if (after >= xml.size()) break;
    if (xml.substr(after, 2) == "/>") {
      out.emplace_back();
      pos = after + 2;
      continue;
    }
    if (xml[after] != '>') {  // a longer tag name sharing the prefix
      pos = after;
      continue;
    }
    std::size_t end = xml.find(close, after + 1);
    if (end == std::string_view::npos) break;
    out.push_back(unescape(xml.substr(after + 1, end - after - 1)));
    pos = end + close.size();
  }
  return out;
}

std::string xml_first(std::string_view xml, std::string_view tag) {
  auto all = xml_elements(xml, tag);
  return all.empty() ? std::string() : all.front();
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace ktape::s3
