// s3::load_config resolves endpoint, region, style, CA and credentials as the AWS CLI does.
#include <doctest/doctest.h>

#include <fstream>

#include "s3/config.hpp"
#include "s3/xml.hpp"
#include "tests/support/temp_dir.hpp"

namespace ktape::s3 {
namespace {

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

TEST_CASE("load_config takes the environment's credentials, region and endpoint") {
  test_support::TempDir home("ktape-s3-home");
  ConfigSources src;
  src.home = home.path().string();
  src.environment = {{"AWS_ACCESS_KEY_ID", "AKID"},
                     {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                     {"AWS_SESSION_TOKEN", "TOKEN"},
                     {"AWS_REGION", "eu-west-3"},
                     {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"}};
  auto config = load_config(src);
  REQUIRE(config);
  CHECK(config->credentials.access_key_id == "AKID");
  CHECK(config->credentials.secret_access_key == "SECRET");
  CHECK(config->credentials.session_token == "TOKEN");
  CHECK(config->region == "eu-west-3");
  CHECK(config->endpoint == "http://127.0.0.1:9000");  // the trailing '/' dropped
  CHECK(config->style == AddressingStyle::path);       // a custom endpoint: path style

  SUBCASE("--s3-endpoint wins over AWS_ENDPOINT_URL") {
    src.endpoint_flag = "https://minio.example:9443";
    auto flagged = load_config(src);
    REQUIRE(flagged);
    CHECK(flagged->endpoint == "https://minio.example:9443");
  }
  SUBCASE("without an endpoint, AWS's regional one in virtual-host style") {
    src.environment.erase("AWS_ENDPOINT_URL");
    auto aws = load_config(src);
    REQUIRE(aws);
    CHECK(aws->endpoint == "https://s3.eu-west-3.amazonaws.com");
    CHECK(aws->style == AddressingStyle::virtual_host);
  }
  SUBCASE("KTAPE_S3_ADDRESSING_STYLE overrides, and a bad value is named") {
    src.environment["KTAPE_S3_ADDRESSING_STYLE"] = "virtual";
    auto v = load_config(src);
    REQUIRE(v);
    CHECK(v->style == AddressingStyle::virtual_host);
    src.environment["KTAPE_S3_ADDRESSING_STYLE"] = "sideways";
    auto bad = load_config(src);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("KTAPE_S3_ADDRESSING_STYLE") != std::string::npos);
  }
  SUBCASE("an endpoint that is not http(s) is refused") {
    src.environment["AWS_ENDPOINT_URL"] = "ftp://host";
    auto bad = load_config(src);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::invalid);
  }
}

TEST_CASE("load_config reads the profile from the shared credentials and config files") {
  test_support::TempDir home("ktape-s3-home");
  std::string dir = home.path().string();
  write_file(dir + "/.aws/credentials",
             "[default]\naws_access_key_id = DEFAULTID\naws_secret_access_key = DEFAULTSECRET\n\n"
             "# a comment\n[backup]\naws_access_key_id=BACKUPID\naws_secret_access_key=BACKUPSECRET\n");
  write_file(dir + "/.aws/config",
             "[default]\nregion = us-west-2\n[profile backup]\nregion = eu-central-1\n"
             "endpoint_url = http://10.0.0.5:9000\nca_bundle = /etc/ssl/minio.pem\ns3 =\n  addressing_style "
             "= virtual\n");
  ConfigSources src;
  src.home = dir;
  auto def = load_config(src);
  REQUIRE(def);
  CHECK(def->credentials.access_key_id == "DEFAULTID");
  CHECK(def->region == "us-west-2");
  CHECK(def->endpoint == "https://s3.us-west-2.amazonaws.com");

  src.environment["AWS_PROFILE"] = "backup";
  auto backup = load_config(src);
  REQUIRE(backup);
  CHECK(backup->credentials.access_key_id == "BACKUPID");
  CHECK(backup->credentials.secret_access_key == "BACKUPSECRET");
  CHECK(backup->region == "eu-central-1");
  CHECK(backup->endpoint == "http://10.0.0.5:9000");
  CHECK(backup->ca_file == "/etc/ssl/minio.pem");
  CHECK(backup->style == AddressingStyle::virtual_host);

  src.environment["AWS_ACCESS_KEY_ID"] = "ENVID";  // the environment wins over the file
  src.environment["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  auto env = load_config(src);
  REQUIRE(env);
  CHECK(env->credentials.access_key_id == "ENVID");

  src.environment = {{"AWS_PROFILE", "nosuch"}};
  auto missing = load_config(src);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("nosuch") != std::string::npos);

  src.environment = {{"AWS_SHARED_CREDENTIALS_FILE", dir + "/none"}, {"AWS_CONFIG_FILE", dir + "/none"}};
  auto none = load_config(src);
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("AWS_ACCESS_KEY_ID") != std::string::npos);
}

TEST_CASE("xml_elements reads S3's answers, entities decoded") {
  std::string xml =
      "<ListBucketResult><Prefix>p/</Prefix><Contents><Key>a&amp;b&#x2F;c</Key><Size>5</Size></Contents>"
      "<Contents><Key>d</Key><Size/></Contents><NextContinuationToken>t+/=</NextContinuationToken>"
      "<CommonPrefixes><Prefix>p/q/</Prefix></CommonPrefixes></ListBucketResult>";
  auto contents = xml_elements(xml, "Contents");
  REQUIRE(contents.size() == 2);
  CHECK(xml_first(contents[0], "Key") == "a&b/c");
  CHECK(xml_first(contents[1], "Size") == "");
  CHECK(xml_first(xml, "NextContinuationToken") == "t+/=");
  CHECK(xml_first(xml, "Missing") == "");
  CHECK(xml_escape("\"a\"<&>") == "&quot;a&quot;&lt;&amp;&gt;");
}

}  // namespace
}  // namespace ktape::s3
