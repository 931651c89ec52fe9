// The three patch appliers: a patch applied by ktape never crashes, whatever the target and patch.
// Input: a selector byte ('j' JSON patch, 'm' merge patch, anything else strategic), then the target
// JSON, a line "---", the patch JSON. Cheap differential checks: for a type outside the strategic
// table, strategic apply equals merge apply (as patch.hpp promises); a strategic patch that ktape
// creates between the two documents (when both are objects) applies without an error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "fuzz/checks.hpp"
#include "fuzz/support.hpp"

namespace ktape::fuzz {
namespace {

using ktape::formats::Value;

std::string_view text_of(const Value& object, const char* key) {
  const Value* v = object.find(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view{};
}

void check_round_trips(const Value& target, const Value& second) {
  using namespace ktape::formats;
  if (!target.is_object() || !second.is_object()) return;
  Value merge = create_merge_patch(target, second);
  (void)apply_merge_patch(target, merge);
  auto strategic = create_strategic_merge_patch(target, second);
  if (!strategic) return;
  auto applied = apply_strategic_merge_patch(target, *strategic);
  // Built-in or not, a patch ktape creates must apply without an error.
  check(applied.has_value(), "a strategic patch ktape created does not apply");
}

}  // namespace

void check_patch(std::string_view input) {
  using namespace ktape::formats;
  if (input.empty()) return;
  std::string_view target_text, patch_text;
  split_at(input.substr(1), "\n---\n", target_text, patch_text);
  auto target = parse_json(target_text);
  auto patch = parse_json(patch_text);
  if (!target || !patch) return;
  switch (input[0]) {
    case 'j':
      (void)apply_json_patch(*target, *patch);
      break;
    case 'm':
      (void)apply_merge_patch(*target, *patch);
      break;
    default: {
      auto strategic = apply_strategic_merge_patch(*target, *patch);
      if (target->is_object() && patch->is_object() &&
          !has_strategic_metadata(text_of(*target, "apiVersion"), text_of(*target, "kind")) &&
          !has_strategic_metadata(text_of(*patch, "apiVersion"), text_of(*patch, "kind")) && strategic)
        check(*strategic == apply_merge_patch(*target, *patch),
              "strategic apply differs from merge apply for a type outside the table");
      break;
    }
  }
  check_round_trips(*target, *patch);
}

}  // namespace ktape::fuzz
