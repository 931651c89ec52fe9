#include "sim/auth.hpp"

#include <fstream>
#include <sstream>

#include <boost/asio/ip/address.hpp>

namespace ktape::sim {

Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorKind::io, "token file " + path + " cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  std::size_t begin = token.find_first_not_of(" \t\r\n");
  std::size_t end = token.find_last_not_of(" \t\r\n");
  token = begin == std::string::npos ? std::string() : token.substr(begin, end - begin + 1);
  if (token.empty()) return fail(ErrorKind::invalid, "token file " + path + " is empty");
  for (char c : token) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f)
      return fail(ErrorKind::invalid,
                  "token file " + path + " holds whitespace or control characters inside the token");
  }
  return token;
}

ApiError err_unauthorized() { return ApiError{401, "Unauthorized", "Unauthorized", formats::Value()}; }

bool is_loopback_address(std::string_view address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  auto parsed = boost::asio::ip::make_address(std::string(address), ec);
  return !ec && parsed.is_loopback();
}

std::optional<std::string> exposure_warning(std::string_view address, bool tls, bool token) {
  if (is_loopback_address(address) || (tls && token)) return std::nullopt;
  std::string warning = "warning: serving on ";
  warning.append(address);
  warning += ", which other machines can reach, ";
  if (!tls && !token)
    warning += "without TLS and without a token: anyone who connects can read every object, Secrets included";
  else if (!tls)
    warning += "without TLS: the token and every object cross the network in clear text";
  else
    warning += "without a token (--token FILE): anyone who connects can read every object, Secrets included";
  return warning;
}

}  // namespace ktape::sim
