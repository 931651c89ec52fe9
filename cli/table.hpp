#pragma once
// Column-aligned tables as kubectl prints them: upper-case headers, columns separated by three
// spaces, the last column not padded. Used by ls, prune and diff.
#include <string>
#include <vector>

namespace ktape::cli {

using TableRow = std::vector<std::string>;

// `header` then `rows`, each row as many cells as the header (missing cells print empty).
std::string format_table(const TableRow& header, const std::vector<TableRow>& rows);

}  // namespace ktape::cli
