#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <variant>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "formats/recording.hpp"
#include "formats/writer.hpp"
#include "kube/watch.hpp"
#include "recorder/reflector.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::recorder;
using formats::Method;
using formats::parse_json;
using formats::Value;

namespace {

class FakeClock : public kube::Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return m_now; }
  std::chrono::system_clock::time_point wall_now() const override { return {}; }
  void sleep_for(std::chrono::nanoseconds d) override {
    m_now += d;
    slept += d;
  }
  std::chrono::nanoseconds slept{0};

 private:
  std::chrono::steady_clock::time_point m_now{std::chrono::hours(1)};
};

Value pod(const std::string& name, const std::string& rv, const std::string& image = "nginx") {
  auto v = parse_json(R"({"metadata":{"name":"","namespace":"ns","resourceVersion":"","uid":"u-)" + name +
                      R"("},"spec":{"containers":[{"name":"c","image":")" + image + R"("}]}})");
  v->at({"metadata"})->set("name", name);
  v->at({"metadata"})->set("resourceVersion", rv);
  return *v;
}

struct ExpectList {
  std::string continue_token;
  Result<ListPage> answer;
};
struct ExpectWatch {
  std::string resource_version;
  Result<std::vector<WatchEvent>> events;  // an error here is the watch request's answer
  std::optional<Error> end;                // how the stream ends after its events; nullopt: clean close
};
using Step = std::variant<ExpectList, ExpectWatch>;

class ScriptedStream : public WatchStream {
 public:
  ScriptedStream(std::vector<WatchEvent> events, std::optional<Error> end)
      : m_events(std::move(events)), m_end(std::move(end)) {}
  Result<std::optional<WatchEvent>> next() override {
    if (m_next < m_events.size()) return std::optional{m_events[m_next++]};
    if (m_end) return fail(*m_end);
    return std::optional<WatchEvent>{};
  }
  void cancel() override {}

 private:
  std::vector<WatchEvent> m_events;
  std::size_t m_next = 0;
  std::optional<Error> m_end;
};

// Plays a script of expected requests, checking each request's exact arguments; when the script
// runs out it stops the loop.
class ScriptedSource : public Source {
 public:
  std::deque<Step> script;
  ListWatchLoop* loop = nullptr;
  std::vector<std::string> requests;

  Result<ListPage> list(const std::string& token, std::size_t limit) override {
    requests.push_back("list continue=" + token);
    CHECK(limit == 500);
    if (script.empty() || !std::holds_alternative<ExpectList>(script.front())) return done();
    auto step = std::get<ExpectList>(script.front());
    script.pop_front();
    CHECK(token == step.continue_token);
    return step.answer;
  }

  Result<std::unique_ptr<WatchStream>> watch(const std::string& rv, std::chrono::seconds timeout) override {
    requests.push_back("watch rv=" + rv);
    CHECK(timeout >= std::chrono::seconds(300));
    CHECK(timeout < std::chrono::seconds(600));
    if (script.empty() || !std::holds_alternative<ExpectWatch>(script.front())) return done();
    auto step = std::get<ExpectWatch>(script.front());
    script.pop_front();
    CHECK(rv == step.resource_version);
    if (!step.events) return fail(step.events.error());
    return std::unique_ptr<WatchStream>(new ScriptedStream(*step.events, step.end));
  }

 private:
  tl::unexpected<Error> done() {
    loop->stop();
    return fail(ErrorKind::cancelled, "script done");
  }
};

ListPage page(std::vector<Value> items, std::string rv, std::string token = "") {
  return ListPage{std::move(items), std::move(rv), std::move(token)};
}

// An event as kube's WatchStream::next_raw hands it over: the object left as text, compact as an
// apiserver writes it, or `spaced` (its members' texts then differ from the recorded states'
// compact texts, which the loop must still read as equal where they are).
WatchEvent ev(WatchEventType t, const Value& object, bool spaced = false) {
  static const char* names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK"};
  std::string text = spaced ? formats::to_json_pretty(object) : formats::to_json(object);
  if (spaced)
    for (auto& c : text)
      if (c == '\n') c = ' ';
  auto raw = kube::scan_watch_event(
      std::string(R"({"type":")") + names[static_cast<int>(t)] + R"(","object":)" + text + "}", "test");
  REQUIRE(raw);
  return std::move(*raw);
}

Value bookmark(const std::string& rv) {
  Value v;
  v["metadata"].set("resourceVersion", rv);
  return v;
}

struct Harness {
  FakeClock clock;
  ScriptedSource source;
  std::mutex mutex;  // workers emit from their own threads
  std::vector<Record> records;
  std::vector<std::string> reports;
  std::int64_t t = 0;
  std::unique_ptr<ListWatchLoop> loop;

  explicit Harness(LoopOptions options = {}) {
    options.seed = 42;
    ResourceRef ref{{"", "v1", "pods"}, "Pod", true, "pods"};
    loop = std::make_unique<ListWatchLoop>(
        ref, source, clock, [this] { return ++t; },
        [this](Record r) {
          std::lock_guard lock(mutex);
          records.push_back(std::move(r));
        },
        [this](const std::string& m) { reports.push_back(m); }, options);
    source.loop = loop.get();
  }

  std::vector<std::string> summary() const {
    std::vector<std::string> out;
    for (const auto& r : records) {
      if (r.kind == Record::Kind::listed) out.push_back("listed");
      if (r.kind == Record::Kind::snapshot_object)
        out.push_back("object " + std::string(r.object.string_at({"metadata", "name"})));
      if (r.kind == Record::Kind::event)
        out.push_back(std::string(formats::method_name(r.event.method)) + " " + r.event.name +
                      (r.event.resync ? " (resync)" : ""));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("list+watch loop: pages, re-watch after a clean close, relist after a 410") {
  Harness h;
  using T = WatchEventType;
  h.source.script = {
      ExpectList{"", page({pod("a", "5")}, "10", "tok1")},
      ExpectList{"tok1", page({pod("b", "7")}, "10")},
      ExpectWatch{"10",
                  std::vector{ev(T::added, pod("c", "11")), ev(T::modified, pod("a", "12", "nginx:2")),
                              ev(T::modified, pod("a", "13", "nginx:2")), ev(T::bookmark, bookmark("15"))},
                  std::nullopt},
      ExpectWatch{"15", std::vector{ev(T::deleted, pod("c", "16"))},
                  Error{ErrorKind::expired, "too old resource version: 15 (30)", 410, "Expired"}},
      ExpectList{"", page({pod("a", "31", "nginx:3"), pod("d", "32")}, "40")},
      ExpectWatch{"40", std::vector<WatchEvent>{}, Error{ErrorKind::expired, "too old", 410, "Expired"}},
      ExpectList{"", page({pod("a", "31", "nginx:3"), pod("d", "32")}, "41")},
  };
  h.loop->run();
  CHECK(h.source.requests == std::vector<std::string>{"list continue=", "list continue=tok1", "watch rv=10",
                                                      "watch rv=15", "list continue=", "watch rv=40",
                                                      "list continue=", "watch rv=41"});
  CHECK(h.summary() == std::vector<std::string>{"object a", "object b", "listed", "create c", "patch a",
                                                "delete c", "patch a (resync)", "create d (resync)",
                                                "delete b (resync)"});
  // The unchanged MODIFIED (only resourceVersion moved) was not recorded; the patch is strategic.
  const Value& patch = h.records[4].event.template_value;
  CHECK(formats::to_json(patch).find("nginx:2") != std::string::npos);
  CHECK(patch.at({"metadata", "resourceVersion"}) == nullptr);
  // Snapshot objects carry apiVersion and kind first and no resourceVersion.
  const Value& a = h.records[0].object;
  CHECK(a.as_object()[0].key == "apiVersion");
  CHECK(a.string_at({"kind"}) == "Pod");
  CHECK(a.at({"metadata", "resourceVersion"}) == nullptr);
  auto stats = h.loop->stats();
  CHECK(stats.relists == 2);
  CHECK(stats.lists == 3);  // the first list took two pages
}

TEST_CASE("list+watch loop backs off on failures, reports a failing resource once, and recovers") {
  Harness h;
  using T = WatchEventType;
  Error refused{ErrorKind::transport, "connection refused", 0, {}};
  h.source.script = {
      ExpectList{"", fail(refused)},
      ExpectList{"", fail(refused)},
      ExpectList{"", fail(refused)},
      ExpectList{"", page({}, "3")},
      // Closed at once with nothing in it: a failure, not a hot loop.
      ExpectWatch{"3", std::vector<WatchEvent>{}, std::nullopt},
      ExpectWatch{"3", fail(refused), std::nullopt},
      ExpectWatch{"3", std::vector{ev(T::added, pod("x", "4"))}, std::nullopt},
  };
  h.loop->run();
  CHECK(h.summary() == std::vector<std::string>{"listed", "create x"});
  REQUIRE(h.reports.size() == 2);
  CHECK(h.reports[0] == "pods: 3 failures in a row, still retrying: connection refused");
  CHECK(h.reports[1] == "pods: recovered after 3 failures");
  // Five backoffs: 0.8 s, 1.6 s, 3.2 s, 6.4 s, 12.8 s, each with up to +100% jitter.
  CHECK(h.clock.slept >= std::chrono::milliseconds(800 + 1600 + 3200 + 6400 + 12800));
  CHECK(h.clock.slept <= std::chrono::milliseconds(2 * (800 + 1600 + 3200 + 6400 + 12800)));
  CHECK(h.loop->stats().failures == 5);
}

TEST_CASE("list+watch loop in snapshot mode lists once; later loops record creates") {
  LoopOptions snapshot;
  snapshot.watch = false;
  Harness h(snapshot);
  h.source.script = {ExpectList{"", page({pod("a", "1"), pod("b", "2")}, "2")}};
  h.loop->run();
  CHECK(h.summary() == std::vector<std::string>{"object a", "object b", "listed"});
  CHECK(h.source.requests.size() == 1);

  LoopOptions late;
  late.initial_as_snapshot = false;
  late.accept = [](const Value& v) { return v.string_at({"metadata", "name"}) != "hidden"; };
  Harness h2(late);
  h2.source.script = {ExpectList{"", page({pod("a", "1"), pod("hidden", "2")}, "2")}};
  h2.loop->run();
  CHECK(h2.summary() == std::vector<std::string>{"create a", "listed"});
}

TEST_CASE("list+watch loop: an expired continue token voids the objects sent so far and lists again") {
  LoopOptions snapshot;
  snapshot.watch = false;
  Harness h(snapshot);
  Error expired{ErrorKind::expired, "The provided continue parameter is too old", 410, "Expired"};
  h.source.script = {
      ExpectList{"", page({pod("a", "5"), pod("gone", "6")}, "10", "tok1")},
      ExpectList{"tok1", tl::unexpected(expired)},
      ExpectList{"", page({pod("a", "5")}, "20", "tok2")},
      ExpectList{"tok2", page({pod("b", "21")}, "20")},
  };
  h.loop->run();
  CHECK(h.source.requests == std::vector<std::string>{"list continue=", "list continue=tok1",
                                                      "list continue=", "list continue=tok2"});
  // Objects go out page by page; the restart tells the pipeline to forget the first two.
  std::vector<std::string> kinds;
  for (const auto& r : h.records)
    kinds.push_back(r.kind == Record::Kind::list_restarted
                        ? "restarted"
                        : std::string(r.object.string_at({"metadata", "name"})));
  CHECK(kinds == std::vector<std::string>{"a", "gone", "restarted", "a", "b", ""});
  CHECK(h.records.back().kind == Record::Kind::listed);
  CHECK(h.loop->stats().objects == 2);
  CHECK(h.loop->stats().lists == 1);
}

TEST_CASE("list+watch loop records each update as the differ's patch, its resourceVersion stripped") {
  // The differ's own tests (test_differ.cpp) cover every kind of change; this one covers the loop
  // around it: events as text, compact or spaced, resourceVersion stripped, strategic or merge
  // chosen by the resource, and the replace where no strategic diff exists.
  const std::vector<std::string> versions = {
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"a":"1"}},
          "spec":{"containers":[{"name":"c","image":"nginx"}]}})",
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"a":"1"}},
          "spec":{"containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Running"}})",
      // Only the resourceVersion moves: nothing to record.
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"a":"1"}},
          "spec":{"containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Running"}})",
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"b":"x"}},
          "spec":{"containers":[{"image":"y"}]}})",
  };
  std::vector<Value> objects;
  objects.reserve(versions.size());
  for (const auto& text : versions) objects.push_back(parse_json(text).value());
  for (bool spaced : {false, true})
    for (bool strategic : {true, false}) {
      CAPTURE(spaced);
      CAPTURE(strategic);
      Harness h;
      ResourceRef ref{{"", "v1", "pods"}, "Pod", strategic, "pods"};
      h.loop = std::make_unique<ListWatchLoop>(
          ref, h.source, h.clock, [&h] { return ++h.t; },
          [&h](Record r) { h.records.push_back(std::move(r)); },
          [&h](const std::string& m) { h.reports.push_back(m); }, LoopOptions{});
      h.source.loop = h.loop.get();
      using T = WatchEventType;
      std::vector<WatchEvent> events;
      for (std::size_t i = 0; i < objects.size(); ++i) {
        Value o = objects[i];
        o["metadata"].set("resourceVersion", std::to_string(10 + i));  // stripped before recording
        events.push_back(ev(i == 0 ? T::added : T::modified, o, spaced));
      }
      h.source.script = {ExpectList{"", page({}, "9")}, ExpectWatch{"9", events, std::nullopt}};
      h.loop->run();
      std::vector<std::string> expected, recorded;
      for (std::size_t i = 1; i < objects.size(); ++i) {
        Value patch;
        if (!strategic) {
          patch = formats::create_merge_patch(objects[i - 1], objects[i]);
        } else if (auto smp = formats::create_strategic_merge_patch(objects[i - 1], objects[i])) {
          patch = *smp;
        } else {
          patch = objects[i];
          patch.set("$patch", "replace");
        }
        if (patch.size() > 0) expected.push_back(formats::to_json(patch));
      }
      for (const auto& r : h.records)
        if (r.kind == Record::Kind::event && r.event.method == Method::patch)
          recorded.push_back(formats::to_json(r.event.template_value));
      CHECK(recorded == expected);
      CHECK(expected.size() == 2);
      if (strategic) CHECK(expected.back().find("\"$patch\":\"replace\"") != std::string::npos);
      auto create = std::find_if(h.records.begin(), h.records.end(),
                                 [](const Record& r) { return r.kind == Record::Kind::event; });
      REQUIRE(create != h.records.end());
      CHECK(create->event.method == Method::create);
      CHECK(create->event.template_value.at({"metadata", "resourceVersion"}) == nullptr);
    }
}

TEST_CASE("list+watch loop with workers: every event recorded, each object's in order, stamped on receipt") {
  for (bool spaced : {false, true}) {
    CAPTURE(spaced);
    LoopOptions options;
    options.workers = 2;
    Harness h(options);
    using T = WatchEventType;
    const int pods = 40, rounds = 4;
    auto make = [spaced](WatchEventType t, const Value& object) { return ev(t, object, spaced); };
    std::vector<WatchEvent> events;
    events.reserve(pods * (1 + rounds));
    for (int i = 0; i < pods; ++i) events.push_back(make(T::added, pod("p" + std::to_string(i), "2")));
    for (int r = 1; r <= rounds; ++r)
      for (int i = 0; i < pods; ++i)
        events.push_back(make(T::modified, pod("p" + std::to_string(i), "3", "nginx:" + std::to_string(r))));
    // After the 410, the relist finds p0..p19 changed, p20..p29 as they were, p30..p39 gone: its
    // resync compares with the states the workers recorded, so it must wait for them.
    std::vector<Value> relisted;
    relisted.reserve(30);
    for (int i = 0; i < 30; ++i)
      relisted.push_back(
          pod("p" + std::to_string(i), "9", i < 20 ? "nginx:9" : "nginx:" + std::to_string(rounds)));
    h.source.script = {
        ExpectList{"", page({}, "1")},
        ExpectWatch{"1", events, Error{ErrorKind::expired, "too old", 410, "Expired"}},
        ExpectList{"", page(relisted, "10")},
    };
    h.loop->run();
    std::map<std::string, std::vector<std::string>> per_object;
    std::map<std::string, std::vector<std::int64_t>> stamps;
    for (const auto& r : h.records) {
      if (r.kind != Record::Kind::event) continue;
      per_object[r.event.name].push_back(std::string(formats::method_name(r.event.method)) +
                                         (r.event.resync ? " (resync)" : ""));
      if (!r.event.resync) stamps[r.event.name].push_back(r.event.duration_ns);
    }
    REQUIRE(per_object.size() == pods);
    std::vector<std::int64_t> all;
    for (int i = 0; i < pods; ++i) {
      std::string name = "p" + std::to_string(i);
      std::vector<std::string> expected{"create", "patch", "patch", "patch", "patch"};
      if (i < 20) expected.push_back("patch (resync)");
      if (i >= 30) expected.push_back("delete (resync)");
      CHECK(per_object[name] == expected);
      // Stamped when the loop read the event: the watch order, whatever order the workers ran in.
      const auto& s = stamps[name];
      REQUIRE(s.size() == 1 + rounds);
      for (int r = 0; r <= rounds; ++r) CHECK(s[static_cast<std::size_t>(r)] == 1 + r * pods + i);
      all.insert(all.end(), s.begin(), s.end());
    }
    CHECK(all.size() == events.size());
    CHECK(h.loop->stats().events == events.size() + 20 + 10);
  }
}

TEST_CASE("list+watch loop: an event a worker cannot read is reported, and a relist records it") {
  for (unsigned workers : {0u, 1u}) {
    CAPTURE(workers);
    LoopOptions options;
    options.workers = workers;
    Harness h(options);
    using T = WatchEventType;
    // Its structure walks, but a scalar in it is not JSON: only the worker's decode finds out.
    auto broken = ev(T::modified, pod("a", "12", "nginx:2"));
    auto& line = broken.line;
    line.replace(line.find("\"nginx:2\""), 9, "nginx_two");
    broken.object_end -= 2;
    h.source.script = {
        ExpectList{"", page({pod("a", "5")}, "10")},
        ExpectWatch{"10", std::vector{ev(T::added, pod("b", "11")), broken}, std::nullopt},
        ExpectList{"", page({pod("a", "20", "nginx:2"), pod("b", "11")}, "20")},
    };
    h.loop->run();
    // The broken event ends the watch (no re-watch from its resourceVersion, which would skip
    // it): the relist finds the change it carried.
    CHECK(h.source.requests ==
          std::vector<std::string>{"list continue=", "watch rv=10", "list continue=", "watch rv=20"});
    CHECK(h.summary() == std::vector<std::string>{"object a", "listed", "create b", "patch a (resync)"});
    REQUIRE(h.reports.size() == 1);
    CHECK(h.reports[0].starts_with("pods: an event's object is not JSON"));
    CHECK(h.reports[0].ends_with("; relisting so that nothing is lost"));
    auto stats = h.loop->stats();
    CHECK(stats.failures == 1);
    CHECK(stats.relists == 1);
  }
}

TEST_CASE("list+watch loop marks the start of a graceful delete, and the mark survives the file") {
  // A Pod with a finalizer deleted with a 30 s grace period, as a watch shows it: deletionTimestamp
  // and deletionGracePeriodSeconds appear (the DELETE), the kubelet reports, the finalizer goes,
  // then the object goes.
  Harness h;
  using T = WatchEventType;
  Value p = pod("p", "10");
  p["metadata"].set("finalizers", parse_json(R"(["example.com/hold"])").value());
  Value terminating = p;
  terminating["metadata"].set("resourceVersion", "11");
  terminating["metadata"].set("deletionTimestamp", "2026-12-07T11:00:30Z");
  terminating["metadata"].set("deletionGracePeriodSeconds", parse_json("30").value());
  Value reported = terminating;
  reported["metadata"].set("resourceVersion", "12");
  reported.set("status", parse_json(R"({"phase":"Succeeded"})").value());
  Value released = reported;
  released["metadata"].set("resourceVersion", "13");
  released["metadata"].erase("finalizers");
  h.source.script = {
      ExpectList{"", page({}, "9")},
      ExpectWatch{"9",
                  std::vector{ev(T::added, p), ev(T::modified, terminating), ev(T::modified, reported),
                              ev(T::modified, released), ev(T::deleted, released)},
                  std::nullopt}};
  h.loop->run();
  std::vector<std::string> marks;
  std::vector<formats::ResourcePatch> events;
  for (const auto& r : h.records) {
    if (r.kind != Record::Kind::event) continue;
    marks.push_back(std::string(formats::method_name(r.event.method)) +
                    (r.event.graceful_delete ? " graceful" : ""));
    events.push_back(r.event);
  }
  CHECK(marks == std::vector<std::string>{"create", "patch graceful", "patch", "patch", "delete"});
  REQUIRE(events.size() == 5);
  CHECK(events[1].template_value.string_at({"metadata", "deletionTimestamp"}) == "2026-12-07T11:00:30Z");
  CHECK(events[1].template_value.at({"metadata", "deletionGracePeriodSeconds"})->as_int64() == 30);

  // Written and read back: a comment before the document, which other readers skip.
  test_support::TempDir dir("ktape-graceful");
  std::string path = dir.file("rec.yaml");
  {
    formats::Header header;
    header.start_time = "2026-12-07T11:00:00Z";
    formats::WriterOptions options;
    options.path = path;
    auto writer = formats::RecordingWriter::create(options, header);
    REQUIRE(writer);
    for (auto& e : events) (*writer)->add_event(e);
    REQUIRE((*writer)->close());
  }
  std::string text = test_support::read_file(path);
  CHECK(text.find("---\n# graceful-delete\napiVersion: action.kwok.x-k8s.io/v1alpha1") != std::string::npos);
  auto reader = formats::RecordingReader::open(path);
  REQUIRE(reader);
  std::vector<std::string> read;
  while (true) {
    auto entry = reader->next();
    REQUIRE(entry);
    if (!*entry) break;
    read.push_back(std::string(formats::method_name((*entry)->event.method)) +
                   ((*entry)->event.graceful_delete ? " graceful" : ""));
  }
  CHECK(read == marks);
}
