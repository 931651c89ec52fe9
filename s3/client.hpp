#pragma once
// The S3 REST calls ktape needs, SigV4-signed by libcurl (CURLOPT_AWS_SIGV4): HEAD, ranged GET,
// PUT, the multipart upload calls, ListObjectsV2 and DELETE. Requests of one Client are
// serialized (one connection, kept alive); use one Client per thread for parallel requests.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "s3/config.hpp"

namespace ktape::s3 {

// s3://BUCKET/KEY. The key may be empty (a whole bucket) or end in '/' (a "folder").
struct ObjectUrl {
  std::string bucket;
  std::string key;
};
// Parses "s3://bucket/key"; anything else (no bucket, another scheme) is an invalid Error.
Result<ObjectUrl> parse_url(std::string_view url);
// "s3://bucket/key"
std::string format_url(const ObjectUrl& url);

struct ObjectHead {
  std::uint64_t bytes = 0;
  std::string etag;                   // as the server quotes it
  std::int64_t modified_unix_ns = 0;  // Last-Modified, 0 when absent
};

struct ListedObject {
  std::string key;
  std::uint64_t bytes = 0;
  std::int64_t modified_unix_ns = 0;
};

struct ListPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;  // the "folders" under a delimiter
  std::string next_token;                    // "" on the last page
};

class Client {
 public:
  explicit Client(Config config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Config& config() const;

  // nullopt when the object does not exist.
  Result<std::optional<ObjectHead>> head(const ObjectUrl& url);
  // Bytes [offset, offset + size) of the object; fewer at its end. With a non-empty `etag` the
  // read fails (conflict) when the object was replaced since.
  Result<std::string> get_range(const ObjectUrl& url, std::uint64_t offset, std::size_t size,
                                const std::string& etag);
  // One PUT of the whole object.
  Result<void> put(const ObjectUrl& url, std::string_view body);
  // Multipart upload: create returns the upload id; upload_part returns the part's ETag
  // (part numbers 1..10000); complete makes the object visible; abort discards the parts.
  Result<std::string> create_multipart(const ObjectUrl& url);
  Result<std::string> upload_part(const ObjectUrl& url, const std::string& upload_id, int part_number,
                                  std::string_view body);
  Result<void> complete_multipart(const ObjectUrl& url, const std::string& upload_id,
                                  const std::vector<std::string>& etags);
  Result<void> abort_multipart(const ObjectUrl& url, const std::string& upload_id);
  // One ListObjectsV2 page of keys under `url.key` (the prefix), split at `delimiter` when not
  // empty, starting at `token` ("" for the first page).
  Result<ListPage> list_page(const ObjectUrl& url, const std::string& delimiter, const std::string& token);
  // DELETE; an absent object is not an Error (S3 answers 204 either way).
  Result<void> remove(const ObjectUrl& url);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ktape::s3
