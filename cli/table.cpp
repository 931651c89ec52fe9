#include "cli/table.hpp"

#include <algorithm>

namespace ktape::cli {

namespace {

void append_row(std::string& out, const TableRow& row, const std::vector<std::size_t>& widths) {
  for (std::size_t i = 0; i < widths.size(); ++i) {
    const std::string cell = i < row.size() ? row[i] : std::string();
    out += cell;
    if (i + 1 < widths.size()) out.append(widths[i] - cell.size() + 3, ' ');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += '\n';
}

}  // namespace

std::string format_table(const TableRow& header, const std::vector<TableRow>& rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) widths[i] = header[i].size();
  for (const auto& row : rows)
    for (std::size_t i = 0; i < widths.size() && i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  std::string out;
  append_row(out, header, widths);
  for (const auto& row : rows) append_row(out, row, widths);
  return out;
}

}  // namespace ktape::cli
