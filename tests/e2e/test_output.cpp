// Output conventions across commands: errors as "error: ..." with the README's exit codes, -q and -v,
// colour only on terminals and never with NO_COLOR or --no-color.
#include <doctest/doctest.h>

#include "tests/e2e/harness.hpp"

using namespace ktape;
using namespace ktape::e2e;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// `ktape ARGS` on a pseudo-terminal (util-linux's script), so isatty(stderr) holds; its output.
Output on_terminal(const Home& home, const std::string& env, const std::string& args) {
  std::string inner = env + " " + KTAPE_BINARY + " " + args;
  return home.run("script -qec '" + inner + "' /dev/null");
}

}  // namespace

TEST_CASE("errors read \"error: ...\": usage errors exit 2 and name the command's --help, failures exit 1") {
  Home home;
  auto usage = home.ktape("replay");
  CHECK(usage.code == 2);
  CHECK_MESSAGE(starts_with(usage.err, "error: --path is required"), usage.err);
  CHECK(usage.err.find("ktape replay --help") != std::string::npos);

  auto nested = home.ktape("cluster serve --bogus");
  CHECK(nested.code == 2);
  CHECK(starts_with(nested.err, "error: "));
  CHECK(nested.err.find("ktape cluster serve --help") != std::string::npos);

  auto missing = home.ktape("show " + (home.path / "nothing.yaml").string());
  CHECK(missing.code == 1);
  CHECK_MESSAGE(starts_with(missing.err, "error: "), missing.err);
  CHECK(missing.err.find("nothing.yaml") != std::string::npos);

  auto unknown = home.ktape("cluster delete nosuch");
  CHECK(unknown.code == 1);
  CHECK_MESSAGE(starts_with(unknown.err, "error: cluster delete: "), unknown.err);
}

TEST_CASE("-q keeps only errors; -v lists every resource; both work before or after the command") {
  Home home;
  home.create_cluster("o");
  auto plain = home.ktape("record --snapshot --cluster o --path " + (home.path / "a.yaml").string());
  REQUIRE_MESSAGE(plain.code == 0, plain.err);
  CHECK(plain.err.find("Writing a snapshot") != std::string::npos);
  CHECK(plain.err.find("recorded ") != std::string::npos);

  auto quiet = home.ktape("record -q --snapshot --cluster o --path " + (home.path / "b.yaml").string());
  REQUIRE(quiet.code == 0);
  CHECK_MESSAGE(quiet.err.empty(), quiet.err);
  auto quiet_first = home.ktape("-q record --snapshot --cluster o --path " + (home.path / "c.yaml").string());
  REQUIRE(quiet_first.code == 0);
  CHECK_MESSAGE(quiet_first.err.empty(), quiet_first.err);
  CHECK(fs::exists(home.path / "c.yaml"));

  auto replay = home.ktape("replay -q --dry-run --cluster o --path " + (home.path / "a.yaml").string());
  CHECK(replay.code == 0);
  CHECK_MESSAGE(replay.err.empty(), replay.err);

  // The simulated cluster serves resources that hold nothing (cronjobs, say): only -v lists them.
  auto verbose = home.ktape("record -v --snapshot --cluster o --path " + (home.path / "d.yaml").string());
  REQUIRE(verbose.code == 0);
  CHECK(plain.err.find("  cronjobs.batch ") == std::string::npos);
  CHECK_MESSAGE(verbose.err.find("  cronjobs.batch ") != std::string::npos, verbose.err);
}

TEST_CASE("colour on terminals only, never with NO_COLOR or --no-color") {
  Home home;
  auto show = "show " + (home.path / "nothing.yaml").string();
  auto piped = home.ktape(show);
  CHECK(piped.err.find('\033') == std::string::npos);

  auto tty = on_terminal(home, "NO_COLOR=", show);
  CHECK_MESSAGE(tty.out.find("\033[1;31merror:") != std::string::npos, tty.out);

  CHECK(on_terminal(home, "NO_COLOR=1", show).out.find('\033') == std::string::npos);
  CHECK(on_terminal(home, "NO_COLOR=", show + " --no-color").out.find('\033') == std::string::npos);
  CHECK(on_terminal(home, "TERM=dumb NO_COLOR=", show).out.find('\033') == std::string::npos);
}
