// parse_yaml: yaml-cpp's event parser feeding a builder that makes Values directly (no YAML::Node
// tree in between), resolving plain scalars as Kubernetes does (see yaml_scalar.hpp).
#include <streambuf>
#include <string>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include "formats/yaml.hpp"
#include "formats/yaml_scalar.hpp"

namespace ktape::formats {
namespace {

using yaml_detail::PlainKind;

// Aliases can expand a small document exponentially ("billion laughs"); past this many nodes
// copied through aliases the document is refused.
constexpr std::size_t k_max_alias_nodes = 1'000'000;
// Objects this large get a hash index for duplicate keys instead of a linear search.
constexpr std::size_t k_indexed_object = 32;

// A read-only stream buffer over the caller's text, so yaml-cpp reads it without a copy.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

// Thrown inside the builder for what yaml-cpp accepts but a Value cannot hold; caught in
// parse_yaml and turned into an Error (it never leaves this file).
struct BuildError {
  YAML::Mark mark;
  std::string message;
};

std::size_t count_nodes(const Value& v) {
  std::size_t n = 1;
  if (v.is_array()) {
    for (const auto& item : v.as_array()) n += count_nodes(item);
  } else if (v.is_object()) {
    for (const auto& m : v.as_object()) n += count_nodes(m.value);
  }
  return n;
}

// True unless text[pos] opens a quoted scalar that is never closed.
bool quote_closed(std::string_view text, std::size_t pos) {
  if (pos >= text.size() || (text[pos] != '"' && text[pos] != '\'')) return true;
  char quote = text[pos];
  for (std::size_t i = pos + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '"' || i + 1 == text.size() || text[i + 1] != '\'') return true;
      ++i;  // '' is an escaped single quote
    }
  }
  return false;
}

class Builder : public YAML::EventHandler {
 public:
  Value take_root() { return std::move(m_root); }
  // yaml-cpp 0.7 accepts a quoted scalar left open when a line break precedes the end of the
  // input (it returns the rest of the document as the scalar's text). Such a scalar swallows
  // everything after it, so only the last quoted scalar needs checking.
  const YAML::Mark& last_quoted() const { return m_last_quoted; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (wants_key()) return set_key(mark, "null", false);
    add(Value(), anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override;
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    begin(mark, Value::array(), anchor);
  }
  void OnSequenceEnd() override { end(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    begin(mark, Value::object(), anchor);
  }
  void OnMapEnd() override;

 private:
  struct Frame {
    Value value;
    YAML::Mark mark;
    YAML::anchor_t anchor = 0;
    bool has_key = false;
    bool key_is_merge = false;
    std::string key;
    std::vector<Value> merges;  // values of "<<" keys, applied when the mapping ends
    std::unordered_map<std::string, std::size_t> index;
  };

  bool wants_key() const {
    return !m_stack.empty() && m_stack.back().value.is_object() && !m_stack.back().has_key;
  }
  void set_key(const YAML::Mark&, std::string key, bool is_merge) {
    Frame& f = m_stack.back();
    f.key = std::move(key);
    f.key_is_merge = is_merge;
    f.has_key = true;
  }
  void begin(const YAML::Mark& mark, Value value, YAML::anchor_t anchor) {
    if (wants_key()) throw BuildError{mark, "a mapping key must be a scalar"};
    m_stack.push_back(Frame{std::move(value), mark, anchor, false, false, {}, {}, {}});
  }
  void end() {
    Frame f = std::move(m_stack.back());
    m_stack.pop_back();
    add(std::move(f.value), f.anchor);
  }
  void add(Value v, YAML::anchor_t anchor);
  static void insert(Frame& f, std::string key, Value v);

  std::vector<Frame> m_stack;
  std::vector<Value> m_anchors;
  std::size_t m_alias_nodes = 0;
  Value m_root;
  YAML::Mark m_last_quoted = YAML::Mark::null_mark();
};

void Builder::OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) {
  if (anchor >= m_anchors.size()) throw BuildError{mark, "an alias refers to an unknown anchor"};
  const Value& v = m_anchors[anchor];
  m_alias_nodes += count_nodes(v);
  if (m_alias_nodes > k_max_alias_nodes) throw BuildError{mark, "aliases expand to too many nodes"};
  if (wants_key()) {
    if (!v.is_string()) throw BuildError{mark, "a mapping key must be a string"};
    return set_key(mark, v.as_string(), false);
  }
  add(v, 0);
}

void Builder::OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       const std::string& text) {
  // yaml-cpp tags a plain scalar "?" and a quoted or block scalar "!"; explicit tags are expanded.
  bool plain = tag == "?";
  if (!plain) m_last_quoted = mark;
  bool resolvable = plain || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
                    tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null";
  if (wants_key()) {
    bool merge = plain && text == "<<";
    if (anchor != 0) {
      if (m_anchors.size() <= anchor) m_anchors.resize(anchor + 1);
      m_anchors[anchor] = Value(text);
    }
    return set_key(mark, plain ? yaml_detail::plain_key(text) : text, merge);
  }
  if (!resolvable) return add(Value(text), anchor);
  auto r = yaml_detail::resolve_plain(text);
  switch (r.kind) {
    case PlainKind::null:
      return add(Value(), anchor);
    case PlainKind::boolean:
      return add(Value(r.boolean), anchor);
    case PlainKind::number:
      return add(Value(Number{std::move(r.number)}), anchor);
    default:
      return add(Value(text), anchor);
  }
}

void Builder::OnMapEnd() {
  Frame& f = m_stack.back();
  // Merge keys (YAML 1.1 "<<"): keys already in the mapping win, then earlier merged maps win.
  for (const auto& merge : f.merges) {
    const Array single{merge};
    const Array& sources = merge.is_array() ? merge.as_array() : single;
    for (const auto& source : sources) {
      if (!source.is_object()) throw BuildError{f.mark, "a merge key (<<) needs a mapping or a list of them"};
      for (const auto& m : source.as_object()) {
        if (!f.value.contains(m.key)) insert(f, m.key, m.value);
      }
    }
  }
  end();
}

void Builder::insert(Frame& f, std::string key, Value v) {
  Object& members = f.value.as_object();
  if (members.size() >= k_indexed_object) {
    if (f.index.empty()) {
      for (std::size_t i = 0; i < members.size(); ++i) f.index.emplace(members[i].key, i);
    }
    auto [it, fresh] = f.index.emplace(key, members.size());
    if (!fresh) {
      members[it->second].value = std::move(v);  // a repeated key: the last one wins, as in go-yaml
      return;
    }
  } else {
    for (auto& m : members) {
      if (m.key == key) {
        m.value = std::move(v);
        return;
      }
    }
  }
  members.push_back(Member{std::move(key), std::move(v)});
}

void Builder::add(Value v, YAML::anchor_t anchor) {
  if (anchor != 0) {
    if (m_anchors.size() <= anchor) m_anchors.resize(anchor + 1);
    m_anchors[anchor] = v;
  }
  if (m_stack.empty()) {
    m_root = std::move(v);
    return;
  }
  Frame& f = m_stack.back();
  if (f.value.is_array()) {
    f.value.as_array().push_back(std::move(v));
  } else if (f.key_is_merge) {
    f.merges.push_back(std::move(v));
    f.has_key = false;
  } else {
    insert(f, std::move(f.key), std::move(v));
    f.has_key = false;
  }
}

// Counts the documents after the first without building anything.
class Discard : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
  }
  void OnMapEnd() override {}
};

tl::unexpected<Error> parse_error(const YAML::Mark& mark, std::size_t first_line, const std::string& what) {
  std::string where = mark.line >= 0
                          ? "line " + std::to_string(first_line + static_cast<std::size_t>(mark.line))
                          : "end of document";
  return fail(ErrorKind::parse, where + ": " + what);
}

}  // namespace

Result<Value> yaml_detail::parse_yaml_with_yaml_cpp(std::string_view text, std::size_t first_line) {
  ViewBuffer buffer(text);
  std::istream in(&buffer);
  try {
    YAML::Parser parser(in);
    Builder builder;
    if (!parser.HandleNextDocument(builder)) return Value();
    Discard discard;
    if (parser.HandleNextDocument(discard)) {
      return fail(ErrorKind::parse,
                  "line " + std::to_string(first_line) + ": expected one YAML document, found several");
    }
    const YAML::Mark& quoted = builder.last_quoted();
    if (quoted.pos >= 0 && !quote_closed(text, static_cast<std::size_t>(quoted.pos))) {
      return parse_error(quoted, first_line, "a quoted scalar is not closed before the end of the document");
    }
    return builder.take_root();
  } catch (const BuildError& e) {
    return parse_error(e.mark, first_line, e.message);
  } catch (const YAML::DeepRecursion& e) {
    return parse_error(e.mark, first_line,
                       "the document nests more than " + std::to_string(e.depth()) + " levels deep");
  } catch (const YAML::Exception& e) {
    return parse_error(e.mark, first_line, e.msg);
  }
}

Result<Value> parse_yaml(std::string_view text, std::size_t first_line) {
  if (auto fast = yaml_detail::parse_block_subset(text)) return std::move(*fast);
  return yaml_detail::parse_yaml_with_yaml_cpp(text, first_line);
}

}  // namespace ktape::formats
