// Configuration as the AWS CLI reads it (see config.hpp).
#include "s3/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;

namespace ktape::s3 {
namespace {

using Ini = std::map<std::string, std::map<std::string, std::string>>;

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::optional<std::string> lookup(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<Ini> read_ini(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_ini(text.str());
}

// The profile's settings: the credentials file's [NAME] over the config file's [profile NAME]
// ([default] in both for the default profile). nullopt when neither file has the profile.
std::optional<std::map<std::string, std::string>> profile_settings(const ConfigSources& src,
                                                                   const std::string& profile) {
  const auto& env = src.environment;
  std::string creds_path =
      lookup(env, "AWS_SHARED_CREDENTIALS_FILE").value_or(src.home + "/.aws/credentials");
  std::string config_path = lookup(env, "AWS_CONFIG_FILE").value_or(src.home + "/.aws/config");
  std::optional<std::map<std::string, std::string>> out;
  if (auto config = read_ini(config_path)) {
    auto it = config->find(profile == "default" ? profile : "profile " + profile);
    if (it != config->end()) out = it->second;
  }
  if (auto creds = read_ini(creds_path)) {
    auto it = creds->find(profile);
    if (it != creds->end()) {
      if (!out) out.emplace();
      for (const auto& [k, v] : it->second) (*out)[k] = v;
    }
  }
  return out;
}

Result<AddressingStyle> style_of(const std::optional<std::string>& setting, bool custom_endpoint) {
  if (!setting || *setting == "auto")
    return custom_endpoint ? AddressingStyle::path : AddressingStyle::virtual_host;
  if (*setting == "path") return AddressingStyle::path;
  if (*setting == "virtual") return AddressingStyle::virtual_host;
  return fail(ErrorKind::invalid,
              "KTAPE_S3_ADDRESSING_STYLE: \"" + *setting + "\" is not path, virtual or auto");
}

Result<void> resolve_credentials(Config& config, const std::map<std::string, std::string>& env,
                                 const std::map<std::string, std::string>& profile, const std::string& name) {
  if (auto id = lookup(env, "AWS_ACCESS_KEY_ID")) {
    auto secret = lookup(env, "AWS_SECRET_ACCESS_KEY");
    if (!secret) return fail(ErrorKind::invalid, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    config.credentials = {*id, *secret, lookup(env, "AWS_SESSION_TOKEN").value_or("")};
    return {};
  }
  auto id = lookup(profile, "aws_access_key_id");
  auto secret = lookup(profile, "aws_secret_access_key");
  if (!id || !secret) {
    return fail(ErrorKind::invalid,
                "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                "aws_access_key_id and aws_secret_access_key in profile \"" +
                    name + "\" of ~/.aws/credentials");
  }
  config.credentials = {*id, *secret, lookup(profile, "aws_session_token").value_or("")};
  return {};
}

}  // namespace

Ini parse_ini(const std::string& text) {
  Ini out;
  std::string section;
  std::string nested;  // "s3" while reading the indented lines after "s3 ="
  std::istringstream lines(text);
  for (std::string raw; std::getline(lines, raw);) {
    bool indented = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t');
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      nested.clear();
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = lower(trim(line.substr(0, eq)));
    std::string value = trim(line.substr(eq + 1));
    if (!indented) nested.clear();
    if (value.empty() && !indented) {
      nested = key;
      continue;
    }
    if (!nested.empty()) key.insert(0, nested + ".");
    out[section][key] = value;
  }
  return out;
}

ConfigSources process_sources(std::optional<std::string> endpoint_flag) {
  ConfigSources src;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = entry.substr(0, eq);
    if (name.starts_with("AWS_") || name.starts_with("KTAPE_S3_"))
      src.environment.emplace(std::string(name), std::string(entry.substr(eq + 1)));
  }
  const char* home = std::getenv("HOME");
  src.home = home != nullptr ? home : ".";
  src.endpoint_flag = std::move(endpoint_flag);
  return src;
}

Result<Config> load_config(const ConfigSources& src) {
  const auto& env = src.environment;
  std::string name = lookup(env, "AWS_PROFILE").value_or("default");
  auto settings = profile_settings(src, name);
  if (!settings && lookup(env, "AWS_PROFILE"))
    return fail(ErrorKind::invalid,
                "AWS_PROFILE \"" + name + "\" is in neither ~/.aws/credentials nor ~/.aws/config");
  std::map<std::string, std::string> profile = settings.value_or(std::map<std::string, std::string>{});
  Config config;
  config.region =
      lookup(env, "AWS_REGION")
          .value_or(
              lookup(env, "AWS_DEFAULT_REGION").value_or(lookup(profile, "region").value_or("us-east-1")));
  std::optional<std::string> endpoint = src.endpoint_flag;
  for (const char* var : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"})
    if (!endpoint) endpoint = lookup(env, var);
  if (!endpoint) endpoint = lookup(profile, "s3.endpoint_url");
  if (!endpoint) endpoint = lookup(profile, "endpoint_url");
  bool custom = endpoint.has_value() && !endpoint->empty();
  config.endpoint = custom ? *endpoint : "https://s3." + config.region + ".amazonaws.com";
  while (config.endpoint.ends_with("/")) config.endpoint.pop_back();
  if (!config.endpoint.starts_with("http://") && !config.endpoint.starts_with("https://"))
    return fail(ErrorKind::invalid,
                "S3 endpoint \"" + config.endpoint + "\" is not an http:// or https:// URL");
  auto style_setting = lookup(env, "KTAPE_S3_ADDRESSING_STYLE");
  if (!style_setting) style_setting = lookup(profile, "s3.addressing_style");
  auto style = style_of(style_setting, custom);
  if (!style) return fail(style.error());
  config.style = *style;
  config.ca_file = lookup(env, "AWS_CA_BUNDLE").value_or(lookup(profile, "ca_bundle").value_or(""));
  if (auto r = resolve_credentials(config, env, profile, name); !r) return fail(r.error());
  return config;
}

}  // namespace ktape::s3
