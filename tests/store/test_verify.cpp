#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/verify.hpp"
#include "tests/store/generated_recording.hpp"
#include "tests/support/files.hpp"
#include "tests/support/recording_text.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::store;
using test_fixture::write_generated;
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;

namespace {

std::string testdata(const std::string& name) { return std::string(KTAPE_SOURCE_DIR) + "/testdata/" + name; }

std::vector<const Finding*> of_check(const VerifyReport& r, const std::string& check) {
  std::vector<const Finding*> out;
  for (const auto& f : r.findings)
    if (f.check == check) out.push_back(&f);
  return out;
}

std::string findings_text(const VerifyReport& r) { return format_report_text(r); }

// The 1-based line of the first line after `text`: where a document appended to it starts.
std::size_t next_line(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

// The file's documents, split at its "---" lines (the header line stays with the first).
std::vector<std::string> split_documents(const std::string& text) {
  std::vector<std::string> docs;
  std::size_t start = 0;
  for (;;) {
    auto at = text.find("\n---\n", start);
    if (at == std::string::npos) break;
    docs.push_back(text.substr(start, at + 1 - start));
    start = at + 1;
  }
  docs.push_back(text.substr(start));
  return docs;
}

std::string join(const std::vector<std::string>& docs) {
  std::string out;
  for (const auto& d : docs) out += d;
  return out;
}

}  // namespace

TEST_CASE("verify: a recording as the recorder writes it is ok, compressed or not") {
  TempDir dir;
  for (const char* name : {"rec.yaml", "rec.yaml.gz", "rec.yaml.zst"}) {
    CAPTURE(name);
    auto g = write_generated(dir.file(name), 200);
    auto r = verify_recording(dir.file(name));
    INFO(findings_text(r));
    CHECK(r.ok());
    CHECK(r.status == "ok");
    CHECK(r.findings.empty());
    CHECK(r.has_header);
    CHECK(r.objects == g.objects);
    CHECK(r.events == g.pod_creates + g.pod_patches + g.pod_deletes);
    auto v = report_to_value(r);
    CHECK(v.find("ok")->as_bool());
  }
}

TEST_CASE("verify: kwok's files are read, their disorder and missing sidecar only warnings") {
  for (const char* name : {"kwok/recording.yaml", "kwok/recording.yaml.gz", "kwok/snapshot.yaml"}) {
    CAPTURE(name);
    auto r = verify_recording(testdata(name));
    INFO(findings_text(r));
    CHECK(r.ok());
    CHECK(r.status == "incomplete");
    CHECK_FALSE(r.has_header);
    CHECK(r.errors() == 0);
    CHECK(of_check(r, "integrity").size() == 1);
  }
  auto r = verify_recording(testdata("kwok/recording.yaml"));
  auto order = of_check(r, "order");
  REQUIRE(order.size() == 1);
  CHECK(order[0]->severity == Severity::warning);
  CHECK(order[0]->document == 4);  // the patch at 2 s after the create of endpoints at 2.5 s
  CHECK(of_check(r, "apply").empty());
}

TEST_CASE("verify: a missing sidecar is incomplete, a changed byte corrupt") {
  TempDir dir;
  auto path = dir.file("rec.yaml");
  write_generated(path, 50, 7, false);
  auto missing = verify_recording(path);
  CHECK(missing.status == "incomplete");
  CHECK_FALSE(missing.ok());
  REQUIRE(of_check(missing, "integrity").size() == 1);
  CHECK(of_check(missing, "integrity")[0]->message.find("rec.yaml.sha256") != std::string::npos);

  write_generated(path, 50, 7, true);
  auto text = read_file(path);
  auto at = text.find("image: img:1");
  REQUIRE(at != std::string::npos);
  text[at + 11] = '9';  // still a valid recording, but not the one the sidecar describes
  write_file(path, text);
  auto flipped = verify_recording(path);
  INFO(findings_text(flipped));
  CHECK(flipped.status == "corrupt");
  REQUIRE(flipped.findings.size() == 1);
  CHECK(flipped.findings[0].check == "integrity");
  CHECK(flipped.findings[0].message.find("differs from its sidecar") != std::string::npos);
}

TEST_CASE("verify: every bad document is listed with its document and line, and reading goes on") {
  TempDir dir;
  auto path = dir.file("bad.yaml");
  write_generated(path, 5, 7, false);
  std::string text = read_file(path);
  std::size_t documents = split_documents(text).size();
  using test_support::event_doc;
  std::size_t list_line = next_line(text) + 1;
  text += "---\n- a\n- sequence\n";
  std::size_t yaml_line = next_line(text) + 1;
  text += "---\nkey: [never closed\n";
  std::size_t fields_line = next_line(text) + 1;
  text += "---\napiVersion: action.kwok.x-k8s.io/v1alpha1\nkind: ResourcePatch\nmethod: create\n";
  std::size_t ghost_line = next_line(text) + 1;
  text += event_doc("", "pods", "shop", "ghost", "patch", 99'000'000'000, R"({"spec":{}})");
  std::size_t bad_patch_line = next_line(text) + 1;
  text +=
      event_doc("", "pods", "shop", "web-1-0", "patch", 99'000'000'001, R"({"metadata":{"$patch":"bogus"}})");
  write_file(path, text);

  auto r = verify_recording(path);
  INFO(findings_text(r));
  CHECK_FALSE(r.ok());
  CHECK(r.status == "incomplete");
  auto read = of_check(r, "read");
  REQUIRE(read.size() == 2);
  CHECK(read[0]->document == documents + 1);
  CHECK(read[0]->line == list_line);
  CHECK(read[0]->message.find("expected a mapping, found a sequence") != std::string::npos);
  CHECK(read[1]->document == documents + 2);
  CHECK(read[1]->line == yaml_line);
  auto fields = of_check(r, "fields");
  REQUIRE(fields.size() == 1);
  CHECK(fields[0]->document == documents + 3);
  CHECK(fields[0]->line == fields_line);
  auto apply = of_check(r, "apply");
  REQUIRE(apply.size() == 2);
  CHECK(apply[0]->document == documents + 4);
  CHECK(apply[0]->line == ghost_line);
  CHECK(apply[0]->message == "patch of v1 pods shop/ghost, which does not exist");
  CHECK(apply[1]->document == documents + 5);
  CHECK(apply[1]->line == bad_patch_line);
  CHECK(format_report_text(r).find("bad.yaml: document " + std::to_string(documents + 4) + " (line " +
                                   std::to_string(ghost_line) + "): error: apply: ") != std::string::npos);
}

TEST_CASE("verify: reordered documents break the order of ktape's files, and the patches") {
  TempDir dir;
  auto path = dir.file("rec.yaml");
  write_generated(path, 30, 7, false);
  auto docs = split_documents(read_file(path));
  REQUIRE(docs.size() > 10);
  // Move the create of the first pod with patches to the end: its patches now come before it.
  auto first_event = docs.begin();
  while (first_event + 1 != docs.end() && !(first_event->find("method: create") != std::string::npos &&
                                            (first_event + 1)->find("method: patch") != std::string::npos))
    ++first_event;
  REQUIRE(first_event + 1 != docs.end());
  std::rotate(first_event, first_event + 1, docs.end());
  write_file(path, join(docs));
  SUBCASE(
      "within the sort window: out of order in a ktape file is an error, the replay order still applies") {
    auto r = verify_recording(path);
    INFO(findings_text(r));
    REQUIRE(of_check(r, "order").size() == 1);
    CHECK(of_check(r, "order")[0]->severity == Severity::error);
    CHECK(of_check(r, "order")[0]->document == docs.size());
    CHECK(of_check(r, "apply").empty());
  }
  SUBCASE("beyond the sort window: the patches no longer apply") {
    VerifyOptions options;
    options.sort_window = 2;
    auto r = verify_recording(path, options);
    INFO(findings_text(r));
    CHECK(of_check(r, "order").size() >= 2);
    CHECK_FALSE(of_check(r, "apply").empty());
  }
}

TEST_CASE("verify: a truncated gzip file and a corrupt zstd one stop the read, named") {
  TempDir dir;
  auto gz = dir.file("rec.yaml.gz");
  write_generated(gz, 400);
  auto bytes = read_file(gz);
  write_file(gz, bytes.substr(0, bytes.size() * 2 / 3));
  auto r = verify_recording(gz);
  INFO(findings_text(r));
  CHECK(r.status == "corrupt");
  CHECK(of_check(r, "integrity").size() == 1);
  auto read = of_check(r, "read");
  REQUIRE(read.size() == 1);
  CHECK(read[0]->document > 10);
  CHECK(read[0]->message.find("truncated gzip stream") != std::string::npos);
  CHECK(r.events > 0);

  auto zst = dir.file("rec.yaml.zst");
  write_generated(zst, 400);
  bytes = read_file(zst);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  write_file(zst, bytes);
  auto z = verify_recording(zst);
  INFO(findings_text(z));
  CHECK(z.status == "corrupt");
  REQUIRE(of_check(z, "read").size() == 1);
  CHECK(of_check(z, "read")[0]->message.find("zstd") != std::string::npos);
}

TEST_CASE("verify: owners not in the file are reported, not failed; many findings are capped") {
  TempDir dir;
  auto path = dir.file("orphans.yaml");
  std::string text;
  using test_support::event_doc;
  using test_support::object_json;
  using test_support::owner_json;
  for (int i = 0; i < 30; ++i) {
    auto name = "p" + std::to_string(i);
    text += event_doc("", "pods", "shop", name, "create", i,
                      object_json("v1", "Pod", "shop", name, "u" + name,
                                  owner_json("apps/v1", "ReplicaSet", "rs", "absent")));
  }
  // One owner that appears after its dependent is resolved.
  text +=
      event_doc("", "pods", "shop", "late", "create", 100,
                object_json("v1", "Pod", "shop", "late", "ulate", owner_json("v1", "Pod", "p0", "uowner")));
  text += event_doc("", "pods", "shop", "owner", "create", 101,
                    object_json("v1", "Pod", "shop", "owner", "uowner"));
  write_file(path, text);
  auto r = verify_recording(path);
  INFO(findings_text(r));
  CHECK(r.ok());
  auto owners = of_check(r, "owner");
  VerifyOptions defaults;
  REQUIRE(owners.size() == defaults.findings_per_check + 1);
  CHECK(owners[0]->severity == Severity::warning);
  CHECK(owners[0]->message == "v1 Pod shop/p0: its owner ReplicaSet rs is not in the file when it appears");
  CHECK(owners.back()->message == "... and 10 more owner findings");
}

TEST_CASE("verify: a file that is not there is a report, not a crash") {
  auto r = verify_recording("/nonexistent/rec.yaml");
  CHECK_FALSE(r.ok());
  REQUIRE(of_check(r, "read").size() == 1);
  CHECK(of_check(r, "read")[0]->message.find("/nonexistent/rec.yaml") != std::string::npos);
}
