// ops/: log lines, the Prometheus text of Metrics, and the listener scraped over real HTTP.
#include <doctest/doctest.h>
#include <httplib.h>

#include <map>
#include <sstream>

#include "formats/json.hpp"
#include "ops/listener.hpp"
#include "ops/log.hpp"
#include "ops/metrics.hpp"

using namespace ktape;

namespace {

// The samples of a Prometheus text exposition: "name{labels}" -> value, with the TYPE of each name.
struct Exposition {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
};

Exposition parse_exposition(const std::string& text) {
  Exposition out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    REQUIRE_FALSE(line.empty());
    if (line.rfind("# TYPE ", 0) == 0) {
      auto rest = line.substr(7);
      auto space = rest.find(' ');
      out.types[rest.substr(0, space)] = rest.substr(space + 1);
      continue;
    }
    if (line[0] == '#') continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    out.samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

}  // namespace

TEST_CASE("Logger: json lines are one object with time, level, message and fields") {
  ops::Logger json(ops::LogFormat::json, stderr);
  auto line = json.format_line("2026-12-07T15:04:05Z", ops::LogLevel::warn, "tick skipped \"late\"",
                               {{"tick", "2026-12-07T15:04:00Z"}, {"path", "/b/x y.yaml"}});
  auto value = formats::parse_json(line);
  REQUIRE(value);
  CHECK(value->string_at({"time"}) == "2026-12-07T15:04:05Z");
  CHECK(value->string_at({"level"}) == "warn");
  CHECK(value->string_at({"message"}) == "tick skipped \"late\"");
  CHECK(value->string_at({"fields", "path"}) == "/b/x y.yaml");
  CHECK(line.find('\n') == std::string::npos);

  ops::Logger text(ops::LogFormat::text, stderr);
  CHECK(text.format_line("T", ops::LogLevel::info, "snapshot written",
                         {{"path", "/b/x y"}, {"objects", "3"}}) ==
        "T info snapshot written path=\"/b/x y\" objects=3");
  CHECK(ops::parse_log_format("json").value() == ops::LogFormat::json);
  auto bad = ops::parse_log_format("xml");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("expected text or json") != std::string::npos);
}

TEST_CASE("Metrics: known names only, counters at 0, labels escaped") {
  ops::Metrics m;
  m.add("ktape_errors_total", 1);
  m.add("ktape_errors_total", 2);
  m.set("ktape_snapshot_duration_seconds", 0.25);
  m.add("ktape_relists_total", 1, {{"resource", "pods"}});
  m.add("ktape_relists_total", 1, {{"resource", "a\"b"}});
  m.add("ktape_no_such_metric", 1);
  auto e = parse_exposition(m.render());
  CHECK(e.samples["ktape_errors_total"] == 3);
  CHECK(e.samples["ktape_snapshots_total"] == 0);
  CHECK(e.samples["ktape_snapshot_duration_seconds"] == doctest::Approx(0.25));
  CHECK(e.samples["ktape_relists_total{resource=\"pods\"}"] == 1);
  CHECK(e.samples.count("ktape_relists_total{resource=\"a\\\"b\"}") == 1);
  CHECK(e.samples.count("ktape_no_such_metric") == 0);
  CHECK(e.samples.count("ktape_last_success_timestamp_seconds") == 0);  // a gauge never set
  CHECK(e.types["ktape_errors_total"] == "counter");
  CHECK(e.types["ktape_snapshot_duration_seconds"] == "gauge");
  for (const auto& info : ops::known_metrics()) {
    CAPTURE(info.name);
    CHECK(info.name.rfind("ktape_", 0) == 0);
    CHECK((info.type == ops::MetricType::counter) == info.name.ends_with("_total"));
  }
}

TEST_CASE("start_listener: /healthz and /metrics over HTTP, stopped by its destructor") {
  ops::Metrics m;
  m.set("ktape_last_success_timestamp_seconds", 1.7e9);
  auto listener = ops::start_listener("127.0.0.1:0", m);
  REQUIRE_MESSAGE(listener, (listener ? "" : listener.error().message));
  int port = (*listener)->port();
  REQUIRE(port > 0);
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok\n");
  m.add("ktape_snapshots_total", 4);
  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->get_header_value("Content-Type").find("version=0.0.4") != std::string::npos);
  auto e = parse_exposition(metrics->body);
  CHECK(e.samples["ktape_snapshots_total"] == 4);
  CHECK(e.samples["ktape_last_success_timestamp_seconds"] == 1.7e9);
  CHECK(client.Get("/nope")->status == 404);

  // The same port cannot be bound twice; the error names the address.
  auto second = ops::start_listener("127.0.0.1:" + std::to_string(port), m);
  REQUIRE_FALSE(second);
  CHECK(second.error().message.find(std::to_string(port)) != std::string::npos);
  listener->reset();
  httplib::Client after("127.0.0.1", port);
  CHECK_FALSE(after.Get("/healthz"));
  CHECK_FALSE(ops::start_listener("localhost", m));
  CHECK_FALSE(ops::start_listener("127.0.0.1:99999", m));
}
