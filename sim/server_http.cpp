#include "sim/server_http.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/crypto.h>

namespace ktape::sim {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

int select_http11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                  unsigned int inlen, void*) {
  static const unsigned char k_protos[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, k_protos, sizeof k_protos, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

bool bearer_token_matches(const boost::beast::http::request<boost::beast::http::string_body>& request,
                          std::string_view token) {
  constexpr std::string_view k_scheme = "Bearer ";
  auto header = request[boost::beast::http::field::authorization];
  std::string_view value(header.data(), header.size());
  if (value.size() != k_scheme.size() + token.size() || value.substr(0, k_scheme.size()) != k_scheme)
    return false;
  return CRYPTO_memcmp(value.data() + k_scheme.size(), token.data(), token.size()) == 0;
}

Request to_request(boost::beast::http::request<boost::beast::http::string_body>& request) {
  Request r;
  r.method = std::string(request.method_string());
  auto raw_target = request.target();
  std::string_view target(raw_target.data(), raw_target.size());
  std::size_t q = target.find('?');
  r.path = percent_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      std::size_t eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
      if (!key.empty()) r.query[key] = value;
      query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    }
  }
  auto raw_type = request[boost::beast::http::field::content_type];
  std::string_view type(raw_type.data(), raw_type.size());
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  r.content_type = std::string(type);
  std::transform(r.content_type.begin(), r.content_type.end(), r.content_type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  r.accept = std::string(request[boost::beast::http::field::accept]);
  r.user_agent = std::string(request[boost::beast::http::field::user_agent]);
  r.body = std::move(request.body());
  return r;
}

void enable_alpn_http11(SSL_CTX* context) { SSL_CTX_set_alpn_select_cb(context, select_http11, nullptr); }

}  // namespace ktape::sim
