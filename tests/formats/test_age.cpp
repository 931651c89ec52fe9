// age encryption: round trips across chunk boundaries, the failures a user meets (wrong key, no
// key, truncated file, modified chunk or header), and interoperation both ways with the real
// `age` command (Debian's age package; those cases are skipped with a message when it is absent).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "formats/age.hpp"
#include "formats/compress.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::formats;
using test_support::read_file;
using test_support::TempDir;

namespace {

constexpr std::size_t k_chunk = 64 * 1024;

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Encrypts `plain` to `recipients`, written in pieces of `piece` bytes.
std::string encrypt(const std::string& plain, const std::vector<AgeRecipient>& recipients,
                    std::size_t piece = 10007) {
  std::string out;
  auto enc = AgeEncryptor::start(recipients, [&](std::string_view b) -> Result<void> {
    out.append(b);
    return {};
  });
  REQUIRE(enc);
  for (std::size_t at = 0; at < plain.size(); at += piece)
    REQUIRE((*enc)->write(std::string_view(plain).substr(at, piece)));
  REQUIRE((*enc)->finish());
  CHECK_FALSE((*enc)->write("more"));
  return out;
}

// Everything a source yields, or its first error.
Result<std::string> drain(ByteSource& source) {
  std::string all;
  std::string buf(70000, '\0');
  while (true) {
    auto n = source.read(buf.data(), buf.size());
    if (!n) return fail(n.error());
    if (*n == 0) return all;
    all.append(buf.data(), *n);
  }
}

Result<std::string> decrypt(std::string cipher) {
  auto source = memory_source(std::move(cipher));
  return drain(*source);
}

// Keys installed for one test case, cleared after it (the keyring is process-wide).
struct Keys {
  Keys(std::vector<AgeIdentity> ids, std::vector<AgeRecipient> rs) {
    set_age_identities(std::move(ids));
    set_age_recipients(std::move(rs));
  }
  Keys(const Keys&) = delete;
  Keys& operator=(const Keys&) = delete;
  ~Keys() {
    set_age_identities({});
    set_age_recipients({});
  }
};

bool have_age() { return std::system("age --version >/dev/null 2>&1") == 0; }

int run(const std::string& command) { return std::system((command + " 2>/dev/null").c_str()); }

}  // namespace

TEST_CASE("age keys: Bech32 strings round trip and bad ones are refused") {
  auto id = AgeIdentity::generate();
  auto text = id.to_string();
  CHECK(text.rfind("AGE-SECRET-KEY-1", 0) == 0);
  auto rec = id.recipient().to_string();
  CHECK(rec.rfind("age1", 0) == 0);
  auto parsed = parse_age_recipient(rec);
  REQUIRE(parsed);
  CHECK(parsed->public_key == id.recipient().public_key);
  std::string bad = rec;
  bad[10] = bad[10] == 'q' ? 'p' : 'q';  // one changed character breaks the checksum
  auto refused = parse_age_recipient(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("not an age X25519 recipient") != std::string::npos);
  CHECK_FALSE(parse_age_recipient(id.to_string()));  // an identity is not a recipient
}

TEST_CASE("age key files: comments skipped, errors name the file and line but never the key") {
  TempDir dir;
  auto id = AgeIdentity::generate();
  auto good = dir.file("key.txt");
  test_support::write_file(
      good, "# created: now\n# public key: " + id.recipient().to_string() + "\n\n" + id.to_string() + "\n");
  auto ids = read_age_identities_file(good);
  REQUIRE(ids);
  REQUIRE(ids->size() == 1);
  CHECK(ids->front().secret() == id.secret());

  std::string secret_line = id.to_string();
  secret_line.back() = secret_line.back() == 'Q' ? 'P' : 'Q';
  auto bad = dir.file("bad.txt");
  test_support::write_file(bad, "# a comment\n" + secret_line + "\n");
  auto refused = read_age_identities_file(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find(bad + ": line 2") != std::string::npos);
  CHECK(refused.error().message.find(secret_line.substr(0, 30)) == std::string::npos);

  auto recipients = dir.file("recipients.txt");
  test_support::write_file(recipients, "# team\n" + id.recipient().to_string() + "\n" +
                                           AgeIdentity::generate().recipient().to_string() + "\n");
  auto rs = read_age_recipients_file(recipients);
  REQUIRE(rs);
  CHECK(rs->size() == 2);
  test_support::write_file(recipients, "# nobody\n");
  CHECK_FALSE(read_age_recipients_file(recipients));
  CHECK(read_age_identities_file(dir.file("missing")).error().kind == ErrorKind::io);
}

TEST_CASE("age round trip across chunk boundaries") {
  auto id = AgeIdentity::generate();
  Keys keys({id}, {});
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, k_chunk - 1, k_chunk, k_chunk + 1, 3 * k_chunk,
                           std::size_t{5} * 1024 * 1024 + 7}) {
    CAPTURE(size);
    auto plain = random_bytes(size, static_cast<unsigned>(size));
    auto cipher = encrypt(plain, {id.recipient()});
    // Header, 16-byte nonce, then one 16-byte tag per chunk (at least one chunk, even when empty).
    std::size_t chunks = std::max<std::size_t>(1, (size + k_chunk - 1) / k_chunk);
    auto header_end = cipher.find("\n---");
    REQUIRE(header_end != std::string::npos);
    std::size_t header = cipher.find('\n', header_end + 1) + 1;
    CHECK(cipher.size() == header + 16 + size + 16 * chunks);
    if (size >= 64) CHECK(cipher.find(plain.substr(0, 64)) == std::string::npos);  // really encrypted
    auto back = decrypt(cipher);
    REQUIRE_MESSAGE(back, (back ? "" : back.error().message));
    CHECK(*back == plain);
  }
}

TEST_CASE("age: every recipient can open the file; another key cannot, and no key says what to give") {
  auto a = AgeIdentity::generate();
  auto b = AgeIdentity::generate();
  auto stranger = AgeIdentity::generate();
  auto plain = random_bytes(100000, 5);
  auto cipher = encrypt(plain, {a.recipient(), b.recipient()});
  for (const auto& id : {a, b}) {
    Keys keys({stranger, id}, {});
    auto back = decrypt(cipher);
    REQUIRE(back);
    CHECK(*back == plain);
  }
  {
    Keys keys({stranger}, {});
    auto refused = decrypt(cipher);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::invalid);
    CHECK(refused.error().message.find("encrypted to other recipients") != std::string::npos);
    CHECK(refused.error().message.find("AGE-SECRET-KEY") == std::string::npos);
  }
  Keys none({}, {});
  auto refused = decrypt(cipher);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("--identity") != std::string::npos);
}

TEST_CASE("age: a truncated or modified file is an error, never short or wrong data") {
  auto id = AgeIdentity::generate();
  Keys keys({id}, {});
  auto plain = random_bytes(3 * k_chunk + 100, 9);
  auto cipher = encrypt(plain, {id.recipient()});
  std::size_t payload = cipher.find('\n', cipher.find("\n---") + 1) + 1 + 16;
  std::size_t sealed = k_chunk + 16;

  SUBCASE("cut at a chunk boundary") {
    auto r = decrypt(cipher.substr(0, payload + 2 * sealed));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("truncated") != std::string::npos);
  }
  SUBCASE("cut inside a chunk") {
    auto r = decrypt(cipher.substr(0, payload + sealed + 1000));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("chunk 1") != std::string::npos);
  }
  SUBCASE("cut inside the header") {
    auto r = decrypt(cipher.substr(0, 40));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("header") != std::string::npos);
  }
  SUBCASE("a byte changed in chunk 2") {
    cipher[payload + 2 * sealed + 5] ^= 1;
    auto r = decrypt(cipher);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::parse);
    CHECK(r.error().message.find("age chunk 2 does not authenticate") != std::string::npos);
  }
  SUBCASE("a chunk dropped") {
    auto r = decrypt(cipher.substr(0, payload + sealed) + cipher.substr(payload + 2 * sealed));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("chunk 1") != std::string::npos);
  }
  SUBCASE("the header MAC changed") {
    auto at = cipher.find("\n--- ") + 6;
    cipher[at] = cipher[at] == 'A' ? 'B' : 'A';
    auto r = decrypt(cipher);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("MAC") != std::string::npos);
  }
  SUBCASE("data after the last chunk") {
    auto r = decrypt(cipher + "x");
    REQUIRE_FALSE(r);
  }
}

TEST_CASE("open_sink and open_source: .yaml.zst.age is compressed, then encrypted, and read back") {
  TempDir dir;
  auto id = AgeIdentity::generate();
  std::string text;
  for (int i = 0; i < 40000; ++i) text += "- name: object-" + std::to_string(i) + "\n";
  auto path = dir.file("rec.yaml.zst.age");
  CHECK(compression_for_path(path) == Compression::zstd);
  {
    Keys none({}, {});
    auto refused = open_sink(path, Compression::zstd, Overwrite::no);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("--encrypt-to") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(path));
  }
  Keys keys({id}, {id.recipient()});
  auto sink = open_sink(path, compression_for_path(path), Overwrite::no);
  REQUIRE(sink);
  for (std::size_t at = 0; at < text.size(); at += 3000)
    REQUIRE((*sink)->write(std::string_view(text).substr(at, 3000)));
  REQUIRE((*sink)->flush());
  REQUIRE((*sink)->close());
  auto bytes = read_file(path);
  CHECK(bytes.rfind(std::string(k_age_magic), 0) == 0);
  CHECK(bytes.size() < text.size() / 4);  // compressed before encryption (encrypted data does not compress)
  CHECK((*sink)->bytes_written() == bytes.size());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto source = open_source(path);
  REQUIRE(source);
  auto back = drain(**source);
  REQUIRE(back);
  CHECK(*back == text);
}

TEST_CASE("age interop: files ktape encrypts open with `age -d`; files `age -r` encrypts open in ktape") {
  if (!have_age()) {
    MESSAGE("skipped: the age command is not installed (Debian package age)");
    return;
  }
  TempDir dir;
  auto key = dir.file("key.txt");
  REQUIRE(run("age-keygen -o " + key) == 0);
  auto ids = read_age_identities_file(key);
  REQUIRE(ids);
  // age-keygen -y derives the recipient with Go's X25519 and Bech32: ours must agree.
  REQUIRE(run("age-keygen -y -o " + dir.file("pub.txt") + " " + key) == 0);
  auto recipients = read_age_recipients_file(dir.file("pub.txt"));
  REQUIRE(recipients);
  CHECK(recipients->front().public_key == ids->front().recipient().public_key);
  CHECK(ids->front().recipient().to_string() + "\n" == read_file(dir.file("pub.txt")));
  Keys keys(*ids, *recipients);

  for (std::size_t size : {std::size_t{0}, k_chunk, k_chunk + 1, std::size_t{3} * 1024 * 1024}) {
    CAPTURE(size);
    auto plain = random_bytes(size, static_cast<unsigned>(size) + 1);
    auto cipher = dir.file("ktape.age");
    test_support::write_file(cipher, encrypt(plain, *recipients, 65536));
    REQUIRE(run("age -d -i " + key + " -o " + dir.file("out.bin") + " " + cipher) == 0);
    CHECK(read_file(dir.file("out.bin")) == plain);

    test_support::write_file(dir.file("plain.bin"), plain);
    std::filesystem::remove(dir.file("theirs.age"));
    REQUIRE(run("age -r " + recipients->front().to_string() + " -r " +
                AgeIdentity::generate().recipient().to_string() + " -o " + dir.file("theirs.age") + " " +
                dir.file("plain.bin")) == 0);
    auto source = open_source(dir.file("theirs.age"));
    REQUIRE(source);
    auto back = drain(**source);
    REQUIRE_MESSAGE(back, (back ? "" : back.error().message));
    CHECK(*back == plain);
  }

  // A zstd file encrypted by age is decrypted, then decompressed, by extension-blind detection.
  auto zst = dir.file("rec.yaml.zst");
  {
    auto sink = open_sink(zst, Compression::zstd, Overwrite::no);
    REQUIRE(sink);
    REQUIRE((*sink)->write("apiVersion: v1\nkind: ConfigMap\n"));
    REQUIRE((*sink)->close());
  }
  REQUIRE(run("age -r " + recipients->front().to_string() + " -o " + zst + ".age " + zst) == 0);
  auto source = open_source(zst + ".age");
  REQUIRE(source);
  auto back = drain(**source);
  REQUIRE(back);
  CHECK(*back == "apiVersion: v1\nkind: ConfigMap\n");

  // A file age refuses after ktape tampered with it is refused by both.
  auto tampered = encrypt(random_bytes(200000, 4), *recipients);
  tampered[tampered.size() - 100] ^= 4;
  test_support::write_file(dir.file("tampered.age"), tampered);
  CHECK(run("age -d -i " + key + " -o " + dir.file("t.out") + " " + dir.file("tampered.age")) != 0);
  CHECK_FALSE(decrypt(tampered));
}
