#include <doctest/doctest.h>
#include <sys/stat.h>

#include <climits>
#include <filesystem>

#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "formats/time.hpp"
#include "formats/writer.hpp"
#include "formats/yaml.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::formats;
namespace fs = std::filesystem;
using test_support::TempDir;
using test_support::write_file;

namespace {

std::string testdata(const std::string& name) { return std::string(KTAPE_SOURCE_DIR) + "/testdata/" + name; }

std::vector<RecordingEntry> read_all(RecordingReader& r) {
  std::vector<RecordingEntry> out;
  for (;;) {
    auto e = r.next();
    REQUIRE_MESSAGE(e, (e ? "" : e.error().message));
    if (!*e) break;
    out.push_back(std::move(**e));
  }
  return out;
}

ResourcePatch event(std::int64_t t, std::string name, Method m = Method::create) {
  ResourcePatch ev;
  ev.resource = {"", "v1", "configmaps"};
  ev.name = std::move(name);
  ev.namespace_name = "default";
  ev.duration_ns = t;
  ev.method = m;
  if (m != Method::remove) {
    ev.template_value = *parse_json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})");
    ev.template_value["metadata"].set("name", ev.name);
  }
  return ev;
}

}  // namespace

TEST_CASE("reads kwok's snapshot file with every value exact") {
  auto r = RecordingReader::open(testdata("kwok/snapshot.yaml"));
  REQUIRE(r);
  auto entries = read_all(*r);
  REQUIRE(entries.size() == 4);
  CHECK_FALSE(r->header());
  for (auto& e : entries) CHECK(e.kind == RecordingEntry::Kind::object);
  CHECK(entries[2].object.at({"metadata", "ownerReferences"})->as_array()[0].string_at({"uid"}) ==
        "5c0a1f0e-0000-4000-8000-000000000002");
  const Value& cm = entries[3].object;
  CHECK(cm.at({"data", "enabled"})->is_string());
  CHECK(cm.string_at({"data", "enabled"}) == "true");
  CHECK(cm.string_at({"data", "port"}) == "0123");
  CHECK(cm.string_at({"data", "empty"}) == "");
  CHECK(cm.string_at({"data", "motd"}) == "Welcome to the shop.\nMind the gap.\n");
}

TEST_CASE("reads kwok's recording in time order with markers, naive plurals and deletes") {
  for (auto name : {"kwok/recording.yaml", "kwok/recording.yaml.gz"}) {
    CAPTURE(name);
    RecordingReadOptions opts;
    opts.time_base = parse_rfc3339("2030-01-01T00:00:00Z");
    auto r = RecordingReader::open(testdata(name), opts);
    REQUIRE(r);
    auto entries = read_all(*r);
    REQUIRE(entries.size() == 5);
    CHECK(entries[0].kind == RecordingEntry::Kind::object);
    CHECK(entries[0].object.string_at({"metadata", "creationTimestamp"}) == "2029-12-31T23:59:00.000000Z");
    std::vector<std::int64_t> times;
    for (std::size_t i = 1; i < entries.size(); ++i) times.push_back(entries[i].event.duration_ns);
    CHECK(times == std::vector<std::int64_t>{1000000000, 2000000000, 2500000000, 3000000000});
    CHECK(entries[1].event.method == Method::create);
    CHECK(entries[1].event.resource.api_version() == "apps/v1");
    CHECK(entries[1].event.template_value.string_at({"metadata", "creationTimestamp"}) ==
          "2030-01-01T00:00:01.000000Z");
    CHECK(entries[2].event.method == Method::patch);
    CHECK(entries[2].event.template_value.at({"spec", "replicas"})->as_int64() == 3);
    CHECK(entries[3].event.resource.resource == "endpoints");
    CHECK(entries[4].event.method == Method::remove);
    CHECK(entries[4].event.template_value.is_null());
  }
}

TEST_CASE("a kubectl List yields its items") {
  auto r = RecordingReader::open(testdata("kubectl-list.yaml"));
  REQUIRE(r);
  auto entries = read_all(*r);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].object.string_at({"kind"}) == "ConfigMap");
  CHECK(entries[1].object.string_at({"data", "password"}) == "c2VjcmV0");
}

TEST_CASE("RecordingWriter sorts held events, writes 0600 without a sidecar, and reads back") {
  TempDir dir("ktape-rec");
  for (auto ext : {".yaml", ".yaml.gz", ".yaml.zst"}) {
    CAPTURE(ext);
    auto path = (dir.path() / (std::string("rec") + ext)).string();
    fs::remove(path);
    Header h;
    h.start_time = "2026-11-21T19:00:00.000000000Z";
    h.source = "cluster demo";
    h.mode = "record";
    h.time_markers = true;
    h.selection = *parse_json(R"({"resources":["configmaps"]})");
    WriterOptions wo;
    wo.path = path;
    auto w = RecordingWriter::create(wo, h);
    REQUIRE(w);
    Value ns = *parse_json(
        R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo","creationTimestamp":"2026-11-21T19:00:05Z"}})");
    REQUIRE((*w)->write_object(ns));
    (*w)->add_event(event(300, "c"));
    (*w)->add_event(event(100, "a"));
    (*w)->add_event(event(200, "b", Method::remove));
    REQUIRE((*w)->release(150));
    CHECK((*w)->held_events() == 2);
    auto late = (*w)->write_object(ns);
    CHECK_FALSE(late);
    auto resync = event(250, "r");
    resync.resync = true;
    (*w)->add_event(resync);
    REQUIRE((*w)->close());
    CHECK((*w)->stats().events == 4);

    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // The sidecar is store's, written by the recorder (tests/store/test_digest.cpp).
    CHECK_FALSE(fs::exists(path + ".sha256"));

    RecordingReadOptions opts;
    opts.sort_window = 0;  // prove the file itself is sorted
    opts.time_base = parse_rfc3339("2030-01-01T00:00:00Z");
    auto r = RecordingReader::open(path, opts);
    REQUIRE(r);
    auto entries = read_all(*r);
    REQUIRE(r->header());
    CHECK(r->header()->source == "cluster demo");
    CHECK(r->header()->time_markers);
    REQUIRE(entries.size() == 5);
    CHECK(entries[0].object.string_at({"metadata", "creationTimestamp"}) == "2030-01-01T00:00:05.000000Z");
    std::vector<std::string> names;
    for (std::size_t i = 1; i < entries.size(); ++i) names.push_back(entries[i].event.name);
    CHECK(names == std::vector<std::string>{"a", "b", "r", "c"});
    CHECK(entries[3].event.resync);
    CHECK_FALSE(entries[4].event.resync);

    auto again = RecordingWriter::create(wo, h);
    REQUIRE_FALSE(again);
    CHECK(again.error().message.find(path) != std::string::npos);
  }
}

TEST_CASE("an event rendered ahead of the writer is the document the writer would write") {
  // render_event joins two mappings around the durationNanosecond line; the result must be the
  // whole document's YAML, byte for byte, for every shape of event, with and without markers.
  const auto base = parse_rfc3339("2026-01-02T03:04:05Z");
  REQUIRE(base);
  std::vector<ResourcePatch> events;
  events.push_back(event(0, "plain"));
  events.push_back(event(-5, "negative-time", Method::patch));
  events.push_back(event(INT64_MAX, "gone", Method::remove));
  ResourcePatch rich = event(123456789, "rich");
  rich.resource = {"apps", "v1", "deployments"};
  rich.namespace_name = "";
  rich.resync = true;
  rich.template_value = *parse_json(
      R"({"metadata":{"name":"rich","creationTimestamp":"2026-01-02T03:04:06Z","labels":{"durationNanosecond":"1"}},)"
      R"("spec":{"text":"line one\nline two\n","list":[{"a":1},[],{}],"empty":{},"n":null,"yes":"yes"}})");
  events.push_back(rich);
  ResourcePatch patch = event(7, "patch", Method::patch);
  patch.template_value =
      *parse_json(R"({"status":{"startTime":"2026-01-02T03:04:07Z","$setElementOrder/c":[{"type":"A"}]}})");
  events.push_back(patch);
  for (const auto& original : events) {
    for (bool markers : {false, true}) {
      CAPTURE(original.name);
      CAPTURE(markers);
      Value doc = to_value(original);
      if (markers) relativize_times(doc, *base);
      std::string expected = to_yaml(doc);
      std::optional<TimePoint> marker_base;
      if (markers) marker_base = *base;
      RenderedEvent r = render_event(ResourcePatch(original), marker_base);
      CHECK(r.duration_ns == original.duration_ns);
      CHECK(r.resync == original.resync);
      std::string joined = r.text.substr(0, r.split) +
                           "durationNanosecond: " + std::to_string(original.duration_ns) + "\n" +
                           r.text.substr(r.split);
      CHECK(joined == expected);
    }
  }
}

TEST_CASE("a bad ResourcePatch names the file, document, line and field after earlier entries") {
  TempDir dir("ktape-rec");
  auto path = (dir.path() / "bad.yaml").string();
  write_file(path,
             "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n"
             "apiVersion: action.kwok.x-k8s.io/v1alpha1\nkind: ResourcePatch\nresource:\n  version: v1\n"
             "  resource: configmaps\ntarget:\n  namespace: a\ndurationNanosecond: 5\nmethod: delete\n");
  auto r = RecordingReader::open(path);
  REQUIRE(r);
  auto first = r->next();
  REQUIRE(first);
  REQUIRE(*first);
  CHECK((*first)->object.string_at({"metadata", "name"}) == "a");
  auto second = r->next();
  REQUIRE_FALSE(second);
  CHECK(second.error().message.find("bad.yaml: document 2 (line 6)") != std::string::npos);
  CHECK(second.error().message.find("target.name: missing") != std::string::npos);
  auto end = r->next();
  REQUIRE(end);
  CHECK_FALSE(*end);
}

TEST_CASE("plain objects after the event section began, and damaged markers, are errors") {
  TempDir dir("ktape-rec");
  auto path = (dir.path() / "mixed.yaml").string();
  write_file(path,
             "apiVersion: action.kwok.x-k8s.io/v1alpha1\nkind: ResourcePatch\nresource: {version: v1, "
             "resource: namespaces}\ntarget: {name: a}\ndurationNanosecond: 1\nmethod: create\n"
             "template: {apiVersion: v1, kind: Namespace, metadata: {name: a, creationTimestamp: "
             "'$(time-offset-nanosecond 1O)'}}\n");
  RecordingReadOptions opts;
  opts.time_base = parse_rfc3339("2030-01-01T00:00:00Z");
  auto r = RecordingReader::open(path, opts);
  REQUIRE(r);
  auto e = r->next();
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("metadata.creationTimestamp") != std::string::npos);
  CHECK(e.error().message.find("document 1") != std::string::npos);

  write_file(path,
             "apiVersion: action.kwok.x-k8s.io/v1alpha1\nkind: ResourcePatch\nresource: {version: v1, "
             "resource: namespaces}\ntarget: {name: a}\ndurationNanosecond: 1\nmethod: delete\n---\n"
             "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");
  auto r2 = RecordingReader::open(path);
  REQUIRE(r2);
  auto first = r2->next();
  REQUIRE(first);
  REQUIRE(*first);
  CHECK((*first)->event.name == "a");
  auto second = r2->next();
  REQUIRE_FALSE(second);
  CHECK(second.error().message.find("the event section began at document 1") != std::string::npos);
}

TEST_CASE("header line round-trips and rejects a newer format") {
  Header h;
  h.start_time = "2026-11-21T19:00:00Z";
  h.server_version = "v1.32.0";
  h.mode = "snapshot";
  auto line = format_header_line(h);
  CHECK(line.rfind("# ktape: {\"formatVersion\":1,", 0) == 0);
  auto parsed = parse_header_comment(line.substr(2, line.size() - 3));
  REQUIRE(parsed);
  REQUIRE(*parsed);
  CHECK((*parsed)->server_version == "v1.32.0");
  CHECK((*parsed)->mode == "snapshot");
  auto newer = parse_header_comment(R"(ktape: {"formatVersion":9})");
  REQUIRE_FALSE(newer);
  CHECK(newer.error().kind == ErrorKind::unsupported);
  auto other = parse_header_comment("just a comment");
  REQUIRE(other);
  CHECK_FALSE(*other);
}

TEST_CASE("the graceful-delete mark: a comment other readers skip, found with or without words after it") {
  Value starts = *parse_json(
      R"({"metadata":{"deletionTimestamp":"2026-12-07T11:00:30Z","deletionGracePeriodSeconds":30}})");
  CHECK(sets_deletion_timestamp(starts));
  CHECK(sets_deletion_timestamp(
      *parse_json(R"x({"metadata":{"deletionTimestamp":"$(time-offset-nanosecond 5)"}})x")));
  CHECK_FALSE(sets_deletion_timestamp(*parse_json(R"({"metadata":{"deletionTimestamp":null}})")));
  CHECK_FALSE(sets_deletion_timestamp(*parse_json(R"({"metadata":{"deletionGracePeriodSeconds":0}})")));
  CHECK_FALSE(sets_deletion_timestamp(*parse_json(R"({"status":{"deletionTimestamp":"x"}})")));

  TempDir dir;
  std::string path = dir.file("marks.yaml");
  std::string doc =
      "apiVersion: action.kwok.x-k8s.io/v1alpha1\nkind: ResourcePatch\nresource: {version: v1, "
      "resource: configmaps}\ntarget: {name: a, namespace: d}\nmethod: patch\n"
      "template: {metadata: {deletionTimestamp: '2026-12-07T11:00:30Z'}}\n";
  write_file(path, "---\n# graceful-delete\n" + doc +
                       "durationNanosecond: 1\n---\n# graceful-delete by ktape\n" + doc +
                       "durationNanosecond: 2\n---\n" + doc + "durationNanosecond: 3\n---\n# resync\n" + doc +
                       "durationNanosecond: 4\n---\n# graceful-deleted\n" + doc + "durationNanosecond: 5\n");
  auto reader = RecordingReader::open(path);
  REQUIRE(reader);
  auto entries = read_all(*reader);
  REQUIRE(entries.size() == 5);
  std::vector<bool> marks;
  for (const auto& e : entries) marks.push_back(e.event.graceful_delete);
  CHECK(marks == std::vector<bool>{true, true, false, false, false});
  CHECK(entries[3].event.resync);
  // The document itself is the patch as before: a YAML reader that skips comments sees it.
  CHECK(entries[2].event.template_value == entries[0].event.template_value);
}
