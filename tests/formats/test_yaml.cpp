#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <cstdio>
#include <random>
#include <set>

#include "formats/json.hpp"
#include "formats/yaml.hpp"
#include "formats/yaml_scalar.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::formats;

namespace {

Value json(std::string_view text) {
  auto v = parse_json(text);
  REQUIRE_MESSAGE(v, text);
  return *v;
}

// Strings that a careless emitter would let a reader turn into something else.
const std::vector<std::string> k_tricky = {"true",
                                           "True",
                                           "TRUE",
                                           "false",
                                           "no",
                                           "No",
                                           "yes",
                                           "on",
                                           "Off",
                                           "y",
                                           "N",
                                           "null",
                                           "Null",
                                           "NULL",
                                           "~",
                                           "",
                                           "0123",
                                           "0o17",
                                           "0b101",
                                           "08",
                                           "1e3",
                                           "1E+3",
                                           "0x1F",
                                           "-0x1F",
                                           "1_000",
                                           "+1",
                                           "-1",
                                           "0",
                                           "-0",
                                           ".5",
                                           "1.",
                                           "1.5",
                                           ".inf",
                                           "-.inf",
                                           "+.INF",
                                           ".nan",
                                           ".NaN",
                                           "-",
                                           "--",
                                           "---",
                                           "...",
                                           "- x",
                                           "-x",
                                           ": x",
                                           ":x",
                                           "?",
                                           "? x",
                                           "#x",
                                           " lead",
                                           "trail ",
                                           " both ",
                                           "a: b",
                                           "a:",
                                           "a:b",
                                           "a #b",
                                           "a#b",
                                           "[x]",
                                           "{x}",
                                           "a,b",
                                           "*a",
                                           "&a",
                                           "!t",
                                           "!!str",
                                           "%x",
                                           "@x",
                                           "`x",
                                           "'q'",
                                           "\"q\"",
                                           "|",
                                           ">",
                                           "<<",
                                           "=",
                                           "a\tb",
                                           "tab\t",
                                           "back\\slash",
                                           "é",
                                           "✓ ok",
                                           "😀",
                                           "\x01",
                                           "\x1b[0m",
                                           "\x7f",
                                           std::string("nul\0byte", 8),
                                           "\u0085next",
                                           "line\u2028sep",
                                           "\uFEFFbom",
                                           "cr\rlf",
                                           "2024-01-01T00:00:00Z",
                                           "1:20",
                                           "1.2.3",
                                           "0.0.0.0/0",
                                           "3000m",
                                           "12Gi",
                                           "Infinity",
                                           "NaN"};

TEST_CASE("to_yaml quotes every string that would read back as something else") {
  for (const auto& s : k_tricky) {
    CAPTURE(s);
    Value v = Value::object();
    v.set("k", s);
    v.set(s, "key");
    auto text = to_yaml(v);
    CAPTURE(text);
    auto back = parse_yaml(text);
    REQUIRE(back);
    CHECK(*back == v);
    CHECK_NOTHROW(YAML::Load(text));
    CHECK(YAML::Load(text)["k"].as<std::string>() == s);
  }
}

TEST_CASE("to_yaml writes block style as kubectl prints it") {
  auto v = json(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","labels":{"app":"web"},
    "annotations":{}},"spec":{"containers":[{"name":"c","image":"nginx:1.25","args":["--port=80","-v"],
    "ports":[{"containerPort":80}],"env":[]}],"nested":[[1,2],[]],"n":null,"b":false,"f":-1.5e-3}})");
  CHECK(to_yaml(v) ==
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  name: web\n"
        "  labels:\n"
        "    app: web\n"
        "  annotations: {}\n"
        "spec:\n"
        "  containers:\n"
        "  - name: c\n"
        "    image: nginx:1.25\n"
        "    args:\n"
        "    - --port=80\n"
        "    - -v\n"
        "    ports:\n"
        "    - containerPort: 80\n"
        "    env: []\n"
        "  nested:\n"
        "  - - 1\n"
        "    - 2\n"
        "  - []\n"
        "  \"n\": null\n"
        "  b: false\n"
        "  f: -1.5e-3\n");
  CHECK(to_yaml(Value::object()) == "{}\n");
  CHECK(to_yaml(json(R"([{"a":1,"b":{"c":[]}}])")) == "- a: 1\n  b:\n    c: []\n");
}

TEST_CASE("to_yaml writes multi-line strings as literal blocks with the right chomping") {
  struct Case {
    std::string in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"a\nb", "k: |-\n  a\n  b\n"},
      {"a\nb\n", "k: |\n  a\n  b\n"},
      {"a\n\n", "k: |+\n  a\n\n"},
      {" lead\nx", "k: |2-\n   lead\n  x\n"},
      {"\n\n  x\n", "k: |2\n\n\n    x\n"},
      {"trail  \n\nend ", "k: |-\n  trail  \n\n  end \n"},
      {"a\r\nb", "k: \"a\\r\\nb\"\n"},
      {"bell\x07\nx", "k: \"bell\\a\\nx\"\n"},
      {"\n", "k: \"\\n\"\n"},
      {"  \n ", "k: \"  \\n \"\n"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    Value v = Value::object();
    v.set("k", c.in);
    CHECK(to_yaml(v) == c.out);
    auto back = parse_yaml(to_yaml(v));
    REQUIRE(back);
    CHECK(*back == v);
    CHECK(YAML::Load(to_yaml(v))["k"].as<std::string>() == c.in);
  }
  // Inside a list the block is indented from the list's column.
  auto list = Value::object();
  list.set("l", Value(Array{Value(" x\ny")}));
  CHECK(to_yaml(list) == "l:\n- |2-\n   x\n  y\n");
  CHECK(*parse_yaml(to_yaml(list)) == list);
}

TEST_CASE("parse_yaml resolves plain scalars as Kubernetes does") {
  struct Case {
    std::string yaml;
    std::string json;
  };
  const std::vector<Case> cases = {
      {"~", "null"},
      {"null", "null"},
      {"NULL", "null"},
      {"", "null"},
      {"nUll", "\"nUll\""},
      {"true", "true"},
      {"True", "true"},
      {"yes", "true"},
      {"Y", "true"},
      {"on", "true"},
      {"ON", "true"},
      {"false", "false"},
      {"no", "false"},
      {"n", "false"},
      {"Off", "false"},
      {"tRue", "\"tRue\""},
      {"42", "42"},
      {"+42", "42"},
      {"-7", "-7"},
      {"-0", "0"},
      {"1_000", "1000"},
      {"123456789012345678901234567890", "123456789012345678901234567890"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"0x1F", "31"},
      {"-0x1F", "-31"},
      {"0xFFFFFFFFFFFFFFFF", "18446744073709551615"},
      {"0x1FFFFFFFFFFFFFFFF", "\"0x1FFFFFFFFFFFFFFFF\""},
      {"0o17", "15"},
      {"017", "15"},
      {"0b101", "5"},
      {"08", "8"},
      {"1e3", "1e3"},
      {"1.5", "1.5"},
      {"+1.5", "1.5"},
      {"1.", "1.0"},
      {".5", "0.5"},
      {"007.5", "7.5"},
      {"1e400", "\"1e400\""},
      {".inf", "\".inf\""},
      {"-.Inf", "\"-.Inf\""},
      {".nan", "\".nan\""},
      {"0x", "\"0x\""},
      {"-a", "\"-a\""},
      {"2024-01-01T00:00:00Z", "\"2024-01-01T00:00:00Z\""},
      {"1:20", "\"1:20\""},
      {"'true'", "\"true\""},
      {"\"42\"", "\"42\""},
      {"!!str 42", "\"42\""},
      {"!!int 42", "42"},
      {"\"\\u00e9\\x41\"", "\"éA\""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    auto v = parse_yaml("v: " + c.yaml + "\n");
    REQUIRE(v);
    CHECK(to_json(*v->find("v")) == c.json);
  }
}

TEST_CASE("parse_yaml expands anchors, aliases and merge keys") {
  auto v = parse_yaml(
      "base: &b {x: 1, z: 2}\n"
      "list: [&s str, *s]\n"
      "merged:\n  <<: *b\n  z: 3\n"
      "many:\n  <<: [{a: 1}, {a: 2, b: 2}]\n");
  REQUIRE(v);
  CHECK(*v == json(R"({"base":{"x":1,"z":2},"list":["str","str"],"merged":{"x":1,"z":3},
                       "many":{"a":1,"b":2}})"));
  // A quoted "<<" is an ordinary key.
  CHECK(*parse_yaml("'<<': 1\n") == json(R"({"<<":1})"));
  // Repeated keys: the last one wins, as in go-yaml.
  CHECK(*parse_yaml("a: 1\na: 2\n") == json(R"({"a":2})"));
  // Plain keys become JSON keys by their resolved value, as sigs.k8s.io/yaml converts them.
  CHECK(*parse_yaml("y: 1\n0x1F: 2\n~: 3\n'y': 4\n") == json(R"({"true":1,"31":2,"null":3,"y":4})"));
}

TEST_CASE("parse_yaml reports errors with line numbers counted from first_line") {
  auto bad = parse_yaml("a: 1\nb: [1, 2\nc: 3\n", 40);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::parse);
  CHECK(bad.error().message.rfind("line 4", 0) == 0);
  auto unclosed = parse_yaml("a: 1\nb: \"open\n", 10);
  REQUIRE_FALSE(unclosed);
  CHECK(unclosed.error().message.rfind("line 1", 0) == 0);
  auto two = parse_yaml("a: 1\n---\nb: 2\n");
  REQUIRE_FALSE(two);
  CHECK(two.error().message.find("one YAML document") != std::string::npos);
  auto complex_key = parse_yaml("? [a]\n: 1\n", 5);
  REQUIRE_FALSE(complex_key);
  CHECK(complex_key.error().message == "line 5: a mapping key must be a scalar");
  auto laughs = parse_yaml(
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n");
  REQUIRE_FALSE(laughs);
  CHECK(laughs.error().message.find("too many nodes") != std::string::npos);
  CHECK(parse_yaml("# only a comment\n")->is_null());
}

// --- property test ---------------------------------------------------------------------------

class Generator {
 public:
  explicit Generator(unsigned seed) : m_rng(seed) {}

  Value value(int depth) {
    switch (pick(depth > 3 ? 5 : 8)) {
      case 0:
        return Value();
      case 1:
        return Value(pick(2) == 0);
      case 2:
        return Value(Number{number()});
      case 3:
      case 4:
        return Value(string());
      case 5:
      case 6:
        return object(depth);
      default:
        return array(depth);
    }
  }

  Value object(int depth) {
    Value v = Value::object();
    std::size_t n = pick(6);
    for (std::size_t i = 0; i < n; ++i) v.set(string(), value(depth + 1));
    return v;
  }

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(m_rng); }

  Value array(int depth) {
    Value v = Value::array();
    std::size_t n = pick(5);
    for (std::size_t i = 0; i < n; ++i) v.push_back(value(depth + 1));
    return v;
  }

  std::string number() {
    static const std::vector<std::string> fixed = {"0",
                                                   "-1",
                                                   "9223372036854775807",
                                                   "-9223372036854775808",
                                                   "18446744073709551615",
                                                   "123456789012345678901234567890",
                                                   "-99999999999999999999999",
                                                   "0.1",
                                                   "-1.5e-300",
                                                   "1E+10",
                                                   "1e3",
                                                   "2.5E-3",
                                                   "-0.0",
                                                   "1.7976931348623157e308"};
    if (pick(2) == 0) return fixed[pick(fixed.size())];
    return std::to_string(static_cast<std::int64_t>(m_rng()) >> pick(64));
  }

  std::string piece() {
    static const std::vector<std::string> parts = {
        "a",      "web",    "x y", " ",   "  ",  "\n", "\n\n", "\t",   ":",    ": ",   "#",    " #", "-",
        "- ",     "'",      "\"",  "\\",  "é",   "✓",  "😀",    "中文", "\x01", "\x1b", "\x7f", "\r", "\u0085",
        "\u2028", "\uFEFF", "{",   "}",   "[",   "]",  ",",    "&",    "*",    "!",    "|",    ">",  "%",
        "@",      "`",      "?",   "---", "...", "~",  "0",    "1",    ".",    "_",    "e",    "x"};
    if (pick(3) == 0) return k_tricky[pick(k_tricky.size())];
    return parts[pick(parts.size())];
  }

  std::string string() {
    std::string s;
    std::size_t n = pick(6);
    for (std::size_t i = 0; i < n; ++i) s += piece();
    return s;
  }

  std::mt19937_64 m_rng;
};

// The path of the first difference between two values, for failure messages.
std::string first_difference(const Value& a, const Value& b, const std::string& path = "") {
  if (a.type() != b.type() || (!a.is_object() && !a.is_array())) {
    return a == b ? "" : path + ": " + to_json(a) + " vs " + to_json(b);
  }
  if (a.size() != b.size()) return path + ": sizes differ";
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto d = first_difference(a.as_array()[i], b.as_array()[i], path + "/" + std::to_string(i));
      if (!d.empty()) return d;
    }
    return "";
  }
  for (const auto& m : a.as_object()) {
    const Value* other = b.find(m.key);
    if (other == nullptr) return path + ": key " + to_json(Value(m.key)) + " missing";
    auto d = first_difference(m.value, *other, path + "/" + m.key);
    if (!d.empty()) return d;
  }
  return "";
}

// yaml-cpp as an independent reader: same structure, same scalar texts.
void check_against_yaml_cpp(const YAML::Node& node, const Value& v) {
  switch (v.type()) {
    case Value::Type::null:
      CHECK(node.IsNull());
      break;
    case Value::Type::boolean:
      CHECK(node.Scalar() == (v.as_bool() ? "true" : "false"));
      break;
    case Value::Type::number:
      CHECK(node.Scalar() == v.number_text());
      break;
    case Value::Type::string:
      REQUIRE(node.IsScalar());
      CHECK(node.Scalar() == v.as_string());
      break;
    case Value::Type::array:
      REQUIRE(node.IsSequence());
      REQUIRE(node.size() == v.size());
      for (std::size_t i = 0; i < v.size(); ++i) check_against_yaml_cpp(node[i], v.as_array()[i]);
      break;
    case Value::Type::object:
      REQUIRE(node.IsMap());
      REQUIRE(node.size() == v.size());
      for (const auto& m : v.as_object()) {
        CAPTURE(m.key);
        REQUIRE(node[m.key]);
        check_against_yaml_cpp(node[m.key], m.value);
      }
      break;
  }
}

}  // namespace

TEST_CASE("property: parse_yaml(to_yaml(v)) == v, and yaml-cpp reads the same structure") {
  Generator gen(20240601);
  for (int i = 0; i < 3000; ++i) {
    Value v = i % 3 == 0 ? gen.value(0) : gen.object(0);
    auto text = to_yaml(v);
    CAPTURE(text);
    auto back = parse_yaml(text);
    if (!back) FAIL(back.error().message);
    CAPTURE(first_difference(v, *back));
    REQUIRE(*back == v);
    // The fast path reads everything ktape writes, and agrees with yaml-cpp's path.
    auto fast = yaml_detail::parse_block_subset(text);
    if ((v.is_object() || v.is_array()) && v.size() > 0) REQUIRE(fast);
    if (fast) CHECK(first_difference(v, *fast) == "");
    auto slow = yaml_detail::parse_yaml_with_yaml_cpp(text, 1);
    REQUIRE(slow);
    CHECK(first_difference(v, *slow) == "");
    YAML::Node node;
    REQUIRE_NOTHROW(node = YAML::Load(text));
    check_against_yaml_cpp(node, v);
  }
}

TEST_CASE("the fast path either declines or reads exactly what yaml-cpp reads") {
  const std::vector<std::string> inputs = {
      "a: 1\nb:\n  c: [1, 2]\n",
      "a: &x 1\nb: *x\n",
      "a: !!str 1\n",
      "a: >\n  folded\n  text\n",
      "a: plain\n  continued\n",
      "a:    spaced   \nb: 2\n",
      "a: 1 # comment\n",
      "# lead\n---\na: 1\n",
      "a:\n- 1\n-   2\n",
      "a:\n  - 1\n  - 2\nb: 3\n",
      "- a: 1\n  b: 2\n- c\n",
      "a: 'it''s'\n",
      "a: \"multi\n  line\"\n",
      "a: |\n  x\n b: 1\n",
      "a: |\n\n  x\n\n\nb: 1\n",
      "a: |+\n  x\n\n",
      "a: |1\n  x\n",
      "a:\n  b: 1\n   c: 2\n",
      "a: 1\n\tb: 2\n",
      "a: 1\r\nb: 2\r\n",
      "a: b: c\n",
      "? a\n: 1\n",
      "a: -\n",
      "a: 1\n...\n",
      "a: \"\\N\\_\\L\\P\"\n",
      "a: \"\\uD83D\\uDE00\"\n",
      "a:\n-\n  b: 1\n- - x\n  - y\n",
      "key with spaces: v\n",
      "a: {}\nb: []\nc: {x: 1}\n",
      "a: \"q\" # c\n",
      "\"k\": v\n'k2': v\n",
      "a: folded plain text that go-yaml\n  wraps at eighty columns\nb: 1\n",
      "a: x\n\n  y\n\n\nb: 1\n",
      "- x\n  y\n- z\n",
      "a:\n  b: one\n   two\n  c: 3\n",
      "a: 1\n  2\n",
      "a: x\n  - y\n",
      "a: x\n  #c\n",
      "a: x\n  y: z\n",
      "- k: v\n    w\n  j: 1\n",
      "a: x\n  y \n\t\n"};
  int accepted_inputs = 0;
  for (const auto& in : inputs) {
    CAPTURE(in);
    auto fast = yaml_detail::parse_block_subset(in);
    auto slow = yaml_detail::parse_yaml_with_yaml_cpp(in, 1);
    if (fast) {
      ++accepted_inputs;
      REQUIRE(slow);
      CHECK(first_difference(*slow, *fast) == "");
    }
  }
  CHECK(accepted_inputs >= 15);
  // go-yaml folds long plain strings onto indented lines; the fast path reads them.
  auto folded = yaml_detail::parse_block_subset("a: one two\n  three\n\n  four\nb: 1\n");
  REQUIRE(folded);
  CHECK(*folded == json(R"({"a":"one two three\nfour","b":1})"));
  auto quoted = yaml_detail::parse_block_subset("a: 'it''s: long  \n  wrapped\n\n  text'\nb: 1\n");
  REQUIRE(quoted);
  CHECK(*quoted == json(R"({"a":"it's: long wrapped\ntext","b":1})"));
  CHECK(*quoted ==
        *yaml_detail::parse_yaml_with_yaml_cpp("a: 'it''s: long  \n  wrapped\n\n  text'\nb: 1\n", 1));
  // Mutations of documents ktape writes: whatever the fast path still accepts, yaml-cpp reads alike.
  Generator gen(5);
  std::mt19937 rng(77);
  const std::string alphabet = " -:#\n\"'|\\{}[]&*!a1~<>.0+";
  int accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string text = to_yaml(gen.object(0));
    if (text.size() < 2) continue;
    for (int m = 0; m < 1 + i % 5; ++m) {
      if (text.empty()) break;
      std::size_t at = rng() % text.size();
      if (rng() % 2 == 0) {
        text.erase(at, 1);
      } else {
        text.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    CAPTURE(text);
    auto fast = yaml_detail::parse_block_subset(text);
    if (!fast) continue;
    ++accepted;
    auto slow = yaml_detail::parse_yaml_with_yaml_cpp(text, 1);
    REQUIRE(slow);
    CHECK(first_difference(*slow, *fast) == "");
  }
  CHECK(accepted > 500);
}

TEST_CASE("to_yaml writes keys too long for an implicit key as explicit keys") {
  std::string long_key(1500, 'k');
  for (const auto& inner : {Value("v"), json(R"({"a":[1,{"b":2}]})"), json("[1,[2]]"), Value("x\ny")}) {
    Value v = Value::object();
    v.set(long_key, inner);
    v.set("next", 1);
    Value outer = Value::object();
    outer.set("list", Value(Array{v}));
    for (const auto& doc : {v, outer}) {
      auto text = to_yaml(doc);
      CAPTURE(text);
      CHECK(text.find("? \"" + long_key + "\"\n") != std::string::npos);
      auto back = parse_yaml(text);
      REQUIRE(back);
      CHECK(*back == doc);
      YAML::Node node;
      REQUIRE_NOTHROW(node = YAML::Load(text));
      check_against_yaml_cpp(node, doc);
    }
  }
}

TEST_CASE("parse_yaml refuses absurd nesting instead of overflowing the stack") {
  for (const auto& text : {std::string(400000, '[') + std::string(400000, ']'), std::string("a:\n") + [] {
                             std::string s;
                             for (int i = 0; i < 200000; ++i) s += "- ";
                             return s + "x\n";
                           }()}) {
    auto v = parse_yaml(text, 7);
    REQUIRE_FALSE(v);
    CHECK(v.error().message.find("levels deep") != std::string::npos);
    CHECK((v.error().message.rfind("line 7:", 0) == 0 || v.error().message.rfind("line 8:", 0) == 0));
  }
  // Real objects nest a few dozen levels; a few hundred still read.
  std::string nested;
  for (int i = 0; i < 300; ++i) nested += std::string(static_cast<std::size_t>(i) * 2, ' ') + "a:\n";
  CHECK(parse_yaml(nested));
}

TEST_CASE("kubectl (go-yaml, as the apiserver reads YAML) reads every string to_yaml writes") {
  const char* kubectl = "/usr/bin/kubectl";
  if (::access(kubectl, X_OK) != 0) return;  // kubectl is installed on development and CI machines
  // A kubeconfig is the one YAML file kubectl reads without a server; cluster.server is a string.
  std::vector<std::string> strings = k_tricky;
  Generator gen(99);
  while (strings.size() < 400) {
    Value v = gen.value(0);
    if (v.is_string()) strings.push_back(v.as_string());
  }
  Value clusters = Value::array();
  for (std::size_t i = 0; i < strings.size(); ++i) {
    Value cluster = Value::object();
    cluster.set("name", "c" + std::to_string(i));
    cluster["cluster"].set("server", strings[i]);
    clusters.push_back(std::move(cluster));
  }
  Value config = Value::object();
  config.set("apiVersion", "v1");
  config.set("kind", "Config");
  config.set("clusters", std::move(clusters));
  test_support::TempDir dir("ktape-kubeconfig");
  auto path = dir.path() / "kubeconfig";
  test_support::write_file(path, to_yaml(config));
  std::string command = std::string(kubectl) + " config view --raw -o json --kubeconfig " + path.string();
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buf[65536];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
    CHECK(::pclose(pipe) == 0);
  }
  auto seen = parse_json(output);
  REQUIRE(seen);
  const Value* got = seen->find("clusters");
  REQUIRE(got != nullptr);
  REQUIRE(got->size() == strings.size());
  for (const auto& c : got->as_array()) {
    std::size_t i = std::stoul(std::string(c.string_at({"name"})).substr(1));
    CAPTURE(to_json(Value(strings[i])));
    CHECK(c.string_at({"cluster", "server"}) == strings[i]);
  }
}

TEST_CASE("plain_string_is_safe decides the same for a character wherever it sits in a long string") {
  // Long strings are scanned 8 bytes at a time; a string shorter than 8 never is. The decision
  // depends only on the character and its neighbours here, so the short string is the reference.
  std::vector<std::string> specials;
  for (int c = 1; c < 0x80; ++c) specials.emplace_back(1, static_cast<char>(c));
  for (const char* s : {"\xc3\xa9", "\xe2\x80\xa8", "\xc2\x85", ": ", " #", "# ", "::", "\xef\xbb\xbf"})
    specials.emplace_back(s);
  for (const auto& special : specials) {
    bool reference = yaml_detail::plain_string_is_safe("aaa" + special + "aaa");
    for (std::size_t at = 1; at < 18; ++at) {
      std::string s = std::string(at, 'a') + special + std::string(20 - at, 'a');
      CAPTURE(s);
      CHECK(yaml_detail::plain_string_is_safe(s) == reference);
      auto back = parse_yaml(to_yaml(Value(s)));
      REQUIRE(back);
      CHECK(back->as_string() == s);
    }
  }
}
