// s3/ against a real S3-compatible server (s3rver): single PUT, multipart, listing with
// continuation, 403 on bad credentials, a dropped connection mid-upload, and formats' streams
// (compression on top) over s3:// paths.
#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <random>

#include "formats/compress.hpp"
#include "formats/raw_store.hpp"
#include "s3/client.hpp"
#include "s3/store.hpp"
#include "tests/s3/s3rver.hpp"

namespace ktape::s3 {
namespace {

using formats::Overwrite;

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

std::string md5_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr);
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += "0123456789abcdef"[digest[i] >> 4];
    out += "0123456789abcdef"[digest[i] & 15];
  }
  return out;
}

std::string url(const std::string& key) { return "s3://" + std::string(test::k_bucket) + "/" + key; }

Result<void> write_object(formats::RawStore& store, const std::string& path, std::string_view bytes,
                          std::size_t chunk = 100'000) {
  auto writer = store.open_write(path, Overwrite::yes);
  if (!writer) return fail(writer.error());
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    if (auto r = (*writer)->write(bytes.substr(at, chunk)); !r) return r;
  }
  return (*writer)->commit();
}

Result<std::string> read_object(formats::RawStore& store, const std::string& path) {
  auto reader = store.open_read(path);
  if (!reader) return fail(reader.error());
  std::string out;
  char buf[65536];
  while (true) {
    auto n = (*reader)->read(buf, sizeof buf);
    if (!n) return fail(n.error());
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

#define REQUIRE_S3RVER(server)                                                                     \
  test::S3rver* server##_ptr = test::shared_s3rver();                                              \
  if (server##_ptr == nullptr) {                                                                   \
    MESSAGE("SKIPPED: s3rver is not installed (scripts/install-deps.sh installs it into .deps/)"); \
    return;                                                                                        \
  }                                                                                                \
  test::S3rver& server = *server##_ptr

TEST_CASE("an object written in one PUT reads back whole, and stat and remove see it") {
  REQUIRE_S3RVER(server);
  auto store = make_store(server.config());
  std::string bytes = random_bytes(300'000, 1);  // under one part: a single PUT
  REQUIRE(write_object(*store, url("one/small.bin"), bytes));
  auto back = read_object(*store, url("one/small.bin"));
  REQUIRE(back);
  CHECK(*back == bytes);
  auto st = store->stat(url("one/small.bin"));
  REQUIRE(st);
  REQUIRE(st->has_value());
  CHECK((*st)->bytes == bytes.size());
  CHECK((*st)->modified_unix_ns > 0);
  REQUIRE(store->remove(url("one/small.bin")));
  auto gone = store->stat(url("one/small.bin"));
  REQUIRE(gone);
  CHECK_FALSE(gone->has_value());
  auto missing = store->open_read(url("one/small.bin"));
  REQUIRE_FALSE(missing);
  CHECK(is_not_found(missing.error()));
  CHECK(missing.error().message.find("s3://bkt/one/small.bin") != std::string::npos);
}

TEST_CASE("an object bigger than one part is uploaded in parts and reads back whole") {
  REQUIRE_S3RVER(server);
  test::DroppingProxy proxy(server.port(), 0, test::DroppingProxy::Drop::never);
  Config config = server.config(std::size_t{1} << 20);
  config.endpoint = proxy.endpoint();
  auto store = make_store(config);
  std::string bytes = random_bytes(3 * config.part_bytes + 12345, 2);  // 4 parts, the last one short
  REQUIRE(write_object(*store, url("multi/big.bin"), bytes, 70'001));
  CHECK(proxy.parts_seen() == 4);
  auto back = read_object(*store, url("multi/big.bin"));
  REQUIRE(back);
  CHECK(back->size() == bytes.size());
  CHECK(*back == bytes);
  Client client(config);
  auto head = client.head({test::k_bucket, "multi/big.bin"});
  REQUIRE(head);
  REQUIRE(head->has_value());
  CHECK((*head)->bytes == bytes.size());
}

TEST_CASE("an upload that is never committed leaves nothing behind") {
  REQUIRE_S3RVER(server);
  auto store = make_store(server.config(std::size_t{1} << 20));
  {
    auto writer = store->open_write(url("gone/abandoned.bin"), Overwrite::yes);
    REQUIRE(writer);
    REQUIRE((*writer)->write(random_bytes(2'500'000, 3)));  // two parts already sent
  }                                                         // destroyed without commit: aborted
  auto listed = store->list(url("gone/"));
  REQUIRE(listed);
  CHECK(listed->empty());
}

TEST_CASE("listing follows continuation tokens past max-keys and stays in its folder") {
  REQUIRE_S3RVER(server);
  Config config = server.config();
  config.list_page_keys = 3;  // 8 keys: three pages
  auto store = make_store(config);
  std::vector<std::string> expected;
  for (int i = 0; i < 8; ++i) {
    std::string path = url("dir/rec-" + std::to_string(i) + ".yaml");
    REQUIRE(write_object(*store, path, "x" + std::to_string(i)));
    expected.push_back(path);
  }
  REQUIRE(write_object(*store, url("dir/below/not-listed.yaml"), "y"));
  REQUIRE(write_object(*store, url("dirx/not-listed.yaml"), "z"));
  Client client(config);
  auto first = client.list_page({test::k_bucket, "dir/"}, "/", "");
  REQUIRE(first);
  CHECK(first->objects.size() == 3);
  CHECK_FALSE(first->next_token.empty());
  auto listed = store->list(url("dir"));  // the trailing '/' is added
  REQUIRE(listed);
  std::vector<std::string> paths;
  for (const auto& o : *listed) paths.push_back(o.path);
  CHECK(paths == expected);
  CHECK((*listed)[3].bytes == 2);
}

TEST_CASE("bad credentials are a 403 naming the object, without the secret") {
  REQUIRE_S3RVER(server);
  Config config = server.config();
  config.credentials = {"NOT-A-KEY", "not-the-secret-xyz", ""};
  auto store = make_store(config);
  auto writer = store->open_write(url("denied/x.yaml"), Overwrite::no);  // the HEAD is refused
  REQUIRE_FALSE(writer);
  CHECK(writer.error().http_status == 403);
  CHECK(writer.error().message.find("s3://bkt/denied/x.yaml") != std::string::npos);
  CHECK(writer.error().message.find("credentials") != std::string::npos);
  CHECK(writer.error().message.find("not-the-secret-xyz") == std::string::npos);
  auto put = write_object(*store, url("denied/y.yaml"), "data");
  REQUIRE_FALSE(put);
  CHECK(put.error().http_status == 403);
  CHECK(put.error().reason == "InvalidAccessKeyId");
}

TEST_CASE("a single PUT's bytes match its MD5 ETag") {
  REQUIRE_S3RVER(server);
  Config config = server.config();
  auto store = make_store(config);
  std::string bytes = random_bytes(1000, 7);
  REQUIRE(write_object(*store, url("md5/one.bin"), bytes));
  Client client(config);
  auto head = client.head({test::k_bucket, "md5/one.bin"});
  REQUIRE(head);
  REQUIRE(head->has_value());
  CHECK((*head)->etag == "\"" + md5_hex(bytes) + "\"");
}

TEST_CASE("a connection dropped once mid-upload is retried and the object arrives whole") {
  REQUIRE_S3RVER(server);
  test::DroppingProxy proxy(server.port(), 1'500'000, test::DroppingProxy::Drop::once);
  Config config = server.config(std::size_t{1} << 20);
  config.endpoint = proxy.endpoint();
  auto store = make_store(config);
  std::string bytes = random_bytes(4'000'000, 5);
  auto written = write_object(*store, url("drop/once.bin"), bytes);
  CHECK(proxy.dropped());
  if (written) {
    auto back = read_object(*make_store(server.config()), url("drop/once.bin"));
    REQUIRE(back);
    CHECK(*back == bytes);
  } else {  // not retried: then nothing may show
    auto listed = make_store(server.config())->list(url("drop/"));
    REQUIRE(listed);
    CHECK(listed->empty());
  }
}

TEST_CASE("a link that drops mid-upload fails the upload and leaves nothing in the listing") {
  REQUIRE_S3RVER(server);
  test::DroppingProxy proxy(server.port(), 1'500'000, test::DroppingProxy::Drop::forever);  // in part 2
  Config config = server.config(std::size_t{1} << 20);
  config.endpoint = proxy.endpoint();
  auto store = make_store(config);
  auto written = write_object(*store, url("linkdown/cut.yaml"), random_bytes(4'000'000, 4));
  REQUIRE_FALSE(written);
  CHECK(proxy.dropped());
  CHECK(written.error().kind == ErrorKind::transport);
  CHECK(written.error().message.find("s3://bkt/linkdown/cut.yaml") != std::string::npos);
  auto direct = make_store(server.config());
  auto listed = direct->list(url("linkdown/"));
  REQUIRE(listed);
  CHECK(listed->empty());
}

TEST_CASE("formats' sinks and sources stream s3:// paths with compression on top") {
  REQUIRE_S3RVER(server);
  formats::register_raw_store("s3://", make_store(server.config()));
  std::string text;
  for (int i = 0; i < 50'000; ++i) text += "- line " + std::to_string(i) + "\n";
  {
    auto sink = formats::open_sink(url("rec/a.yaml.zst"), formats::Compression::zstd, Overwrite::no);
    REQUIRE(sink);
    REQUIRE((*sink)->write(text));
    REQUIRE((*sink)->close());
  }
  auto again = formats::open_sink(url("rec/a.yaml.zst"), formats::Compression::zstd, Overwrite::no);
  REQUIRE_FALSE(again);
  CHECK(is_conflict(again.error()));
  auto source = formats::open_source(url("rec/a.yaml.zst"));
  REQUIRE(source);
  std::string back;
  char buf[8192];
  while (true) {
    auto n = (*source)->read(buf, sizeof buf);
    REQUIRE(n);
    if (*n == 0) break;
    back.append(buf, *n);
  }
  CHECK(back == text);
  CHECK((*source)->raw_bytes_read() < text.size() / 3);  // it was stored compressed
  {
    auto unclosed = formats::open_sink(url("rec/b.yaml"), formats::Compression::none, Overwrite::no);
    REQUIRE(unclosed);
    REQUIRE((*unclosed)->write("partial"));
    REQUIRE((*unclosed)->flush());
  }  // destroyed without close: nothing appears
  auto st = formats::raw_store_for(url("rec/b.yaml"))->stat(url("rec/b.yaml"));
  REQUIRE(st);
  CHECK_FALSE(st->has_value());
  formats::register_raw_store("s3://", nullptr);
}

}  // namespace
}  // namespace ktape::s3
