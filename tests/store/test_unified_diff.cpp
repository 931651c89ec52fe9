// unified_diff against the real tools: GNU patch must turn A into B with our diff, and on edits
// with one right answer our text must be diff -u's.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "store/unified_diff.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using store::unified_diff;
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;

namespace {

// Lines from a small alphabet, so that equal lines recur and the LCS has choices to make.
std::string random_text(std::mt19937& rng, int lines) {
  std::string out;
  for (int i = 0; i < lines; ++i) out += "line " + std::to_string(rng() % 8) + "\n";
  return out;
}

std::string mutate(std::mt19937& rng, const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start) + 1;
    auto line = text.substr(start, end - start);
    start = end;
    switch (rng() % 6) {
      case 0:
        break;  // delete
      case 1:
        out += "new " + std::to_string(rng() % 100) + "\n" + line;  // insert before
        break;
      case 2:
        out += "changed\n";
        break;
      default:
        out += line;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("unified_diff: equal texts give nothing; a one-line change is diff -u's text") {
  CHECK(unified_diff("a\nb\n", "a\nb\n", "A", "B").empty());
  std::string a, b;
  for (int i = 0; i < 20; ++i) {
    a += "l" + std::to_string(i) + "\n";
    b += (i == 10 ? std::string("changed") : "l" + std::to_string(i)) + "\n";
  }
  b += "tail\n";
  TempDir dir("ktape-udiff");
  write_file(dir.file("a"), a);
  write_file(dir.file("b"), b);
  std::system(
      ("diff -u --label A --label B " + dir.file("a") + " " + dir.file("b") + " > " + dir.file("d")).c_str());
  CHECK(unified_diff(a, b, "A", "B") == read_file(dir.file("d")));
}

TEST_CASE("unified_diff: GNU patch turns A into B on random edits") {
  std::mt19937 rng(1234);
  TempDir dir("ktape-udiff");
  for (int round = 0; round < 60; ++round) {
    CAPTURE(round);
    auto a = random_text(rng, static_cast<int>(rng() % 40));
    auto b = rng() % 10 == 0 ? std::string() : mutate(rng, a);
    auto d = unified_diff(a, b, "a", "b", static_cast<int>(rng() % 4));
    CHECK(d.empty() == (a == b));
    if (d.empty()) continue;
    write_file(dir.file("a"), a);
    write_file(dir.file("d"), d);
    int rc = std::system(
        ("patch -s -o " + dir.file("out") + " " + dir.file("a") + " " + dir.file("d") + " >/dev/null 2>&1")
            .c_str());
    REQUIRE(rc == 0);
    CHECK(read_file(dir.file("out")) == b);
  }
}
