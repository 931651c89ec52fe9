#pragma once
// Helpers shared by the libFuzzer targets of fuzz/ (each target is one fuzz_NAME.cpp defining
// LLVMFuzzerTestOneInput). A finding is reported by abort() through check(), so that libFuzzer
// saves the input as a crash; the regression inputs kept in testdata/fuzz/TARGET/ are replayed by
// tests/fuzz (a normal doctest suite) through the same entry points in fuzz/checks.hpp.
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ktape::fuzz {

// Aborts with `what` when `condition` is false: an invariant the target checks was broken.
inline void check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

// Splits `input` at the first occurrence of `separator`: the part before it in `first`, the rest
// in `second` (everything in `first` and "" in `second` when it does not occur).
inline void split_at(std::string_view input, std::string_view separator, std::string_view& first,
                     std::string_view& second) {
  std::size_t at = input.find(separator);
  first = input.substr(0, at);
  second = at == std::string_view::npos ? std::string_view{} : input.substr(at + separator.size());
}

}  // namespace ktape::fuzz
