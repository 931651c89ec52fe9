#include "kube/http1.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>

#include "kube/transport_setup.hpp"

namespace ktape::kube {

namespace http = boost::beast::http;

namespace {

// Headers beyond this are not an apiserver's; bodies have no limit (a LIST may be 100s of MiB).
constexpr std::uint32_t k_header_limit = 1u << 20;
constexpr std::size_t k_receive_size = std::size_t{64} * 1024;

struct Target {
  std::string host;       // as the URL names it, brackets removed from an IPv6 literal
  std::string port;       // "80" when the URL names none
  std::string authority;  // host[:port] as in the URL: the Host header and the pool key
  std::string target;     // path and query; "/" when empty
};

std::optional<Target> parse_target(std::string_view url) {
  constexpr std::string_view k_scheme = "http://";
  if (!url.starts_with(k_scheme)) return std::nullopt;
  url.remove_prefix(k_scheme.size());
  auto end = url.find_first_of("/?#");
  Target t;
  t.authority = std::string(url.substr(0, end));
  std::string_view rest = end == std::string_view::npos ? std::string_view() : url.substr(end);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  t.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
  std::string_view authority = t.authority;
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    t.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return std::nullopt;
  } else {
    auto colon = authority.find(':');
    t.host = std::string(authority.substr(0, colon));
    authority.remove_prefix(colon == std::string_view::npos ? authority.size() : colon);
  }
  t.port = authority.size() > 1 ? std::string(authority.substr(1)) : "80";
  if (t.host.empty()) return std::nullopt;
  return t;
}

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != 0;
}

std::string where(const HttpRequest& request) { return request.method + " " + redact_url(request.url); }

Error transport_error(const HttpRequest& request, const std::string& what, std::string reason = {}) {
  return Error{ErrorKind::transport, where(request) + ": " + what, 0, std::move(reason)};
}

std::string trimmed(boost::beast::string_view text) {
  std::string_view s(text.data(), text.size());
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

bool has_header(const std::vector<std::string>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (h.size() <= name.size() || h[name.size()] != ':') continue;
    if (strncasecmp(h.data(), name.data(), name.size()) == 0) return true;
  }
  return false;
}

// The request head as libcurl would send it for the same HttpRequest: Host first, the caller's
// headers (an empty "Name:" line removes a header in libcurl's convention: left out), Accept and a
// form Content-Type when the caller names none, Content-Length for any body or non-GET method.
std::string request_head(const HttpRequest& request, const Target& t) {
  std::string head;
  head.reserve(256 + t.target.size());
  head += request.method;
  head += ' ';
  head += t.target;
  head += " HTTP/1.1\r\nHost: ";
  head += t.authority;
  head += "\r\n";
  for (const auto& h : request.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || h.find_first_not_of(" \t", colon + 1) == std::string::npos) continue;
    head += h;
    head += "\r\n";
  }
  if (!has_header(request.headers, "Accept")) head += "Accept: */*\r\n";
  const bool sends_body = !(request.method == "GET" && request.body.empty()) && request.method != "HEAD";
  if (sends_body) {
    if (!has_header(request.headers, "Content-Type"))
      head += "Content-Type: application/x-www-form-urlencoded\r\n";
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  head += "\r\n";
  return head;
}

}  // namespace

struct Http1Pool::Connection {
  explicit Connection(int f, std::string a) : fd(f), authority(std::move(a)) {}
  ~Connection() { ::close(fd); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sets the receive and send timeouts to `idle` (0: none) unless they are already.
  void set_idle_timeout(std::chrono::seconds idle) {
    if (idle == timeout) return;
    timeval tv{static_cast<time_t>(idle.count()), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    timeout = idle;
  }
  // An idle connection the server has closed (or sent anything on) is not reused.
  bool still_open() const {
    char byte;
    ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  int fd;
  std::string authority;
  std::chrono::seconds timeout{0};
  bool reused = false;
  boost::beast::flat_buffer buffer;
};

Http1Pool::Http1Pool(std::chrono::milliseconds connect_timeout) : m_connect_timeout(connect_timeout) {}
Http1Pool::~Http1Pool() = default;

bool Http1Pool::handles(const HttpRequest& request, const TransportOptions& options) {
  if (!request.url.starts_with("http://") || !options.proxy_url.empty() || !request.basic_auth.empty() ||
      request.timeout.count() > 0)
    return false;
  // libcurl reads these for http:// URLs (and NO_PROXY to exempt hosts): leave it to libcurl.
  return !env_set("http_proxy") && !env_set("HTTP_PROXY") && !env_set("all_proxy") && !env_set("ALL_PROXY");
}

std::unique_ptr<Http1Pool::Connection> Http1Pool::take(const std::string& authority) {
  std::lock_guard lock(m_mutex);
  for (auto it = m_idle.rbegin(); it != m_idle.rend(); ++it) {
    if ((*it)->authority != authority) continue;
    auto connection = std::move(*it);
    m_idle.erase(std::next(it).base());
    connection->reused = true;
    return connection;
  }
  return nullptr;
}

void Http1Pool::give(std::unique_ptr<Connection> connection) {
  constexpr std::size_t k_max_idle = 64;
  std::lock_guard lock(m_mutex);
  if (m_idle.size() < k_max_idle) m_idle.push_back(std::move(connection));
}

namespace {

// Connects to any address of the host within `timeout`; the socket is blocking afterwards.
Result<int> connect_to(const HttpRequest& request, const Target& t, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &found); rc != 0)
    return fail(transport_error(
        request, "could not resolve the host name (" + t.host + ": " + gai_strerror(rc) + ")", "connect"));
  std::string last = "no address";
  bool timed_out = false;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    int s = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (s < 0) {
      last = std::strerror(errno);
      continue;
    }
    int rc = ::connect(s, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{s, POLLOUT, 0};
      int ready;
      while ((ready = ::poll(&p, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {
      }
      int error = 0;
      socklen_t length = sizeof error;
      if (ready == 0) {
        timed_out = true;
        error = ETIMEDOUT;
      } else if (::getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        error = errno;
      }
      rc = error == 0 ? 0 : -1;
      errno = error;
    }
    if (rc != 0) {
      last = std::strerror(errno);
      ::close(s);
      continue;
    }
    ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    fd = s;
  }
  ::freeaddrinfo(found);
  if (fd >= 0) return fd;
  std::string detail = " (connect to " + t.host + " port " + t.port + ": " + last + ")";
  if (timed_out) return fail(transport_error(request, "timed out" + detail));
  return fail(transport_error(request, "could not connect" + detail, "connect"));
}

}  // namespace

namespace {

using Parser = http::response_parser<http::string_body>;

// How one exchange on a connection failed.
struct Failure {
  enum class Kind { idle, lost, invalid };
  Kind kind;
  std::string why;        // for lost and invalid: what the socket or the parser said
  bool answered = false;  // some of the answer had arrived
};

Failure socket_failure(int error, bool answered) {
  if (error == EAGAIN || error == EWOULDBLOCK) return {Failure::Kind::idle, {}, answered};
  return {Failure::Kind::lost, std::strerror(error), answered};
}

Error error_of(const Failure& failure, const HttpRequest& request) {
  switch (failure.kind) {
    case Failure::Kind::idle:
      return transport_error(request, "timed out: no data for " +
                                          std::to_string(request.idle_timeout.count()) + " s (idle timeout)");
    case Failure::Kind::lost:
      return transport_error(request, "the connection was lost (" + failure.why + ")");
    case Failure::Kind::invalid:
      break;
  }
  return transport_error(request, "invalid HTTP answer (" + failure.why + ")");
}

// Sends `head` then `body` with as few sendmsg calls as the socket takes.
std::optional<Failure> send_all(int fd, const std::string& head, std::string_view body) {
  iovec parts[2] = {{const_cast<char*>(head.data()), head.size()},
                    {const_cast<char*>(body.data()), body.size()}};
  std::size_t left = head.size() + body.size();
  iovec* next = parts;
  int count = body.empty() ? 1 : 2;
  while (left > 0) {
    msghdr message{};
    message.msg_iov = next;
    message.msg_iovlen = static_cast<std::size_t>(count);
    ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0) return socket_failure(errno, false);
    left -= static_cast<std::size_t>(sent);
    auto n = static_cast<std::size_t>(sent);
    while (count > 0 && n >= next->iov_len) {
      n -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + n;
      next->iov_len -= n;
    }
  }
  return std::nullopt;
}

void fresh_parser(std::optional<Parser>& parser, const HttpRequest& request) {
  parser.emplace();
  parser->header_limit(k_header_limit);
  // No limit, as a number: Boost 1.74 compares a Content-Length with an empty limit as if
  // every length exceeded it.
  parser->body_limit(std::numeric_limits<std::uint64_t>::max());
  parser->eager(true);
  if (request.method == "HEAD") parser->skip(true);
}

// Feeds what `buffer` holds to the parser; false on an invalid answer (`ec` says why).
bool parse_buffered(Parser& parser, boost::beast::flat_buffer& buffer, boost::system::error_code& ec) {
  while (buffer.size() > 0 && !parser.is_done()) {
    std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      return true;
    }
    if (ec) return false;
  }
  return true;
}

// Reads one final answer from `fd` into `parser` (interim 1xx answers are skipped), starting with
// the bytes `buffer` already holds; what arrives past the answer stays in `buffer`.
std::optional<Failure> read_answer(int fd, boost::beast::flat_buffer& buffer, std::optional<Parser>& parser,
                                   const HttpRequest& request) {
  bool answered = false;
  fresh_parser(parser, request);
  for (;;) {
    boost::system::error_code ec;
    if (!parse_buffered(*parser, buffer, ec)) return Failure{Failure::Kind::invalid, ec.message(), answered};
    if (parser->is_done()) {
      auto status = static_cast<int>(parser->get().result_int());
      if (status < 100 || status >= 200 || status == 101) return std::nullopt;
      fresh_parser(parser, request);
      continue;
    }
    auto space = buffer.prepare(k_receive_size);
    ssize_t got = ::recv(fd, space.data(), space.size(), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return socket_failure(errno, answered);
    if (got == 0) {
      parser->put_eof(ec);
      if (ec || !parser->is_done()) return Failure{Failure::Kind::lost, "closed by the server", answered};
      return std::nullopt;
    }
    answered = true;
    buffer.commit(static_cast<std::size_t>(got));
  }
}

HttpResponse response_of(Parser::value_type& message) {
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.http_version = 11;
  if (auto it = message.find(http::field::content_type); it != message.end())
    response.content_type = trimmed(it->value());
  if (auto it = message.find(http::field::retry_after); it != message.end())
    response.retry_after = trimmed(it->value());
  if (auto it = message.find(http::field::location); it != message.end())
    response.location = trimmed(it->value());
  response.body = std::move(message.body());
  return response;
}

}  // namespace

Result<HttpResponse> Http1Pool::perform(const HttpRequest& request) {
  auto target = parse_target(request.url);
  if (!target) return fail(ErrorKind::invalid, where(request) + ": not a URL this transport can reach");
  const std::string head = request_head(request, *target);
  const bool sends_body = !(request.method == "GET" && request.body.empty()) && request.method != "HEAD";
  const std::string_view body = sends_body ? std::string_view(request.body) : std::string_view();
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> c;
    while (attempt == 0 && (c = take(target->authority)) && !c->still_open()) c.reset();
    if (!c) {
      auto fd = connect_to(request, *target, m_connect_timeout);
      if (!fd) return fail(fd.error());
      c = std::make_unique<Connection>(*fd, target->authority);
    }
    c->set_idle_timeout(request.idle_timeout);
    c->buffer.clear();
    std::optional<Parser> parser;
    auto failure = send_all(c->fd, head, body);
    if (!failure) failure = read_answer(c->fd, c->buffer, parser, request);
    if (failure) {
      // A reused connection that the server closed meanwhile fails before any byte of the answer;
      // the request never reached the server then, so it goes again on a fresh connection (as
      // libcurl does).
      if (failure->kind == Failure::Kind::lost && c->reused && !failure->answered && attempt == 0) continue;
      return fail(error_of(*failure, request));
    }
    auto& message = parser->get();
    const bool keep = message.keep_alive() && c->buffer.size() == 0;
    HttpResponse response = response_of(message);
    if (keep) give(std::move(c));
    return response;
  }
}

}  // namespace ktape::kube
