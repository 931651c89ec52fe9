#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "formats/writer.hpp"
#include "recorder/pipeline.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::recorder;
namespace fs = std::filesystem;

namespace {

Record object_record(const std::string& name, const std::string& resource = "configmaps") {
  Record r;
  r.kind = Record::Kind::snapshot_object;
  r.object = *formats::parse_json(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"d"}})");
  r.object["metadata"].set("name", name);
  r.event.resource = {"", "v1", "configmaps"};
  r.resource = resource;
  return r;
}

Record listed(const std::string& resource) { return Record{Record::Kind::listed, {}, {}, resource, {}}; }

Record event_record(std::int64_t t, const std::string& name) {
  Record r;
  r.kind = Record::Kind::event;
  r.event.resource = {"", "v1", "configmaps"};
  r.event.name = name;
  r.event.namespace_name = "d";
  r.event.duration_ns = t;
  r.event.method = formats::Method::remove;
  r.resource = "configmaps";
  return r;
}

struct Fixture {
  test_support::TempDir dir{"ktape-pipeline"};
  std::string path = dir.file("p.yaml");
  std::unique_ptr<formats::RecordingWriter> writer;
  std::shared_ptr<kube::Clock> clock = kube::make_system_clock();
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  Fixture() {
    formats::Header h;
    h.start_time = "2026-11-21T19:00:00Z";
    formats::WriterOptions wo;
    wo.path = path;
    writer = std::move(*formats::RecordingWriter::create(wo, h));
  }
  std::int64_t stamp() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
        .count();
  }
  std::vector<formats::RecordingEntry> read() {
    formats::RecordingReadOptions o;
    o.sort_window = 0;
    auto r = formats::RecordingReader::open(path, o);
    REQUIRE(r);
    std::vector<formats::RecordingEntry> out;
    for (;;) {
      auto e = r->next();
      REQUIRE(e);
      if (!*e) break;
      out.push_back(std::move(**e));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("pipeline: the snapshot section stays open until every initial list is done") {
  Fixture f;
  PipelineOptions o;
  o.expected_lists = 2;
  o.reorder_lag = std::chrono::milliseconds(0);
  Pipeline p(
      *f.writer, *f.clock, [&] { return f.stamp(); }, o);
  p.start();
  p.push(object_record("a"));
  p.push(event_record(f.stamp(), "e1"));  // an event from a loop that listed first
  p.push(Record{Record::Kind::listed, {}, {}, "configmaps", {}});
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  p.push(object_record("b", "secrets"));  // the second list is still in the snapshot section
  p.push(Record{Record::Kind::listed, {}, {}, "secrets", {}});
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  p.push(event_record(f.stamp(), "e2"));
  REQUIRE(p.finish());
  auto entries = f.read();
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].object.string_at({"metadata", "name"}) == "a");
  CHECK(entries[1].object.string_at({"metadata", "name"}) == "b");
  CHECK(entries[2].event.name == "e1");
  CHECK(entries[3].event.name == "e2");
  CHECK(p.stats().events_per_resource.at("configmaps") == 2);
  CHECK(p.stats().objects == 2);
}

TEST_CASE("pipeline: past the deadline a late snapshot object becomes a create; events stay sorted") {
  Fixture f;
  PipelineOptions o;
  o.expected_lists = 2;
  o.snapshot_deadline = std::chrono::seconds(0);
  o.reorder_lag = std::chrono::milliseconds(100);
  Pipeline p(
      *f.writer, *f.clock, [&] { return f.stamp(); }, o);
  p.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto t = f.stamp();
  p.push(event_record(t + 2, "later"));
  p.push(event_record(t + 1, "earlier"));  // pushed second, stamped first
  p.push(object_record("late"));
  p.push(listed("configmaps"));  // the list completes after the section closed
  REQUIRE(p.finish());
  auto entries = f.read();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].event.name == "earlier");
  CHECK(entries[1].event.name == "later");
  CHECK(entries[2].event.method == formats::Method::create);
  CHECK(entries[2].event.name == "late");
  CHECK(entries[2].event.template_value.string_at({"kind"}) == "ConfigMap");
  std::int64_t last = 0;
  for (const auto& e : entries) {
    CHECK(e.event.duration_ns >= last);
    last = e.event.duration_ns;
  }
}

TEST_CASE("pipeline: queue depth and writer busy share are counted") {
  Fixture f;
  PipelineOptions o;
  o.reorder_lag = std::chrono::milliseconds(0);
  Pipeline p(
      *f.writer, *f.clock, [&] { return f.stamp(); }, o);
  // Pushed before the writer thread starts: all of them wait in the queue at once.
  for (int i = 0; i < 300; ++i) p.push(event_record(f.stamp(), "e" + std::to_string(i)));
  p.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(p.finish());
  CHECK(p.stats().queue_max == 300);
  CHECK(p.stats().events == 300);
  CHECK(p.stats().writer_busy > 0.0);
  CHECK(p.stats().writer_busy < 1.0);  // it waited for records most of its life
}

TEST_CASE("pipeline: a list's objects reach the file only when it completes; a restart forgets them") {
  Fixture f;
  PipelineOptions o;
  o.expected_lists = 2;
  o.spill_dir = f.dir.path().string();
  Pipeline p(
      *f.writer, *f.clock, [&] { return f.stamp(); }, o);
  p.start();
  p.push(object_record("stale-1"));
  p.push(object_record("stale-2"));
  p.push(Record{Record::Kind::list_restarted, {}, {}, "configmaps", {}});  // an expired continue token
  p.push(object_record("a"));
  p.push(object_record("s", "secrets"));  // a list that never completes
  p.push(object_record("b"));
  p.push(listed("configmaps"));
  REQUIRE(p.finish());
  auto entries = f.read();
  std::vector<std::string> names;
  for (const auto& e : entries) names.emplace_back(e.object.string_at({"metadata", "name"}));
  CHECK(names == std::vector<std::string>{"a", "b"});
  CHECK(p.stats().objects == 2);
  CHECK(p.stats().objects_per_resource.at("configmaps") == 2);
  // The held lists were unlinked files: nothing is left beside the recording.
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(f.dir.path())) files += entry.path().filename() != "p.yaml";
  CHECK(files == 0);
}

TEST_CASE("pipeline: held objects are copied byte for byte as write_object writes them, across chunks") {
  // Enough objects that the held text spans several 1 MiB chunks of the spill file.
  Fixture held;
  Fixture direct;
  PipelineOptions o;
  o.expected_lists = 1;
  Pipeline p(
      *held.writer, *held.clock, [&] { return held.stamp(); }, o);
  p.start();
  std::string big(4000, 'x');
  for (int i = 0; i < 1000; ++i) {
    auto r = object_record("cm-" + std::to_string(i));
    r.object.set("data", formats::Value::object());
    r.object["data"].set("k", big + std::to_string(i));
    REQUIRE(direct.writer->write_object(r.object));
    p.push(std::move(r));
  }
  p.push(listed("configmaps"));
  REQUIRE(p.finish());
  REQUIRE(direct.writer->close());
  CHECK(p.stats().objects == 1000);
  CHECK(held.read().size() == 1000);
  CHECK(test_support::read_file(held.path) == test_support::read_file(direct.path));
}
