#pragma once
// bbolt's file format, read only and without an etcd process: the database file inside an etcd
// snapshot (`etcdctl snapshot save`, member/snap/db). What is read: the two meta pages (the valid
// one with the higher transaction id wins, as bbolt opens a file), branch and leaf pages, buckets
// (nested, and inline ones stored in their parent's leaf value) and overflow pages. Layout facts
// from go.etcd.io/bbolt (page.go, bucket.go, db.go): every page starts with a 16-byte header
// {id u64, flags u16, count u16, overflow u32}; numbers are little-endian.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "formats/error.hpp"

namespace ktape::etcd {

// A bbolt file held in memory. Views handed out by it point into its bytes: they live as long as
// the BoltFile.
class BoltFile {
 public:
  // Reads the whole file at `path` and checks its meta pages. Errors: io (the file), parse (no
  // valid meta page: the message names the file and what is wrong with each).
  static Result<BoltFile> open(const std::string& path);
  // The same over bytes already in memory; `name` is used in errors.
  static Result<BoltFile> from_bytes(std::string bytes, std::string name);

  std::uint32_t page_size() const { return m_page_size; }
  std::uint64_t txid() const { return m_txid; }
  const std::string& name() const { return m_name; }  // the path, for errors

  // Calls `visit(key, value)` for every key of the bucket at `path` (top-level bucket names, then
  // nested ones), in key order; nested buckets are not visited. Errors: not_found (a bucket of the
  // path is absent), parse (a page out of the file or of the wrong kind: the message names the
  // file, the page id and the byte offset).
  Result<void> for_each(std::initializer_list<std::string_view> path,
                        const std::function<void(std::string_view key, std::string_view value)>& visit) const;

 private:
  BoltFile() = default;
  struct Bucket {
    std::uint64_t root = 0;  // 0: inline, its page is `inline_page`
    std::string_view inline_page;
  };
  Result<Bucket> child(const Bucket& parent, std::string_view name) const;
  Result<std::string_view> page(std::uint64_t id) const;
  Result<void> walk(const Bucket& bucket,
                    const std::function<Result<bool>(std::string_view, std::string_view, bool)>& visit) const;
  Result<bool> walk_page(
      std::string_view page, std::uint64_t id, int depth,
      const std::function<Result<bool>(std::string_view, std::string_view, bool)>& visit) const;
  Error corrupt(std::uint64_t id, const std::string& what) const;

  std::string m_bytes;
  std::string m_name;
  std::uint32_t m_page_size = 0;
  std::uint64_t m_txid = 0;
  std::uint64_t m_high_water = 0;  // pages past this id are not part of the database
  Bucket m_root;
};

}  // namespace ktape::etcd
