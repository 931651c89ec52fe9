#pragma once
// A unified line diff (diff -u's format) of two small texts, such as one object's YAML before and
// after. Computed in process rather than by running diff(1) on temporary files (as kubectl diff
// does): a diff of 20k objects would start 20k processes, and the temporary files would put
// Secret data on disk.
#include <string>
#include <string_view>

namespace ktape::store {

// "" when the texts are equal. Hunks carry `context` lines of context ("@@ -l,n +l,n @@"). The
// longest common subsequence is exact up to a few million line pairs (after the common head and
// tail are set aside); beyond that, the differing middle is shown as removed then added.
std::string unified_diff(std::string_view a, std::string_view b, std::string_view a_label,
                         std::string_view b_label, int context = 3);

}  // namespace ktape::store
