#pragma once
// Where and as whom to reach S3: the endpoint, region, addressing style, CA and credentials, read
// as the AWS CLI reads them (environment first, then the shared credentials and config files).
#include <map>
#include <optional>
#include <string>

#include "formats/error.hpp"

namespace ktape::s3 {

// path: http://host/bucket/key (MinIO, s3rver, most self-hosted servers); virtual_host:
// http://bucket.host/key (AWS's default).
enum class AddressingStyle { path, virtual_host };

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" unless temporary credentials
};

struct Config {
  std::string
      endpoint;  // scheme://host[:port] without a trailing '/', e.g. "https://s3.eu-west-1.amazonaws.com"
  std::string region = "us-east-1";
  AddressingStyle style = AddressingStyle::virtual_host;
  std::string ca_file;  // PEM bundle to trust instead of the system's ("" = system)
  Credentials credentials;
  // Multipart part size in bytes (default 8 MiB; S3 needs at least 5 MiB except for the last
  // part). Memory held by one upload is about one part.
  std::size_t part_bytes = std::size_t{8} << 20;
  // Max keys per ListObjectsV2 page (S3's maximum and default is 1000).
  int list_page_keys = 1000;
};

// What load_config reads. `environment` stands for the process environment (tests pass their
// own); `home` is where ~/.aws lives.
struct ConfigSources {
  std::map<std::string, std::string> environment;  // AWS_* variables by name
  std::string home;                                // $HOME, for ~/.aws/credentials and ~/.aws/config
  std::optional<std::string> endpoint_flag;        // --s3-endpoint: wins over AWS_ENDPOINT_URL
};

// The sources of the running process: its AWS_* and KTAPE_S3_* variables and $HOME.
ConfigSources process_sources(std::optional<std::string> endpoint_flag);

// Resolves the configuration, as the AWS CLI does:
// - endpoint: --s3-endpoint, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else the profile's
//   endpoint_url, else https://s3.REGION.amazonaws.com. A custom endpoint is addressed in path
//   style, AWS's in virtual-host style; KTAPE_S3_ADDRESSING_STYLE=path|virtual overrides.
// - region: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region, else us-east-1.
// - credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the
//   profile (AWS_PROFILE, else "default") of AWS_SHARED_CREDENTIALS_FILE (else ~/.aws/credentials),
//   else of AWS_CONFIG_FILE (else ~/.aws/config, section "profile NAME").
// - CA: AWS_CA_BUNDLE, else the profile's ca_bundle.
// Missing credentials, a named profile that does not exist, or an endpoint that is not http(s)
// are invalid Errors saying what to set; no secret is ever part of a message.
Result<Config> load_config(const ConfigSources& sources);

// Parses an INI file as the AWS CLI writes them: "[section]" headers, "key = value" lines, '#'
// and ';' comments. Keys are lowercased; nested sections ("s3 =" followed by indented lines) are
// flattened to "s3.key".
std::map<std::string, std::map<std::string, std::string>> parse_ini(const std::string& text);

}  // namespace ktape::s3
