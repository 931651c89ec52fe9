// ktape's commands on s3:// paths, as a user runs them: export to a bucket, ls, verify, show,
// diff, prune and replay from it, against s3rver and a simulated cluster.
#include <doctest/doctest.h>

#include "formats/raw_store.hpp"
#include "s3/store.hpp"
#include "tests/e2e/harness.hpp"
#include "tests/s3/s3rver.hpp"

namespace ktape::s3 {
namespace {

// The keys directly under s3://bkt/PREFIX/, read through s3/ itself (not through ktape).
std::vector<std::string> keys_under(const test::S3rver& server, const std::string& prefix) {
  auto listed = make_store(server.config())->list("s3://bkt/" + prefix + "/");
  REQUIRE(listed);
  std::vector<std::string> names;
  for (const auto& o : *listed) names.push_back(o.path.substr(o.path.rfind('/') + 1));
  return names;
}

TEST_CASE("export to s3://, then ls, verify, show, diff, prune and replay from the bucket") {
  test::S3rver* shared = test::shared_s3rver();
  if (shared == nullptr) {
    MESSAGE("SKIPPED: s3rver is not installed (scripts/install-deps.sh installs it into .deps/)");
    return;
  }
  test::S3rver& server = *shared;
  e2e::Home home;
  home.create_cluster("src");
  REQUIRE(home.kubectl("src", "create namespace shop").code == 0);
  REQUIRE(home.kubectl("src", "-n shop create configmap web --from-literal=k=v1").code == 0);
  REQUIRE(home.kubectl("src", "-n shop create secret generic db --from-literal=password=hunter2").code == 0);
  std::string creds = "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_PROFILE= ";
  std::string env = creds + "AWS_ENDPOINT_URL=" + server.endpoint() + " ";
  std::string kc = " --kubeconfig " + home.kubeconfig("src");
  std::string ktape = std::string(KTAPE_BINARY) + " ";

  // --s3-endpoint, after the subcommand; then AWS_ENDPOINT_URL.
  auto first = home.run(creds + ktape + "export --path s3://bkt/cli/backups/a.yaml.zst" + kc +
                        " --s3-endpoint " + server.endpoint());
  REQUIRE_MESSAGE(first.code == 0, first.err);
  REQUIRE(home.kubectl("src", "-n shop delete configmap web").code == 0);
  auto second = home.run(env + ktape + "export --path s3://bkt/cli/backups/b.yaml" + kc);
  REQUIRE_MESSAGE(second.code == 0, second.err);
  CHECK(keys_under(server, "cli/backups") == std::vector<std::string>{"a.yaml.zst", "a.yaml.zst.meta",
                                                                      "a.yaml.zst.sha256", "b.yaml",
                                                                      "b.yaml.meta", "b.yaml.sha256"});

  auto ls = home.run(env + ktape + "ls s3://bkt/cli/backups/ --verify");
  REQUIRE_MESSAGE(ls.code == 0, ls.err);
  CHECK(ls.out.find("a.yaml.zst") != std::string::npos);
  CHECK(ls.out.find("b.yaml") != std::string::npos);
  CHECK(ls.out.find(" ok") != std::string::npos);
  CHECK(ls.out.find("corrupt") == std::string::npos);
  CHECK(ls.out.find("incomplete") == std::string::npos);

  auto verify = home.run(env + ktape + "verify s3://bkt/cli/backups/a.yaml.zst");
  CHECK_MESSAGE(verify.code == 0, verify.out << verify.err);
  auto show = home.run(env + ktape + "show s3://bkt/cli/backups/a.yaml.zst");
  CHECK(show.code == 0);
  CHECK(show.out.find("configmaps") != std::string::npos);
  auto diff = home.run(env + ktape + "diff s3://bkt/cli/backups/a.yaml.zst s3://bkt/cli/backups/b.yaml");
  CHECK(diff.out.find("web") != std::string::npos);
  CHECK(diff.out.find("removed") != std::string::npos);

  // Bad credentials: the export fails with the 403 named, and nothing shows in the folder.
  auto denied = home.run("AWS_ACCESS_KEY_ID=WRONG AWS_SECRET_ACCESS_KEY=nope-secret-123 AWS_ENDPOINT_URL=" +
                         server.endpoint() + " " + ktape + "export --path s3://bkt/cli/backups/c.yaml" + kc);
  CHECK(denied.code == 1);
  CHECK(denied.err.find("403") != std::string::npos);
  CHECK(denied.err.find("nope-secret-123") == std::string::npos);
  CHECK(keys_under(server, "cli/backups").size() == 6);

  home.create_cluster("dst");
  auto replay =
      home.run(env + ktape + "replay --snapshot --path s3://bkt/cli/backups/a.yaml.zst --cluster dst");
  REQUIRE_MESSAGE(replay.code == 0, replay.err);
  auto got = home.kubectl("dst", "-n shop get secret db -o jsonpath={.data.password}");
  CHECK(got.out == "aHVudGVyMg==");  // base64 of hunter2: the Secret came back from the bucket
  CHECK(home.kubectl("dst", "-n shop get configmap web").code == 0);

  auto prune = home.run(env + ktape + "prune s3://bkt/cli/backups/ --keep-last 1 --yes");
  REQUIRE_MESSAGE(prune.code == 0, prune.err);
  CHECK(keys_under(server, "cli/backups") ==
        std::vector<std::string>{"b.yaml", "b.yaml.meta", "b.yaml.sha256"});
}

}  // namespace
}  // namespace ktape::s3
