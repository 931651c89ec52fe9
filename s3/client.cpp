// S3 REST calls over libcurl with SigV4 signing (see client.hpp).
#include "s3/client.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <mutex>

#include "formats/time.hpp"
#include "s3/xml.hpp"

namespace ktape::s3 {
namespace {

// A stalled connection fails after this long without progress (below 1 KiB/s for 30 s), so a
// dropped link becomes a transport Error rather than a hang.
constexpr long k_low_speed_bytes = 1024;
constexpr long k_low_speed_seconds = 30;
constexpr long k_connect_timeout_seconds = 15;

std::string hex_sha256(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += k_digits[digest[i] >> 4];
    out += k_digits[digest[i] & 15];
  }
  return out;
}

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept, '/' kept in keys.
std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

using Query = std::vector<std::pair<std::string, std::string>>;

// The query in SigV4's canonical form (sorted by name, every name and value encoded, "name="
// for a flag), which is also what is sent, so the server's canonical form is the same.
std::string canonical_query(Query query) {
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out.append(uri_encode(name, false)).append("=").append(uri_encode(value, false));
  }
  return out;
}

std::int64_t parse_http_date(const std::string& text) {
  if (text.empty()) return 0;
  if (auto t = formats::parse_rfc3339(text))
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t->time_since_epoch()).count();
  time_t parsed = curl_getdate(text.c_str(), nullptr);
  return parsed < 0 ? 0 : static_cast<std::int64_t>(parsed) * 1'000'000'000;
}

struct Response {
  long status = 0;
  std::string body;
  std::string etag;
  std::string last_modified;
  std::optional<std::uint64_t> content_length;
};

struct Request {
  const char* method = "GET";
  const ObjectUrl* url = nullptr;
  Query query;
  std::vector<std::string> headers;
  std::string_view body;
  bool has_body = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<Response*>(user)->body.append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  std::string_view line(data, size * count);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (name == "etag") response->etag = value;
    if (name == "last-modified") response->last_modified = value;
    if (name == "content-length")
      response->content_length = std::strtoull(std::string(value).c_str(), nullptr, 10);
  }
  return size * count;
}

// The Error for a non-2xx answer, naming the object and S3's own code and message. 403 keeps
// its status (bad credentials or a policy), never the credentials themselves.
Error error_of(const Response& response, const ObjectUrl& url, const char* method) {
  std::string code = xml_first(response.body, "Code");
  std::string message = xml_first(response.body, "Message");
  ErrorKind kind = response.status == 404                         ? ErrorKind::not_found
                   : response.status == 409                       ? ErrorKind::conflict
                   : response.status == 412                       ? ErrorKind::conflict
                   : response.status == 429 || code == "SlowDown" ? ErrorKind::throttled
                                                                  : ErrorKind::http_status;
  std::string text =
      std::string(method) + " " + format_url(url) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) text.append(" ").append(code);
  if (!message.empty()) text.append(": ").append(message);
  if (response.status == 403) text.append(" (check the S3 credentials and the bucket's permissions)");
  Error e{kind, text, static_cast<int>(response.status), code};
  return e;
}

}  // namespace

Result<ObjectUrl> parse_url(std::string_view url) {
  constexpr std::string_view k_scheme = "s3://";
  if (!url.starts_with(k_scheme)) return fail(ErrorKind::invalid, std::string(url) + ": not an s3:// URL");
  url.remove_prefix(k_scheme.size());
  auto slash = url.find('/');
  ObjectUrl out{std::string(url.substr(0, slash)),
                slash == std::string_view::npos ? "" : std::string(url.substr(slash + 1))};
  if (out.bucket.empty()) return fail(ErrorKind::invalid, "s3://" + std::string(url) + ": no bucket name");
  return out;
}

std::string format_url(const ObjectUrl& url) {
  std::string out = "s3://";
  out.append(url.bucket).append("/").append(url.key);
  return out;
}

struct Client::Impl {
  Config config;
  std::mutex mutex;  // one request at a time on the one handle
  CURL* curl = nullptr;

  std::string url_of(const ObjectUrl& url, const Query& query) const {
    std::string out;
    auto scheme_end = config.endpoint.find("://") + 3;
    if (config.style == AddressingStyle::virtual_host) {
      out.append(config.endpoint, 0, scheme_end)
          .append(url.bucket)
          .append(".")
          .append(config.endpoint.substr(scheme_end));
      out.append("/").append(uri_encode(url.key, true));
    } else {
      out.append(config.endpoint)
          .append("/")
          .append(url.bucket)
          .append("/")
          .append(uri_encode(url.key, true));
    }
    if (!query.empty()) out.append("?").append(canonical_query(query));
    return out;
  }

  void set_options(const Request& request, Response& response, std::string& userpwd, std::string& sigv4) {
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, k_connect_timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, k_low_speed_bytes);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, k_low_speed_seconds);
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
    if (!config.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
    if (std::string_view(request.method) == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method);
    }
    if (request.has_body) {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      // The size is the next option: the body need not end in a NUL.
      // NOLINTNEXTLINE(bugprone-suspicious-stringview-data-usage)
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
  }

  Result<Response> perform(const Request& request) {
    std::lock_guard lock(mutex);
    Response response;
    std::string userpwd = config.credentials.access_key_id + ":" + config.credentials.secret_access_key;
    std::string sigv4 = "aws:amz:" + config.region + ":s3";
    set_options(request, response, userpwd, sigv4);
    std::string target = url_of(*request.url, request.query);
    curl_easy_setopt(curl, CURLOPT_URL, target.c_str());
    curl_slist* headers = nullptr;
    // The payload's hash is signed, so a body changed in transit is refused by the server.
    std::string content_hash = "x-amz-content-sha256: " + hex_sha256(request.body);
    headers = curl_slist_append(headers, content_hash.c_str());
    std::string token;
    if (!config.credentials.session_token.empty()) {
      token = "x-amz-security-token: " + config.credentials.session_token;
      headers = curl_slist_append(headers, token.c_str());
    }
    headers = curl_slist_append(headers, "Expect:");
    if (request.has_body) headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    curl_easy_setopt(curl, CURLOPT_USERPWD, "");
    if (rc != CURLE_OK) {
      return fail(ErrorKind::transport, std::string(request.method) + " " + format_url(*request.url) + ": " +
                                            curl_easy_strerror(rc));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

  Result<Response> expect_ok(const Request& request) {
    auto response = perform(request);
    if (!response) return response;
    if (response->status < 200 || response->status >= 300)
      return fail(error_of(*response, *request.url, request.method));
    return response;
  }
};

Client::Client(Config config) : m_impl(std::make_unique<Impl>()) {
  m_impl->config = std::move(config);
  m_impl->curl = curl_easy_init();
}

Client::~Client() {
  if (m_impl->curl != nullptr) curl_easy_cleanup(m_impl->curl);
}

const Config& Client::config() const { return m_impl->config; }

Result<std::optional<ObjectHead>> Client::head(const ObjectUrl& url) {
  Request request{"HEAD", &url, {}, {}, {}, false};
  auto response = m_impl->perform(request);
  if (!response) return fail(response.error());
  if (response->status == 404) return std::optional<ObjectHead>{};
  if (response->status < 200 || response->status >= 300) return fail(error_of(*response, url, "HEAD"));
  return std::optional<ObjectHead>{ObjectHead{response->content_length.value_or(0), response->etag,
                                              parse_http_date(response->last_modified)}};
}

Result<std::string> Client::get_range(const ObjectUrl& url, std::uint64_t offset, std::size_t size,
                                      const std::string& etag) {
  Request request{"GET", &url, {}, {}, {}, false};
  request.headers.push_back("Range: bytes=" + std::to_string(offset) + "-" +
                            std::to_string(offset + size - 1));
  if (!etag.empty()) request.headers.push_back("If-Match: " + etag);
  auto response = m_impl->expect_ok(request);
  if (!response) return fail(response.error());
  return std::move(response->body);
}

Result<void> Client::put(const ObjectUrl& url, std::string_view body) {
  Request request{"PUT", &url, {}, {}, body, true};
  auto response = m_impl->expect_ok(request);
  if (!response) return fail(response.error());
  return {};
}

Result<std::string> Client::create_multipart(const ObjectUrl& url) {
  Request request{"POST", &url, {{"uploads", ""}}, {}, {}, false};
  auto response = m_impl->expect_ok(request);
  if (!response) return fail(response.error());
  std::string id = xml_first(response->body, "UploadId");
  if (id.empty())
    return fail(ErrorKind::parse, "POST " + format_url(url) + "?uploads: no UploadId in the answer");
  return id;
}

Result<std::string> Client::upload_part(const ObjectUrl& url, const std::string& upload_id, int part_number,
                                        std::string_view body) {
  Request request{"PUT", &url, {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
                  {},    body, true};
  auto response = m_impl->expect_ok(request);
  if (!response) return fail(response.error());
  if (response->etag.empty())
    return fail(ErrorKind::parse,
                "PUT " + format_url(url) + " part " + std::to_string(part_number) + ": no ETag");
  return response->etag;
}

Result<void> Client::complete_multipart(const ObjectUrl& url, const std::string& upload_id,
                                        const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags.size(); ++i) {
    xml.append("<Part><PartNumber>").append(std::to_string(i + 1)).append("</PartNumber><ETag>");
    xml.append(xml_escape(etags[i])).append("</ETag></Part>");
  }
  xml.append("</CompleteMultipartUpload>");
  Request request{"POST", &url, {{"uploadId", upload_id}}, {}, xml, true};
  auto response = m_impl->expect_ok(request);
  if (!response) return fail(response.error());
  // S3 may answer 200 with an Error document when completing fails late.
  if (!xml_first(response->body, "Code").empty()) return fail(error_of(*response, url, "POST"));
  return {};
}

Result<void> Client::abort_multipart(const ObjectUrl& url, const std::string& upload_id) {
  Request request{"DELETE", &url, {{"uploadId", upload_id}}, {}, {}, false};
  auto response = m_impl->perform(request);
  if (!response) return fail(response.error());
  if (response->status == 404) return {};  // already gone
  if (response->status < 200 || response->status >= 300) return fail(error_of(*response, url, "DELETE"));
  return {};
}

Result<ListPage> Client::list_page(const ObjectUrl& url, const std::string& delimiter,
                                   const std::string& token) {
  ObjectUrl bucket{url.bucket, ""};
  Query query{{"list-type", "2"}, {"max-keys", std::to_string(m_impl->config.list_page_keys)}};
  if (!url.key.empty()) query.emplace_back("prefix", url.key);
  if (!delimiter.empty()) query.emplace_back("delimiter", delimiter);
  if (!token.empty()) query.emplace_back("continuation-token", token);
  Request request{"GET", &bucket, query, {}, {}, false};
  auto response = m_impl->expect_ok(request);
  if (!response) return fail(response.error());
  ListPage page;
  for (const auto& contents : xml_elements(response->body, "Contents")) {
    ListedObject object;
    object.key = xml_first(contents, "Key");
    object.bytes = std::strtoull(xml_first(contents, "Size").c_str(), nullptr, 10);
    object.modified_unix_ns = parse_http_date(xml_first(contents, "LastModified"));
    page.objects.push_back(std::move(object));
  }
  for (const auto& prefix : xml_elements(response->body, "CommonPrefixes"))
    page.common_prefixes.push_back(xml_first(prefix, "Prefix"));
  if (xml_first(response->body, "IsTruncated") == "true") {
    page.next_token = xml_first(response->body, "NextContinuationToken");
    if (page.next_token.empty())
      return fail(ErrorKind::parse,
                  "list " + format_url(url) + ": a truncated page without a continuation token");
  }
  return page;
}

Result<void> Client::remove(const ObjectUrl& url) {
  Request request{"DELETE", &url, {}, {}, {}, false};
  auto response = m_impl->perform(request);
  if (!response) return fail(response.error());
  if (response->status == 404) return {};
  if (response->status < 200 || response->status >= 300) return fail(error_of(*response, url, "DELETE"));
  return {};
}

}  // namespace ktape::s3
