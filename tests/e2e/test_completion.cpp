// Shell completion, man pages, `ktape version` and `ktape help`, driven as a user's shell drives
// them: bash sources `ktape completion bash`, sets COMP_WORDS/COMP_CWORD as readline would and calls
// the completion function; the candidates come back in COMPREPLY.
#include <algorithm>

#include "formats/json.hpp"
#include "tests/e2e/harness.hpp"

namespace ktape::e2e {
namespace {

using Words = std::vector<std::string>;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out.append("'\\''");
    else
      out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// COMPREPLY after completing the last of `words` (the words after `ktape`; the last may be "").
Words bash_complete(const Home& home, const Words& words, const std::string& env = "") {
  std::string array = shell_quote(KTAPE_BINARY);
  for (const auto& w : words) array.append(" ").append(shell_quote(w));
  std::string script = "source <(" + shell_quote(KTAPE_BINARY) + " completion bash) || exit 3\n" + env +
                       "COMP_WORDS=(" + array + ")\nCOMP_CWORD=" + std::to_string(words.size()) +
                       "\n_ktape\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
  fs::path file = home.path / "complete.sh";
  test_support::write_file(file, script);
  Output r = home.run("bash " + file.string());
  REQUIRE_MESSAGE(r.code == 0, r.err);
  Words out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

bool has(const Words& words, const std::string& w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

TEST_CASE("bash completion: subcommands, flags and the values a flag's check enumerates") {
  Home home;
  Words top = bash_complete(home, {""});
  for (const char* cmd : {"record", "replay", "cluster", "version", "completion", "help"})
    CHECK_MESSAGE(has(top, cmd), cmd);
  CHECK_FALSE(has(top, "__complete"));
  CHECK_FALSE(has(top, "__man"));
  CHECK(bash_complete(home, {"repl"}) == Words{"replay"});
  CHECK(bash_complete(home, {"replay", "--on-existing", ""}) == Words{"recreate", "skip", "update"});
  CHECK(bash_complete(home, {"replay", "--on-existing", "re"}) == Words{"recreate"});
  CHECK(bash_complete(home, {"completion", ""}) == Words{"bash", "fish", "zsh"});
  CHECK(bash_complete(home, {"version", "-o", ""}) == Words{"json", "text"});
  CHECK(bash_complete(home, {"restore", "--update", ""}) == Words{"apply", "put"});
  Words flags = bash_complete(home, {"record", "--sn"});
  CHECK(flags == Words{"--snapshot"});
  Words record_flags = bash_complete(home, {"record", "-"});
  for (const char* f : {"--cluster", "--context", "--path", "-n", "--namespace", "--help"})
    CHECK_MESSAGE(has(record_flags, f), f);
  // A flag's value is not taken for a subcommand: `--path cluster` leaves `record` current.
  CHECK(has(bash_complete(home, {"record", "--path", "cluster", "--sn"}), "--snapshot"));
  Words cluster = bash_complete(home, {"cluster", ""});
  for (const char* cmd : {"create", "list", "delete"}) CHECK_MESSAGE(has(cluster, cmd), cmd);
  CHECK(bash_complete(home, {"help", "cluster", "cr"}) == Words{"create"});
}

// Candidates a shell script printed, one per line, sorted; REQUIREs it ran.
Words lines_of(const Output& r) {
  REQUIRE_MESSAGE(r.code == 0, r.err);
  Words out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(line.substr(0, line.find('\t')));  // fish adds "\tdescription"
  std::sort(out.begin(), out.end());
  return out;
}

// zsh: the generated _ktape function run as zsh's completion system runs it (words, CURRENT), with
// compadd printing what it is given.
Words zsh_complete(const Home& home, const Words& words) {
  std::string array = shell_quote(KTAPE_BINARY);
  for (const auto& w : words) array.append(" ").append(shell_quote(w));
  std::string script =
      "compdef() { :; }\ncompadd() { [[ $1 == -- ]] && shift; print -l -- \"$@\"; }\n"
      "_files() { :; }\nsource <(" +
      shell_quote(KTAPE_BINARY) + " completion zsh)\n" + "words=(" + array +
      ")\nCURRENT=" + std::to_string(words.size() + 1) + "\n_ktape\n";
  fs::path file = home.path / "complete.zsh";
  test_support::write_file(file, script);
  return lines_of(home.run("zsh -f " + file.string()));
}

// fish: its own `complete -C` completes the command line with the generated script loaded.
Words fish_complete(const Home& home, const std::string& line) {
  std::string dir = fs::path(KTAPE_BINARY).parent_path().string();
  std::string script = "set -x PATH " + shell_quote(dir) + " $PATH\n" + "ktape completion fish | source\n" +
                       "complete -C " + shell_quote(line) + "\n";
  fs::path file = home.path / "complete.fish";
  test_support::write_file(file, script);
  return lines_of(home.run("fish --no-config " + file.string()));
}

bool have(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null").c_str()) == 0;
}

TEST_CASE("zsh and fish completion: subcommands, flags and enumerated values") {
  Home home;
  if (!have("zsh") || !have("fish")) {
    MESSAGE("zsh or fish is not installed (scripts/install-deps.sh installs both): skipped");
    return;
  }
  CHECK(zsh_complete(home, {"repl"}) == Words{"replay"});
  CHECK(zsh_complete(home, {"replay", "--on-existing", ""}) == Words{"recreate", "skip", "update"});
  CHECK(has(zsh_complete(home, {"record", "-"}), "--snapshot"));
  CHECK(has(zsh_complete(home, {""}), "cluster"));

  CHECK(has(fish_complete(home, "ktape repl"), "replay"));
  CHECK_FALSE(has(fish_complete(home, "ktape repl"), "record"));
  Words values = fish_complete(home, "ktape replay --on-existing ");
  for (const char* v : {"recreate", "skip", "update"}) CHECK_MESSAGE(has(values, v), v);
  CHECK(has(fish_complete(home, "ktape completion "), "fish"));
}

TEST_CASE("bash completion: --cluster offers the simulated clusters, --context the kubeconfig's contexts") {
  Home home;
  CHECK(bash_complete(home, {"record", "--cluster", ""}).empty());
  home.create_cluster("compl-alpha");
  home.create_cluster("compl-beta");
  CHECK(bash_complete(home, {"record", "--cluster", "compl-"}) == Words{"compl-alpha", "compl-beta"});
  CHECK(bash_complete(home, {"replay", "--cluster", "compl-b"}) == Words{"compl-beta"});

  fs::path config = home.path / "two-contexts.yaml";
  test_support::write_file(
      config,
      "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: https://127.0.0.1:1}\n"
      "users:\n- name: u\n  user: {}\ncontexts:\n- name: prod-eu\n  context: {cluster: c, user: u}\n"
      "- name: staging\n  context: {cluster: c, user: u}\ncurrent-context: staging\n");
  std::string env = "export KUBECONFIG=" + shell_quote(config.string()) + "\n";
  CHECK(bash_complete(home, {"record", "--context", ""}, env) == Words{"prod-eu", "staging"});
  CHECK(bash_complete(home, {"record", "--kubeconfig", config.string(), "--context", "p"}) ==
        Words{"prod-eu"});
}

TEST_CASE("ktape __man writes a page per command with the flags --help shows") {
  Home home;
  fs::path dir = home.path / "man1";
  REQUIRE(home.ktape("__man " + dir.string()).code == 0);
  // Every command completion offers has its page, the subcommands of `cluster` included.
  for (const auto& cmd : bash_complete(home, {""}))
    CHECK_MESSAGE(fs::exists(dir / ("ktape-" + cmd + ".1")), cmd);
  Words cluster = bash_complete(home, {"cluster", ""});
  CHECK(cluster.size() >= 3);
  for (const auto& sub : cluster) CHECK_MESSAGE(fs::exists(dir / ("ktape-cluster-" + sub + ".1")), sub);
  CHECK(fs::exists(dir / "ktape.1"));
  std::string replay = slurp(dir / "ktape-replay.1");
  CHECK(replay.rfind(".TH KTAPE\\-REPLAY 1", 0) == 0);
  CHECK(replay.find("\\-\\-on\\-existing") != std::string::npos);
  CHECK(replay.find("(one of: skip update recreate)") != std::string::npos);
  Output help = home.ktape("replay --help");
  REQUIRE(help.code == 0);
  // man renders the page (groff is what `man` runs); its text has the flag --help lists.
  Output rendered = home.run("MANWIDTH=200 man -l " + (dir / "ktape-replay.1").string() + " | col -b");
  if (rendered.code == 0 && !rendered.out.empty()) {
    CHECK(rendered.out.find("--on-existing") != std::string::npos);
    CHECK(rendered.out.find("SYNOPSIS") != std::string::npos);
  }
}

TEST_CASE("ktape version prints the version, git revision and API version; -o json; ktape help") {
  Home home;
  Output text = home.ktape("version");
  REQUIRE(text.code == 0);
  CHECK(text.out.find(std::string("ktape ") + KTAPE_VERSION) == 0);
  CHECK(text.out.find("git revision ") != std::string::npos);
  Output json = home.ktape("version -o json");
  REQUIRE(json.code == 0);
  auto doc = formats::parse_json(json.out);
  REQUIRE(doc);
  CHECK(doc->string_at({"version"}) == KTAPE_VERSION);
  CHECK(doc->string_at({"kubernetesAPI"}) == "1.32");
  std::string revision(doc->string_at({"gitRevision"}));
  CHECK(!revision.empty());
  CHECK(text.out.find("git revision " + revision) != std::string::npos);

  CHECK(home.ktape("help cluster create").out == home.ktape("cluster create --help").out);
  CHECK(home.ktape("help").out == home.ktape("--help").out);
  Output unknown = home.ktape("help no-such-command");
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("error: no command \"no-such-command\"") != std::string::npos);
}

TEST_CASE("ktape record's summary table aligns whatever the length of a resource's name") {
  Home home;
  home.create_cluster("aligned");
  fs::path plc = home.path / "plc.yaml";
  test_support::write_file(plc,
                           "apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: PriorityLevelConfiguration\n"
                           "metadata: {name: batch}\nspec:\n  type: Limited\n  limited:\n"
                           "    nominalConcurrencyShares: 5\n    limitResponse: {type: Reject}\n");
  Output created = home.kubectl("aligned", "create -f " + plc.string());
  REQUIRE_MESSAGE(created.code == 0, created.err);
  Output r = home.ktape("record --snapshot --cluster aligned --path " + (home.path / "s.yaml").string());
  REQUIRE_MESSAGE(r.code == 0, r.err);
  std::istringstream lines(r.err);
  std::vector<std::string> table;
  bool in_table = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("  RESOURCE") == 0) in_table = true;
    if (in_table && line.rfind("  ", 0) == 0) table.push_back(line);
  }
  REQUIRE(table.size() > 2);
  std::size_t longest = 0;
  for (const auto& row : table) {
    // Every row is as long as the header: the four right-aligned columns end at the same place.
    CHECK_MESSAGE(row.size() == table.front().size(), row);
    longest = std::max(longest, row.find(' ', 2) - 2);
  }
  // prioritylevelconfigurations.flowcontrol.apiserver.k8s.io: longer than the 45 columns it had.
  CHECK(longest == std::string("prioritylevelconfigurations.flowcontrol.apiserver.k8s.io").size());
}

}  // namespace
}  // namespace ktape::e2e
