#include "etcd/bolt.hpp"

#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace ktape::etcd {

namespace {

// go.etcd.io/bbolt: page.go and db.go.
constexpr std::size_t k_page_header = 16;
constexpr std::size_t k_element = 16;  // leafPageElement and branchPageElement
constexpr std::uint16_t k_branch = 0x01, k_leaf = 0x02, k_meta = 0x04;
constexpr std::uint32_t k_bucket_leaf = 0x01;
constexpr std::uint32_t k_magic = 0xED0CDAED;
constexpr std::uint32_t k_version = 2;
constexpr std::size_t k_meta_checked = 56;  // bytes of meta the FNV-1a checksum covers
// A B+tree over 2^64 pages is not this deep; deeper means a page cycle in a corrupt file.
constexpr int k_max_depth = 64;

template <class T>
T read_le(std::string_view bytes, std::size_t at) {
  T v{};
  std::memcpy(&v, bytes.data() + at, sizeof v);  // x86-64 and arm64 are little-endian, as bbolt writes
  return v;
}

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

struct Meta {
  std::uint32_t page_size = 0;
  std::uint64_t root = 0, high_water = 0, txid = 0;
};

// The meta of the page at `at`, or why it is not one.
tl::expected<Meta, std::string> read_meta(std::string_view file, std::size_t at) {
  if (file.size() < at + k_page_header + 64) return tl::unexpected(std::string("past the end of the file"));
  std::string_view meta = file.substr(at + k_page_header, 64);
  if (!(read_le<std::uint16_t>(file, at + 8) & k_meta)) return tl::unexpected(std::string("not a meta page"));
  if (read_le<std::uint32_t>(meta, 0) != k_magic)
    return tl::unexpected(std::string("bad magic (not a bbolt file)"));
  if (read_le<std::uint32_t>(meta, 4) != k_version)
    return tl::unexpected(std::string("unknown bbolt version"));
  if (read_le<std::uint64_t>(meta, k_meta_checked) != fnv1a64(meta.substr(0, k_meta_checked)))
    return tl::unexpected(std::string("checksum mismatch"));
  Meta m;
  m.page_size = read_le<std::uint32_t>(meta, 8);
  m.root = read_le<std::uint64_t>(meta, 16);
  m.high_water = read_le<std::uint64_t>(meta, 40);
  m.txid = read_le<std::uint64_t>(meta, 48);
  if (m.page_size < 1024 || (m.page_size & (m.page_size - 1)) != 0)
    return tl::unexpected(std::string("bad page size"));
  return m;
}

}  // namespace

Result<BoltFile> BoltFile::open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorKind::io, path + ": cannot open");
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return fail(ErrorKind::io, path + ": cannot read");
  return from_bytes(std::move(bytes).str(), path);
}

Result<BoltFile> BoltFile::from_bytes(std::string bytes, std::string name) {
  BoltFile f;
  f.m_bytes = std::move(bytes);
  f.m_name = std::move(name);
  auto first = read_meta(f.m_bytes, 0);
  // The second meta page sits one page in; the page size comes from the first (or 4096, bbolt's
  // default on Linux, when the first is damaged).
  std::size_t second_at = first ? first->page_size : 4096;
  auto second = read_meta(f.m_bytes, second_at);
  if (!first && !second)
    return fail(ErrorKind::parse, f.m_name + ": not a readable bbolt database: meta page 0: " +
                                      first.error() + "; meta page 1: " + second.error());
  const Meta& m = !second ? *first : !first ? *second : (first->txid >= second->txid ? *first : *second);
  f.m_page_size = m.page_size;
  f.m_txid = m.txid;
  f.m_high_water = m.high_water;
  f.m_root.root = m.root;
  return f;
}

Error BoltFile::corrupt(std::uint64_t id, const std::string& what) const {
  std::string message = m_name;
  message.append(": page ").append(std::to_string(id)).append(" (offset ");
  message.append(std::to_string(id * m_page_size)).append("): ").append(what);
  Error error;
  error.kind = ErrorKind::parse;
  error.message = std::move(message);
  return error;
}

Result<std::string_view> BoltFile::page(std::uint64_t id) const {
  if (id < 2 || id >= m_high_water) return tl::unexpected(corrupt(id, "page id out of the database"));
  std::size_t at = static_cast<std::size_t>(id) * m_page_size;
  if (at + k_page_header > m_bytes.size())
    return tl::unexpected(
        corrupt(id, "past the end of the file (" + std::to_string(m_bytes.size()) + " bytes): truncated?"));
  std::size_t length = (std::size_t{read_le<std::uint32_t>(m_bytes, at + 12)} + 1) * m_page_size;
  if (at + length > m_bytes.size())
    return tl::unexpected(corrupt(id, "its overflow runs past the end of the file: truncated?"));
  if (read_le<std::uint64_t>(m_bytes, at) != id)
    return tl::unexpected(corrupt(id, "its header names another page"));
  return std::string_view(m_bytes).substr(at, length);
}

Result<bool> BoltFile::walk_page(
    std::string_view pg, std::uint64_t id, int depth,
    const std::function<Result<bool>(std::string_view, std::string_view, bool)>& visit) const {
  if (depth > k_max_depth)
    return tl::unexpected(corrupt(id, "the tree is deeper than any bbolt file (a page cycle)"));
  if (pg.size() < k_page_header) return tl::unexpected(corrupt(id, "shorter than a page header"));
  auto flags = read_le<std::uint16_t>(pg, 8);
  std::size_t count = read_le<std::uint16_t>(pg, 10);
  if (k_page_header + count * k_element > pg.size())
    return tl::unexpected(corrupt(id, "more elements than fit"));
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t elem = k_page_header + i * k_element;
    if (flags & k_branch) {
      auto child = page(read_le<std::uint64_t>(pg, elem + 8));
      if (!child) return tl::unexpected(child.error());
      auto more = walk_page(*child, read_le<std::uint64_t>(pg, elem + 8), depth + 1, visit);
      if (!more || !*more) return more;
      continue;
    }
    if (!(flags & k_leaf)) return tl::unexpected(corrupt(id, "neither a branch nor a leaf page"));
    std::size_t key_at = elem + read_le<std::uint32_t>(pg, elem + 4);
    std::size_t key_size = read_le<std::uint32_t>(pg, elem + 8);
    std::size_t value_size = read_le<std::uint32_t>(pg, elem + 12);
    if (key_at + key_size + value_size > pg.size())
      return tl::unexpected(corrupt(id, "element " + std::to_string(i) + " runs past the page"));
    bool bucket = read_le<std::uint32_t>(pg, elem) & k_bucket_leaf;
    auto more = visit(pg.substr(key_at, key_size), pg.substr(key_at + key_size, value_size), bucket);
    if (!more || !*more) return more;
  }
  return true;
}

Result<void> BoltFile::walk(
    const Bucket& bucket,
    const std::function<Result<bool>(std::string_view, std::string_view, bool)>& visit) const {
  Result<bool> done = true;
  if (bucket.root == 0) {
    done = walk_page(bucket.inline_page, 0, 0, visit);
  } else {
    auto root = page(bucket.root);
    if (!root) return tl::unexpected(root.error());
    done = walk_page(*root, bucket.root, 0, visit);
  }
  if (!done) return tl::unexpected(done.error());
  return {};
}

Result<BoltFile::Bucket> BoltFile::child(const Bucket& parent, std::string_view name) const {
  std::optional<Bucket> found;
  auto looked =
      walk(parent, [&](std::string_view key, std::string_view value, bool is_bucket) -> Result<bool> {
        if (key != name) return true;
        if (!is_bucket || value.size() < 16) return false;
        Bucket b;
        b.root = read_le<std::uint64_t>(value, 0);
        if (b.root == 0) b.inline_page = value.substr(16);  // bucket header {root, sequence}, then the page
        found = b;
        return false;
      });
  if (!looked) return tl::unexpected(looked.error());
  if (!found) return fail(ErrorKind::not_found, m_name + ": no bucket \"" + std::string(name) + "\"");
  return *found;
}

Result<void> BoltFile::for_each(std::initializer_list<std::string_view> path,
                                const std::function<void(std::string_view, std::string_view)>& visit) const {
  Bucket bucket = m_root;
  for (std::string_view name : path) {
    auto next = child(bucket, name);
    if (!next) return tl::unexpected(next.error());
    bucket = *next;
  }
  return walk(bucket, [&](std::string_view key, std::string_view value, bool is_bucket) -> Result<bool> {
    if (!is_bucket) visit(key, value);
    return true;
  });
}

}  // namespace ktape::etcd
