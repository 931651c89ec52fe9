#include "store/unified_diff.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ktape::store {

namespace {

// Above this many cells the LCS table is not built (4M cells of 4 bytes: 16 MB).
constexpr std::size_t k_max_cells = std::size_t{4} << 20;

struct Op {
  char mark;         // ' ', '-', '+'
  std::size_t a, b;  // line indexes in a and b (the one that applies)
};

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return lines;
}

// The middle [from, a_end) x [from, b_end): an LCS walk, or all of a's lines out then all of b's in.
void middle_ops(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                std::size_t from, std::size_t a_end, std::size_t b_end, std::vector<Op>& ops) {
  std::size_t n = a_end - from, m = b_end - from;
  if (n * m > k_max_cells || n == 0 || m == 0) {
    for (std::size_t i = 0; i < n; ++i) ops.push_back({'-', from + i, from});
    for (std::size_t j = 0; j < m; ++j) ops.push_back({'+', a_end, from + j});
    return;
  }
  // lcs[i][j]: the LCS length of a[from+i..] and b[from+j..].
  std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      at(i, j) = a[from + i] == b[from + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[from + i] == b[from + j]) {
      ops.push_back({' ', from + i++, from + j++});
    } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
      ops.push_back({'-', from + i++, from + j});  // diff -u puts what goes before what comes
    } else {
      ops.push_back({'+', from + i, from + j++});
    }
  }
}

std::vector<Op> line_ops(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
    ++tail;
  std::vector<Op> ops;
  ops.reserve(a.size() + b.size() - head - tail);
  for (std::size_t i = 0; i < head; ++i) ops.push_back({' ', i, i});
  middle_ops(a, b, head, a.size() - tail, b.size() - tail, ops);
  for (std::size_t k = tail; k > 0; --k) ops.push_back({' ', a.size() - k, b.size() - k});
  return ops;
}

void append_hunk(std::string& out, const std::vector<Op>& ops, std::size_t first, std::size_t last,
                 const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::size_t a_count = 0, b_count = 0;
  for (std::size_t k = first; k < last; ++k) {
    a_count += ops[k].mark != '+' ? 1 : 0;
    b_count += ops[k].mark != '-' ? 1 : 0;
  }
  // diff -u numbers an empty range by the line before it.
  auto start = [](std::size_t index, std::size_t count) { return count == 0 ? index : index + 1; };
  out.append("@@ -")
      .append(std::to_string(start(ops[first].a, a_count)))
      .append(",")
      .append(std::to_string(a_count))
      .append(" +")
      .append(std::to_string(start(ops[first].b, b_count)))
      .append(",")
      .append(std::to_string(b_count))
      .append(" @@\n");
  for (std::size_t k = first; k < last; ++k) {
    out += ops[k].mark;
    out.append(ops[k].mark == '+' ? b[ops[k].b] : a[ops[k].a]).append("\n");
  }
}

}  // namespace

std::string unified_diff(std::string_view a_text, std::string_view b_text, std::string_view a_label,
                         std::string_view b_label, int context) {
  if (a_text == b_text) return {};
  auto a = split_lines(a_text), b = split_lines(b_text);
  auto ops = line_ops(a, b);
  auto ctx = static_cast<std::size_t>(std::max(context, 0));
  std::string out;
  out.append("--- ").append(a_label).append("\n+++ ").append(b_label).append("\n");
  std::size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].mark == ' ') ++k;
    if (k == ops.size()) break;
    std::size_t first = k >= ctx ? k - ctx : 0, last = k;
    // Extend while the next change is within 2 * context equal lines.
    for (std::size_t equal = 0; last < ops.size() && equal <= 2 * ctx; ++last)
      equal = ops[last].mark == ' ' ? equal + 1 : 0;
    while (last > k && ops[last - 1].mark == ' ') --last;
    std::size_t end = std::min(ops.size(), last + ctx);
    append_hunk(out, ops, first, end, a, b);
    k = end;
  }
  return out;
}

}  // namespace ktape::store
