// The JSON parser and split_json_object: never crash; whatever parse_json accepts is written back
// by to_json as text that parses to the same Value; an object parse_json accepts, split_json_object
// accepts too, member for member.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "formats/json.hpp"
#include "fuzz/checks.hpp"
#include "fuzz/support.hpp"

namespace ktape::fuzz {

void check_json(std::string_view input) {
  using namespace ktape::formats;
  std::string_view text = input;
  std::vector<JsonMember> members;
  bool split = split_json_object(text, members);
  auto parsed = parse_json(text);
  if (!parsed) return;
  std::string again = to_json(*parsed);
  auto reparsed = parse_json(again);
  check(reparsed.has_value(), "to_json wrote text parse_json rejects");
  check(*reparsed == *parsed, "to_json then parse_json changed the value");
  check(is_json_of(*parsed, again), "is_json_of disagrees with to_json");
  // split_json_object walks at most 1,000 levels; an input this short cannot nest deeper.
  if (parsed->is_object() && input.size() < 1000) {
    check(split, "split_json_object refused an object parse_json accepted");
    for (const auto& m : members) {
      auto value = parse_json(m.value);
      check(value.has_value(), "a member's text does not parse");
      const Value* found = parsed->find(m.key);
      check(found != nullptr, "split_json_object found a key parse_json did not");
    }
  }
}

}  // namespace ktape::fuzz
