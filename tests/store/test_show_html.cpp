// `ktape show --html`: the page holds the data, stays bounded at 100k events, and loads in
// headless Chromium (Debian's `chromium`) without errors, drawing the data (skipped without it).
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "formats/json.hpp"
#include "store/show_html.hpp"
#include "tests/store/generated_recording.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::store;
using test_fixture::write_generated;
using test_support::read_file;
using test_support::TempDir;

namespace {

// The page's data: the JSON of its "ktape-data" element, "<\/" read back as "</".
formats::Value page_data(const std::string& page) {
  std::string open = R"(<script type="application/json" id="ktape-data">)";
  auto from = page.find(open);
  REQUIRE(from != std::string::npos);
  from += open.size();
  auto to = page.find("</script>", from);
  REQUIRE(to != std::string::npos);
  std::string json = page.substr(from, to - from);
  for (std::size_t at; (at = json.find("<\\/")) != std::string::npos;) json.erase(at + 1, 1);
  return test_fixture::json(json);
}

std::size_t objects_drawn(const formats::Value& data) {
  std::size_t n = 0;
  for (const auto& g : data.find("groups")->as_array()) n += g.find("objects")->as_array().size();
  return n;
}

struct Run {
  int code = -1;
  std::string out, err;
};

Run run(const std::string& command, const TempDir& dir) {
  auto out = dir.file("run.out"), err = dir.file("run.err");
  int status = std::system((command + " >" + out + " 2>" + err + " </dev/null").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

const char* chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(p)) return p;
  return nullptr;
}

}  // namespace

TEST_CASE("render_html: one self-contained page with every resource, objects by owner, patches") {
  TempDir dir;
  auto path = dir.file("rec.yaml");
  auto g = write_generated(path, 60);
  auto page = render_html(path);
  REQUIRE(page);
  for (const char* fetches : {"<link", " src=", " href=", "@import", "url(", "fetch(", "XMLHttpRequest"})
    CHECK_MESSAGE(page->find(fetches) == std::string::npos, fetches);
  auto data = page_data(*page);
  CHECK(*data.find("events")->as_int64() ==
        static_cast<std::int64_t>(g.pod_creates + g.pod_patches + g.pod_deletes));
  CHECK(objects_drawn(data) == g.pods.size() + g.objects);
  bool owned = false;
  for (const auto& group : data.find("groups")->as_array())
    owned = owned || (group.string_at({"owner"}) == "ReplicaSet web-1" &&
                      group.find("objects")->as_array().size() == g.pods.size());
  CHECK(owned);
  CHECK(data.find("patches")->as_array().size() == g.pod_creates + g.pod_patches);

  SUBCASE("text that would end the script element is escaped") {
    auto hostile = dir.file("hostile.yaml");
    std::string text = read_file(path);
    auto at = text.find("image: img:1");
    REQUIRE(at != std::string::npos);
    text.replace(at, 12, "image: \"</script><b>x\"");
    test_support::write_file(hostile, text);
    auto escaped = render_html(hostile);
    REQUIRE(escaped);
    CHECK(escaped->find("</script><b>") == std::string::npos);
    CHECK(page_data(*escaped).find("patches")->as_array().size() > 0);
  }
}

TEST_CASE("render_html: 100k events make a bounded page, capped per object and in objects") {
  TempDir dir;
  auto path = dir.file("big.yaml.zst");
  auto g = write_generated(path, 31000);
  auto events = g.pod_creates + g.pod_patches + g.pod_deletes;
  REQUIRE(events >= 100000);
  auto start = std::chrono::steady_clock::now();
  auto page = render_html(path);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(page);
  MESSAGE("page of " << events << " events: " << page->size() / 1024 << " KiB in "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  HtmlOptions defaults;
  auto data = page_data(*page);
  CHECK(objects_drawn(data) == defaults.max_objects);
  CHECK(*data.find("entriesLeftOut")->as_int64() > 0);
  CHECK(page->size() < 4u << 20);
  for (const auto& b : data.find("resources")->as_array()) CHECK(b.find("buckets")->as_array().size() <= 60);
}

TEST_CASE("show --html loads in headless Chromium without errors and draws the data") {
  const char* browser = chromium();
  if (browser == nullptr) {
    MESSAGE("SKIPPED: no chromium (apt-get install chromium; scripts/install-deps.sh installs it)");
    return;
  }
  TempDir dir;
  auto path = dir.file("rec.yaml");
  auto g = write_generated(path, 300);
  auto html = dir.file("rec.html");
  REQUIRE(write_html(path, html));
  CHECK((std::filesystem::status(html).permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::none);
  std::string flags = std::string(browser) +
                      " --headless --disable-gpu --no-sandbox --no-first-run "
                      "--user-data-dir=" +
                      dir.file("profile") + " --window-size=1200,900 ";
  auto dom = run("timeout 120 " + flags + "--enable-logging=stderr --v=0 --dump-dom file://" + html, dir);
  REQUIRE_MESSAGE(dom.code == 0, dom.err);
  auto drawn = std::to_string(g.pods.size() + g.objects) + " objects drawn";
  CHECK_MESSAGE(dom.out.find(drawn) != std::string::npos, drawn);  // the script ran to its end
  CHECK(dom.out.find("replicasets.apps") != std::string::npos);
  CHECK(dom.out.find("pods") != std::string::npos);
  CHECK(dom.out.find("<circle") != std::string::npos);
  for (const char* bad : {"Uncaught", "SyntaxError", "TypeError", "ReferenceError"})
    CHECK_MESSAGE(dom.err.find(bad) == std::string::npos, dom.err);

  // Not blank: a screenshot of the page is far larger (more colours, more shapes) than one of an
  // empty page taken the same way.
  auto blank = dir.file("blank.html");
  test_support::write_file(blank, "<!DOCTYPE html><html><body></body></html>");
  auto shot = run("timeout 120 " + flags + "--screenshot=" + dir.file("page.png") + " file://" + html, dir);
  REQUIRE_MESSAGE(shot.code == 0, shot.err);
  auto none = run("timeout 120 " + flags + "--screenshot=" + dir.file("blank.png") + " file://" + blank, dir);
  REQUIRE_MESSAGE(none.code == 0, none.err);
  auto page_png = read_file(dir.file("page.png")), blank_png = read_file(dir.file("blank.png"));
  REQUIRE(page_png.size() > 8);
  CHECK(page_png.substr(1, 3) == "PNG");
  MESSAGE("screenshot " << page_png.size() << " bytes, blank page " << blank_png.size() << " bytes");
  CHECK(page_png.size() > 5 * blank_png.size());
}

namespace {

// The text of the page's detail box in a DOM that Chromium dumped (text-node escapes undone).
std::string detail_text(const std::string& dom) {
  const std::string open = R"(<div id="detail">)";
  auto from = dom.find(open);
  REQUIRE(from != std::string::npos);
  from += open.size();
  auto to = dom.find("</div>", from);
  REQUIRE(to != std::string::npos);
  std::string text = dom.substr(from, to - from);
  for (auto [escaped, plain] : {std::pair{"&lt;", "<"}, std::pair{"&gt;", ">"},
                                std::pair{"&nbsp;", "\xC2\xA0"}, std::pair{"&amp;", "&"}})
    for (std::size_t at = 0; (at = text.find(escaped, at)) != std::string::npos;
         at += std::string(plain).size())
      text.replace(at, std::string(escaped).size(), plain);
  return text;
}

struct DrawnStep {
  std::size_t index = 0;  // among every drawn event, in page order (the N of "#event=N")
  std::string action, object, patch;
};

// The last drawn patch event of an object with more than one, found from the page's data: its
// object and patch text name it among every event of the page.
DrawnStep last_patch_step(const formats::Value& data) {
  const auto& patches = data.find("patches")->as_array();
  DrawnStep found;
  bool any = false;
  std::size_t n = 0;
  for (const auto& g : data.find("groups")->as_array()) {
    std::string ns(g.string_at({"namespace"}));
    for (const auto& o : g.find("objects")->as_array()) {
      std::size_t patched = 0;
      for (const auto& s : o.find("steps")->as_array()) {
        auto i = *s.as_array()[2].as_int64();
        if (s.as_array()[1].as_string() == "patch" && i >= 0 && ++patched > 1) {
          found = {n, "patch",
                   std::string(o.string_at({"resource"})) + "/" + (ns.empty() ? "" : ns + "/") +
                       std::string(o.string_at({"name"})),
                   patches[i].as_string()};
          any = true;
        }
        ++n;
      }
    }
  }
  REQUIRE_MESSAGE(any, "the page draws no object with two patches");
  return found;
}

}  // namespace

TEST_CASE("show --html: clicking an event shows its patch (headless Chromium, #event=N clicks it)") {
  const char* browser = chromium();
  if (browser == nullptr) {
    MESSAGE("SKIPPED: no chromium (apt-get install chromium; scripts/install-deps.sh installs it)");
    return;
  }
  TempDir dir;
  auto path = dir.file("rec.yaml");
  write_generated(path, 40);
  auto html = dir.file("rec.html");
  REQUIRE(write_html(path, html));
  auto step = last_patch_step(page_data(read_file(html)));
  std::string flags =
      std::string(browser) +
      " --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir=" + dir.file("profile") +
      " --window-size=1200,900 --enable-logging=stderr --v=0 --dump-dom ";
  auto dom =
      run("timeout 120 " + flags + "'file://" + html + "#event=" + std::to_string(step.index) + "'", dir);
  REQUIRE_MESSAGE(dom.code == 0, dom.err);
  for (const char* bad : {"Uncaught", "SyntaxError", "TypeError", "ReferenceError"})
    CHECK_MESSAGE(dom.err.find(bad) == std::string::npos, dom.err);
  // The click handler wrote "ACTION RESOURCE/NS/NAME at TIME", a blank line, then the patch.
  auto detail = detail_text(dom.out);
  INFO("event " << step.index << " of " << step.object << "; detail box: " << detail);
  CHECK(detail.rfind(step.action + " " + step.object + " at ", 0) == 0);
  CHECK(detail.ends_with("\n\n" + step.patch));
}
