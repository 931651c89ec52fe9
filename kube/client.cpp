#include "kube/client.hpp"

#include <rapidjson/reader.h>

#include <charconv>

#include "formats/json.hpp"
#include "kube/client_impl.hpp"
#include "kube/status.hpp"

namespace ktape::kube {
namespace {

// Retry-After beyond this is not waited for in full: a minute is already longer than any
// apiserver asks for under APF (it answers "1").
constexpr std::chrono::seconds k_retry_after_cap{60};

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view text) {
  long long seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds < 0) return std::nullopt;
  return std::min(std::chrono::seconds(seconds), k_retry_after_cap);
}

bool retriable_status(int status, bool idempotent) {
  return status == 429 || (idempotent && (status == 500 || status == 503 || status == 504));
}

// Finds, in one pass that builds nothing, the top-level apiVersion and kind strings, where the
// top-level metadata object starts and ends in the text, and the identity strings in it. Parsed iteratively
// (deep nesting costs no native stack), where the handler sees a brace before the stream moves past it.
class TopLevelScan : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TopLevelScan> {
 public:
  explicit TopLevelScan(const rapidjson::StringStream& stream) : m_stream(stream) {}

  bool Default() {
    if (m_depth == 1) m_key = Field::other;
    return true;
  }
  bool String(const char* s, rapidjson::SizeType length, bool) {
    if (m_depth == 1 && m_key == Field::api_version) api_version.assign(s, length);
    if (m_depth == 1 && m_key == Field::kind) kind.assign(s, length);
    if (m_depth == 2 && m_in_metadata && m_identity_key != nullptr)
      identity.emplace_back(m_identity_key, std::string(s, length));
    return Default();
  }
  bool Key(const char* s, rapidjson::SizeType length, bool) {
    if (m_depth == 2 && m_in_metadata) {
      m_identity_key = nullptr;
      for (const char* name : {"name", "namespace", "uid", "resourceVersion"})
        if (std::string_view(s, length) == name) m_identity_key = name;
    }
    if (m_depth != 1) return true;
    std::string_view key(s, length);
    m_key = key == "apiVersion" ? Field::api_version
            : key == "kind"     ? Field::kind
            : key == "metadata" ? Field::metadata
                                : Field::other;
    return true;
  }
  bool StartObject() {
    if (m_depth == 1 && m_key == Field::metadata) {
      metadata_begin = m_stream.Tell();
      m_in_metadata = true;
    }
    ++m_depth;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --m_depth;
    if (m_depth == 1 && m_key == Field::metadata) {
      metadata_end = m_stream.Tell() + 1;
      m_key = Field::other;
      m_in_metadata = false;
    }
    return true;
  }
  bool StartArray() {
    ++m_depth;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --m_depth;
    return Default();
  }

  std::string api_version, kind;
  std::size_t metadata_begin = 0, metadata_end = 0;
  std::vector<std::pair<const char*, std::string>>
      identity;  // metadata's name, namespace, uid, resourceVersion

 private:
  enum class Field { other, api_version, kind, metadata };
  const rapidjson::StringStream& m_stream;
  int m_depth = 0;
  Field m_key = Field::other;
  bool m_in_metadata = false;
  const char* m_identity_key = nullptr;  // the metadata key whose string value is identity
};

// An object answer as apiVersion, kind and metadata (or only metadata's identity strings, for
// Answer::identity); nullopt when the text is not a plain JSON object with a metadata object (the
// caller then parses it whole, and reports what is wrong).
std::optional<formats::Value> metadata_only(const std::string& text, Answer answer) {
  rapidjson::StringStream stream(text.c_str());
  TopLevelScan scan(stream);
  rapidjson::Reader reader;
  if (reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag>(stream, scan)
          .IsError())
    return std::nullopt;
  if (scan.metadata_end <= scan.metadata_begin || text[scan.metadata_begin] != '{' ||
      text[scan.metadata_end - 1] != '}')
    return std::nullopt;
  formats::Value metadata = formats::Value::object();
  if (answer == Answer::identity) {
    for (auto& [key, value] : scan.identity) metadata.set(key, std::move(value));
  } else {
    auto parsed = formats::parse_json(
        std::string_view(text).substr(scan.metadata_begin, scan.metadata_end - scan.metadata_begin));
    if (!parsed) return std::nullopt;
    metadata = std::move(*parsed);
  }
  formats::Value out = formats::Value::object();
  if (!scan.api_version.empty()) out.set("apiVersion", std::move(scan.api_version));
  if (!scan.kind.empty()) out.set("kind", std::move(scan.kind));
  out.set("metadata", std::move(metadata));
  return out;
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

Client::Impl::Impl(RestConfig config_in, ClientOptions options_in, std::unique_ptr<Transport> transport_in)
    : config(std::move(config_in)),
      options(std::move(options_in)),
      clock(options.clock ? options.clock : make_system_clock()),
      transport(std::move(transport_in)),
      credentials(config, clock),
      limiter(options.qps, options.burst, clock),
      random(std::random_device{}()) {}

Result<HttpRequest> Client::Impl::build(const Call& call) {
  auto credential = credentials.current();
  if (!credential) return fail(credential.error());
  HttpRequest request;
  request.method = call.method;
  request.url = config.server + call.path;
  request.body = call.body;
  request.headers.push_back("Accept: " + call.accept);
  request.headers.push_back("User-Agent: " + options.user_agent);
  if (!call.content_type.empty()) request.headers.push_back("Content-Type: " + call.content_type);
  if (!credential->bearer_token.empty()) {
    request.headers.push_back("Authorization: Bearer " + credential->bearer_token);
  }
  request.basic_auth = credential->basic_auth;
  request.client_cert_pem = credential->client_cert_pem;
  request.client_key_pem = credential->client_key_pem;
  if (!config.impersonate_user.empty())
    request.headers.push_back("Impersonate-User: " + config.impersonate_user);
  for (const auto& group : config.impersonate_groups)
    request.headers.push_back("Impersonate-Group: " + group);
  request.idle_timeout = options.request_idle_timeout;
  return request;
}

std::chrono::nanoseconds Client::Impl::backoff(int attempt) {
  auto delay = options.backoff_base * (std::int64_t{1} << std::min(attempt, 20));
  delay = std::min(delay, options.backoff_max);
  std::lock_guard lock(random_mutex);
  // Jitter over the upper half of the delay: retries of many clients spread out, and no retry
  // comes sooner than half the nominal delay.
  std::uniform_int_distribution<std::int64_t> spread(0, delay.count() / 2);
  return std::chrono::milliseconds(delay.count() - delay.count() / 2 + spread(random));
}

Result<HttpResponse> Client::Impl::send(const Call& call) {
  const bool idempotent = is_idempotent(call.method);
  bool reauthenticated = false;
  for (int attempt = 0;; ++attempt) {
    limiter.acquire();
    auto request = build(call);
    if (!request) return fail(request.error());
    auto response = transport->perform(std::move(*request));
    const bool can_retry = attempt < options.max_retries;
    if (!response) {
      bool safe = (idempotent || response.error().reason == "connect") && response.error().reason != "tls";
      if (!can_retry || !safe || response.error().kind != ErrorKind::transport) return fail(response.error());
      ++retries;
      clock->sleep_for(backoff(attempt));
      continue;
    }
    if (response->status == 401 && !reauthenticated && credentials.invalidate()) {
      reauthenticated = true;
      continue;
    }
    if (can_retry && retriable_status(response->status, idempotent)) {
      ++retries;
      auto after = parse_retry_after(response->retry_after);
      clock->sleep_for(after ? std::chrono::nanoseconds(*after) : backoff(attempt));
      continue;
    }
    return response;
  }
}

Result<formats::Value> Client::Impl::send_json(const Call& call, Answer answer) {
  auto response = send(call);
  if (!response) return fail(response.error());
  if (response->status < 200 || response->status >= 300) return fail(response_error(*response, where(call)));
  if (!is_json_content(response->content_type)) {
    return fail(ErrorKind::parse, where(call) + ": the answer is " + response->content_type +
                                      ", not JSON; the server URL does not look like a Kubernetes apiserver");
  }
  if (answer == Answer::none) return formats::Value();
  if (answer == Answer::metadata || answer == Answer::identity) {
    if (auto meta = metadata_only(response->body, answer)) return std::move(*meta);
  }
  auto doc = formats::parse_json(response->body);
  if (!doc) return fail(with_context(doc.error(), where(call) + ": invalid JSON in the answer"));
  return std::move(*doc);
}

Client::Client(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(RestConfig config, ClientOptions options) {
  while (config.server.ends_with('/')) config.server.pop_back();
  if (!config.server.empty() && config.server.find("://") == std::string::npos) {
    // client-go's default for a server without a scheme: https when TLS settings are present.
    const bool tls =
        !config.ca_pem.empty() || !config.client_cert_pem.empty() || config.insecure_skip_tls_verify;
    config.server = (tls ? "https://" : "http://") + config.server;
  }
  if (!config.server.starts_with("https://") && !config.server.starts_with("http://")) {
    return fail(ErrorKind::invalid, "server \"" + config.server + "\" is not an http:// or https:// URL");
  }
  TransportOptions transport_options;
  transport_options.ca_pem = config.ca_pem;
  transport_options.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
  transport_options.tls_server_name = config.tls_server_name;
  transport_options.client_cert_pem = config.client_cert_pem;
  transport_options.client_key_pem = config.client_key_pem;
  transport_options.proxy_url = config.proxy_url;
  transport_options.connect_timeout = options.connect_timeout;
  auto transport = Transport::create(transport_options);
  if (!transport) return fail(transport.error());
  auto impl = std::make_unique<Impl>(std::move(config), std::move(options), std::move(*transport));
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

const RestConfig& Client::config() const { return m_impl->config; }
std::int64_t Client::retries() const { return m_impl->retries.load(); }
int Client::exec_runs() const { return m_impl->credentials.exec_runs(); }

Result<formats::Value> Client::server_version() { return get_path("/version"); }

Result<formats::Value> Client::get_path(std::string_view path, std::string_view accept) {
  Call call;
  call.path = std::string(path);
  call.accept = std::string(accept);
  return m_impl->send_json(call);
}

}  // namespace ktape::kube
