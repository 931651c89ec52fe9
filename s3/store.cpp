// S3 as a formats::RawStore (see store.hpp).
#include "s3/store.hpp"

#include <algorithm>
#include <mutex>

#include "s3/client.hpp"

namespace ktape::s3 {
namespace {

using formats::Overwrite;
using formats::RawObject;

// Reads an object front to back, one part-sized ranged GET at a time, pinned to the ETag seen at
// open so that an object replaced mid-read is an Error, never a mix of two versions.
class ObjectReader : public formats::RawReader {
 public:
  ObjectReader(std::shared_ptr<Client> client, ObjectUrl url, ObjectHead head)
      : m_client(std::move(client)), m_url(std::move(url)), m_head(std::move(head)) {}

  Result<std::size_t> read(char* buffer, std::size_t size) override {
    if (m_pos == m_chunk.size()) {
      if (m_offset >= m_head.bytes) return std::size_t{0};
      std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(m_client->config().part_bytes, m_head.bytes - m_offset));
      auto chunk = m_client->get_range(m_url, m_offset, want, m_head.etag);
      if (!chunk) return fail(chunk.error());
      if (chunk->empty()) return fail(ErrorKind::io, "GET " + format_url(m_url) + ": the object ended early");
      m_chunk = std::move(*chunk);
      m_pos = 0;
      m_offset += m_chunk.size();
    }
    std::size_t n = std::min(size, m_chunk.size() - m_pos);
    std::copy_n(m_chunk.data() + m_pos, n, buffer);
    m_pos += n;
    return n;
  }

 private:
  std::shared_ptr<Client> m_client;
  ObjectUrl m_url;
  ObjectHead m_head;
  std::string m_chunk;
  std::size_t m_pos = 0;
  std::uint64_t m_offset = 0;
};

// Gathers one part in memory; the first full part starts a multipart upload. commit() sends what
// remains (as the only PUT when no part was full) and completes the upload.
class ObjectWriter : public formats::RawWriter {
 public:
  ObjectWriter(std::shared_ptr<Client> client, ObjectUrl url)
      : m_client(std::move(client)), m_url(std::move(url)), m_part_bytes(m_client->config().part_bytes) {}
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;
  ~ObjectWriter() override { abort(); }

  Result<void> write(std::string_view bytes) override {
    if (m_done) return fail(ErrorKind::io, "write " + format_url(m_url) + ": the upload is finished");
    while (!bytes.empty()) {
      std::size_t n = std::min(bytes.size(), m_part_bytes - m_part.size());
      m_part.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      if (m_part.size() == m_part_bytes) {
        if (auto r = send_part(); !r) return failed(r.error());
      }
    }
    return {};
  }

  Result<void> commit() override {
    if (m_done) return fail(ErrorKind::io, "commit " + format_url(m_url) + ": the upload is finished");
    if (m_upload_id.empty()) {
      auto r = m_client->put(m_url, m_part);
      if (!r) return failed(r.error());
    } else {
      if (!m_part.empty()) {
        if (auto r = send_part(); !r) return failed(r.error());
      }
      auto r = m_client->complete_multipart(m_url, m_upload_id, m_etags);
      if (!r) return failed(r.error());
    }
    m_done = true;
    release();
    return {};
  }

  void abort() override {
    if (m_done) return;
    m_done = true;
    if (!m_upload_id.empty()) (void)m_client->abort_multipart(m_url, m_upload_id);
    release();
  }

 private:
  Result<void> send_part() {
    if (m_upload_id.empty()) {
      auto id = m_client->create_multipart(m_url);
      if (!id) return fail(id.error());
      m_upload_id = std::move(*id);
    }
    auto etag = m_client->upload_part(m_url, m_upload_id, static_cast<int>(m_etags.size() + 1), m_part);
    if (!etag) return fail(etag.error());
    m_etags.push_back(std::move(*etag));
    m_part.clear();
    return {};
  }

  tl::unexpected<Error> failed(Error error) {
    abort();
    return fail(std::move(error));
  }

  void release() {
    m_part.clear();
    m_part.shrink_to_fit();
  }

  std::shared_ptr<Client> m_client;
  ObjectUrl m_url;
  std::size_t m_part_bytes;
  std::string m_part;
  std::string m_upload_id;
  std::vector<std::string> m_etags;
  bool m_done = false;
};

class Store : public formats::RawStore {
 public:
  explicit Store(std::function<Result<Config>()> load) : m_load(std::move(load)) {}

  Result<std::unique_ptr<formats::RawReader>> open_read(const std::string& path) override {
    auto target = resolve(path);
    if (!target) return fail(target.error());
    auto head = target->first->head(target->second);
    if (!head) return fail(head.error());
    if (!*head) return fail(ErrorKind::not_found, path + ": no such object");
    return std::unique_ptr<formats::RawReader>(
        std::make_unique<ObjectReader>(target->first, target->second, std::move(**head)));
  }

  Result<std::unique_ptr<formats::RawWriter>> open_write(const std::string& path,
                                                         Overwrite overwrite) override {
    auto target = resolve(path);
    if (!target) return fail(target.error());
    if (target->second.key.empty() || target->second.key.ends_with("/"))
      return fail(ErrorKind::invalid, path + ": an object name is needed, not a folder");
    if (overwrite == Overwrite::no) {
      auto head = target->first->head(target->second);
      if (!head) return fail(head.error());
      if (*head)
        return fail(ErrorKind::conflict, path + " already exists; choose another path or allow overwriting");
    }
    // Each writer has its own connection, so an upload never waits on a reader's request.
    auto own = std::make_shared<Client>(target->first->config());
    return std::unique_ptr<formats::RawWriter>(std::make_unique<ObjectWriter>(own, target->second));
  }

  Result<std::optional<RawObject>> stat(const std::string& path) override {
    auto target = resolve(path);
    if (!target) return fail(target.error());
    auto head = target->first->head(target->second);
    if (!head) return fail(head.error());
    if (!*head) return std::optional<RawObject>{};
    return std::optional<RawObject>{RawObject{path, (*head)->bytes, (*head)->modified_unix_ns}};
  }

  Result<std::vector<RawObject>> list(const std::string& dir) override {
    auto target = resolve(dir);
    if (!target) return fail(target.error());
    ObjectUrl prefix = target->second;
    if (!prefix.key.empty() && !prefix.key.ends_with("/")) prefix.key += '/';
    std::vector<RawObject> out;
    std::string token;
    do {
      auto page = target->first->list_page(prefix, "/", token);
      if (!page) return fail(page.error());
      for (auto& object : page->objects)
        out.push_back(
            RawObject{format_url({prefix.bucket, object.key}), object.bytes, object.modified_unix_ns});
      token = std::move(page->next_token);
    } while (!token.empty());
    std::sort(out.begin(), out.end(), [](const RawObject& a, const RawObject& b) { return a.path < b.path; });
    return out;
  }

  Result<void> remove(const std::string& path) override {
    auto target = resolve(path);
    if (!target) return fail(target.error());
    return target->first->remove(target->second);
  }

 private:
  Result<std::shared_ptr<Client>> client() {
    std::lock_guard lock(m_mutex);
    if (m_client) return m_client;
    auto config = m_load();
    if (!config) return fail(config.error());
    m_client = std::make_shared<Client>(std::move(*config));
    return m_client;
  }

  Result<std::pair<std::shared_ptr<Client>, ObjectUrl>> resolve(const std::string& path) {
    auto url = parse_url(path);
    if (!url) return fail(url.error());
    auto c = client();
    if (!c) return fail(with_context(c.error(), path));
    return std::make_pair(*c, std::move(*url));
  }

  std::function<Result<Config>()> m_load;
  std::mutex m_mutex;
  std::shared_ptr<Client> m_client;
};

}  // namespace

std::shared_ptr<formats::RawStore> make_store(Config config) {
  return std::make_shared<Store>([config = std::move(config)]() -> Result<Config> { return config; });
}

std::shared_ptr<formats::RawStore> make_lazy_store(std::function<Result<Config>()> load) {
  return std::make_shared<Store>(std::move(load));
}

}  // namespace ktape::s3
