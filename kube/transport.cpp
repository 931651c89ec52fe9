#include "kube/transport.hpp"

#include <curl/curl.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "kube/http1.hpp"
#include "kube/transport_setup.hpp"

namespace ktape::kube {
namespace {

// A reader lagging this far behind pauses the stream, so a slow consumer of a busy watch holds
// memory at a few MiB instead of buffering without bound.
constexpr std::size_t k_pause_threshold = std::size_t{8} << 20;

// One header line into `response`: a status line starts a new response (after a 1xx, or a proxy's
// answer to CONNECT), other lines keep the headers the client uses. Returns true at the blank line
// that ends a final (non-1xx) response's headers.
bool take_header_line(HttpResponse& response, std::string_view line) {
  if (line.starts_with("HTTP/")) {
    response = HttpResponse{};
    response.status = parse_status_line(line);
  } else if (line == "\r\n" || line == "\n") {
    return response.status >= 200;
  } else {
    record_header(response, line);
  }
  return false;
}

class IoLoop;

class TransferImpl final : public Transfer, public std::enable_shared_from_this<TransferImpl> {
 public:
  TransferImpl(HttpRequest request, std::weak_ptr<IoLoop> loop, bool collect)
      : m_request(std::move(request)), m_loop(std::move(loop)), m_collect(collect) {}
  ~TransferImpl() override;

  Result<HttpResponse> wait_headers() override;
  Result<bool> read(std::string& out) override;
  void cancel() override;
  Result<HttpResponse> collect();

  // I/O thread side.
  bool attach(CURLM* multi, const TransportOptions& options);
  void finish(CURLcode code);
  void abort(const std::string& why);
  // Fails the transfer when no byte arrived for its idle timeout (a paused transfer waits for its
  // reader, not for the server, and is never idle). Returns true when it failed.
  bool check_idle(std::chrono::steady_clock::time_point now);
  CURL* easy() const { return m_easy; }
  void resume();

  static size_t on_header(char* data, size_t size, size_t count, void* self);
  static size_t on_write(char* data, size_t size, size_t count, void* self);

 private:
  void complete(std::optional<Error> error);

  HttpRequest m_request;
  std::weak_ptr<IoLoop> m_loop;
  const bool m_collect;  // perform(): keep the whole body, wake the reader only at the end

  // I/O thread only.
  CURL* m_easy = nullptr;
  CURLM* m_multi = nullptr;
  EasyLists m_lists;
  char m_error_buffer[CURL_ERROR_SIZE] = {};
  std::string m_proxy_url;  // named when the proxy cannot be reached
  std::chrono::steady_clock::time_point m_last_activity;

  // Shared with the reader, under m_mutex.
  std::mutex m_mutex;
  std::condition_variable m_changed;
  HttpResponse m_response;
  bool m_headers_done = false;
  std::string m_pending;
  bool m_paused = false;
  bool m_done = false;
  std::optional<Error> m_error;
};

// Commands from other threads to the I/O thread, which alone touches curl handles.
struct Command {
  enum class Kind { add, cancel, resume } kind;
  std::shared_ptr<TransferImpl> transfer;
};

class IoLoop {
 public:
  explicit IoLoop(TransportOptions options) : m_options(std::move(options)) {
    m_multi = curl_multi_init();
    curl_multi_setopt(m_multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  }
  ~IoLoop() { curl_multi_cleanup(m_multi); }
  bool ok() const { return m_multi != nullptr; }

  void post(Command command) {
    {
      std::lock_guard lock(m_mutex);
      m_commands.push_back(std::move(command));
    }
    curl_multi_wakeup(m_multi);
  }
  void stop() {
    m_stop = true;
    curl_multi_wakeup(m_multi);
  }
  void run();

 private:
  void run_commands();
  void reap_finished();
  void check_idle();

  TransportOptions m_options;
  CURLM* m_multi = nullptr;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::deque<Command> m_commands;
  std::map<CURL*, std::shared_ptr<TransferImpl>> m_active;  // I/O thread only
};

TransferImpl::~TransferImpl() {
  if (m_lists.headers) curl_slist_free_all(m_lists.headers);
  if (m_lists.connect_to) curl_slist_free_all(m_lists.connect_to);
}

bool TransferImpl::attach(CURLM* multi, const TransportOptions& options) {
  m_easy = curl_easy_init();
  if (!m_easy) return false;
  m_multi = multi;
  curl_easy_setopt(m_easy, CURLOPT_ERRORBUFFER, m_error_buffer);
  curl_easy_setopt(m_easy, CURLOPT_HEADERFUNCTION, &TransferImpl::on_header);
  curl_easy_setopt(m_easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(m_easy, CURLOPT_WRITEFUNCTION, &TransferImpl::on_write);
  curl_easy_setopt(m_easy, CURLOPT_WRITEDATA, this);
  m_lists = configure_easy(m_easy, options, m_request);
  m_proxy_url = options.proxy_url;
  m_last_activity = std::chrono::steady_clock::now();
  curl_multi_add_handle(multi, m_easy);
  return true;
}

void TransferImpl::complete(std::optional<Error> error) {
  std::lock_guard lock(m_mutex);
  if (m_done) return;
  m_done = true;
  m_headers_done = true;
  m_error = std::move(error);
  m_changed.notify_all();
}

void TransferImpl::finish(CURLcode code) {
  if (code == CURLE_OK) {
    long version = 0;
    curl_easy_getinfo(m_easy, CURLINFO_HTTP_VERSION, &version);
    std::lock_guard lock(m_mutex);
    m_response.http_version = version == CURL_HTTP_VERSION_2_0 ? 2 : 11;
  }
  curl_multi_remove_handle(m_multi, m_easy);
  curl_easy_cleanup(m_easy);
  m_easy = nullptr;
  if (code == CURLE_OK) return complete(std::nullopt);
  complete(describe_curl_error(code, m_error_buffer, m_request, m_proxy_url));
}

void TransferImpl::abort(const std::string& why) {
  if (m_easy) {
    curl_multi_remove_handle(m_multi, m_easy);
    curl_easy_cleanup(m_easy);
    m_easy = nullptr;
  }
  complete(
      Error{ErrorKind::cancelled, m_request.method + " " + redact_url(m_request.url) + ": " + why, 0, {}});
}

bool TransferImpl::check_idle(std::chrono::steady_clock::time_point now) {
  if (m_request.idle_timeout.count() <= 0 || now - m_last_activity < m_request.idle_timeout) return false;
  {
    std::lock_guard lock(m_mutex);
    if (m_paused) return false;
  }
  curl_multi_remove_handle(m_multi, m_easy);
  curl_easy_cleanup(m_easy);
  m_easy = nullptr;
  complete(Error{ErrorKind::transport,
                 m_request.method + " " + redact_url(m_request.url) + ": timed out: no data for " +
                     std::to_string(m_request.idle_timeout.count()) + " s (idle timeout)",
                 0,
                 {}});
  return true;
}

void TransferImpl::resume() {
  if (m_easy) curl_easy_pause(m_easy, CURLPAUSE_CONT);
}

size_t TransferImpl::on_header(char* data, size_t size, size_t count, void* self) {
  auto* t = static_cast<TransferImpl*>(self);
  t->m_last_activity = std::chrono::steady_clock::now();
  std::string_view line(data, size * count);
  std::lock_guard lock(t->m_mutex);
  if (take_header_line(t->m_response, line)) {
    t->m_headers_done = true;
    t->m_changed.notify_all();
  }
  return line.size();
}

size_t TransferImpl::on_write(char* data, size_t size, size_t count, void* self) {
  auto* t = static_cast<TransferImpl*>(self);
  t->m_last_activity = std::chrono::steady_clock::now();
  std::lock_guard lock(t->m_mutex);
  if (!t->m_collect && t->m_pending.size() >= k_pause_threshold) {
    t->m_paused = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  t->m_pending.append(data, size * count);
  if (!t->m_collect) t->m_changed.notify_all();
  return size * count;
}

Result<HttpResponse> TransferImpl::wait_headers() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return m_headers_done; });
  if (m_error && m_response.status == 0) return fail(*m_error);
  return m_response;
}

Result<bool> TransferImpl::read(std::string& out) {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return !m_pending.empty() || m_done; });
  if (!m_pending.empty()) {
    if (out.empty()) {
      out.swap(m_pending);
    } else {
      out.append(m_pending);
      m_pending.clear();
    }
    if (m_paused) {
      m_paused = false;
      lock.unlock();
      if (auto loop = m_loop.lock()) loop->post({Command::Kind::resume, shared_from_this()});
    }
    return true;
  }
  if (m_error) return fail(*m_error);
  return false;
}

Result<HttpResponse> TransferImpl::collect() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return m_done; });
  if (m_error) return fail(*m_error);
  HttpResponse response = m_response;
  response.body.swap(m_pending);
  return response;
}

void TransferImpl::cancel() {
  if (auto loop = m_loop.lock()) {
    loop->post({Command::Kind::cancel, shared_from_this()});
  } else {
    complete(Error{ErrorKind::cancelled, "transfer cancelled", 0, {}});
  }
}

void IoLoop::run_commands() {
  std::deque<Command> commands;
  {
    std::lock_guard lock(m_mutex);
    commands.swap(m_commands);
  }
  for (auto& command : commands) {
    auto& t = command.transfer;
    switch (command.kind) {
      case Command::Kind::add:
        if (t->attach(m_multi, m_options)) {
          m_active[t->easy()] = t;
        } else {
          t->abort("could not set up a curl handle");
        }
        break;
      case Command::Kind::cancel:
        if (t->easy()) m_active.erase(t->easy());
        t->abort("cancelled");
        break;
      case Command::Kind::resume:
        t->resume();
        break;
    }
  }
}

void IoLoop::reap_finished() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(m_multi, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    auto it = m_active.find(message->easy_handle);
    if (it == m_active.end()) continue;
    auto transfer = it->second;
    m_active.erase(it);
    transfer->finish(message->data.result);
  }
}

void IoLoop::check_idle() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = m_active.begin(); it != m_active.end();) {
    if (it->second->check_idle(now)) {
      it = m_active.erase(it);
    } else {
      ++it;
    }
  }
}

void IoLoop::run() {
  while (!m_stop) {
    run_commands();
    int running = 0;
    curl_multi_perform(m_multi, &running);
    reap_finished();
    check_idle();
    // Idle timeouts are checked at this granularity.
    curl_multi_poll(m_multi, nullptr, 0, 200, nullptr);
  }
  run_commands();
  for (auto& [easy, transfer] : m_active) transfer->abort("the client was closed");
  m_active.clear();
}

// Plain-HTTP request/response without the I/O thread: the calling thread runs a blocking
// curl_easy_perform on an easy handle taken from a pool, and each handle keeps its keep-alive
// connection for the next request. Without HTTP/2 there is nothing to multiplex, and this saves
// the hand-over to the I/O thread and back (a lock, a wakeup and a context switch each way) and a
// fresh curl handle per request.
class EasyPool {
 public:
  explicit EasyPool(const TransportOptions& options) : m_options(options) {}
  ~EasyPool() {
    for (CURL* easy : m_idle) curl_easy_cleanup(easy);
  }
  EasyPool(const EasyPool&) = delete;
  EasyPool& operator=(const EasyPool&) = delete;

  Result<HttpResponse> perform(const HttpRequest& request);

 private:
  // What one transfer has received so far; curl's callbacks write here.
  struct Received {
    HttpResponse response;
    std::chrono::seconds idle_timeout{0};
    std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
    bool idle = false;  // aborted for its idle timeout

    static size_t on_header(char* data, size_t size, size_t count, void* self) {
      auto* r = static_cast<Received*>(self);
      r->last_activity = std::chrono::steady_clock::now();
      take_header_line(r->response, std::string_view(data, size * count));
      return size * count;
    }
    static size_t on_write(char* data, size_t size, size_t count, void* self) {
      auto* r = static_cast<Received*>(self);
      r->last_activity = std::chrono::steady_clock::now();
      r->response.body.append(data, size * count);
      return size * count;
    }
    // curl calls this about once a second while nothing moves, so idleness is noticed as it is
    // on the I/O thread.
    static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
      auto* r = static_cast<Received*>(self);
      if (std::chrono::steady_clock::now() - r->last_activity < r->idle_timeout) return 0;
      r->idle = true;
      return 1;
    }
  };

  // Idle handles beyond this are closed rather than kept (one per concurrent caller is enough).
  static constexpr std::size_t k_max_idle = 64;

  CURL* take() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_idle.empty()) {
        CURL* easy = m_idle.back();
        m_idle.pop_back();
        return easy;
      }
    }
    return curl_easy_init();
  }
  void give(CURL* easy) {
    {
      std::lock_guard lock(m_mutex);
      if (m_idle.size() < k_max_idle) return m_idle.push_back(easy);
    }
    curl_easy_cleanup(easy);
  }

  const TransportOptions& m_options;
  std::mutex m_mutex;
  std::vector<CURL*> m_idle;
};

Result<HttpResponse> EasyPool::perform(const HttpRequest& request) {
  CURL* easy = take();
  if (!easy) return fail(ErrorKind::transport, "libcurl could not set up a curl handle");
  // Reset keeps the handle's live connections, DNS and TLS session caches; every option is set anew.
  curl_easy_reset(easy);
  Received received;
  received.idle_timeout = request.idle_timeout;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Received::on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &received);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Received::on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &received);
  if (request.idle_timeout.count() > 0) {
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &Received::on_progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &received);
  }
  EasyLists lists = configure_easy(easy, m_options, request);
  CURLcode code = curl_easy_perform(easy);
  long version = 0;
  if (code == CURLE_OK) curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
  // Nothing may point at this frame once the handle is idle.
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(easy, CURLOPT_CONNECT_TO, nullptr);
  if (lists.headers) curl_slist_free_all(lists.headers);
  if (lists.connect_to) curl_slist_free_all(lists.connect_to);
  give(easy);
  if (received.idle) {
    return fail(Error{ErrorKind::transport,
                      request.method + " " + redact_url(request.url) + ": timed out: no data for " +
                          std::to_string(request.idle_timeout.count()) + " s (idle timeout)",
                      0,
                      {}});
  }
  if (code != CURLE_OK) return fail(describe_curl_error(code, error_buffer, request, m_options.proxy_url));
  received.response.http_version = version == CURL_HTTP_VERSION_2_0 ? 2 : 11;
  return std::move(received.response);
}

class CurlTransport final : public Transport {
 public:
  CurlTransport(std::shared_ptr<IoLoop> loop, const TransportOptions& options)
      : m_loop(std::move(loop)), m_options(options), m_pool(m_options), m_http1(m_options.connect_timeout) {
    m_thread = std::thread([loop = m_loop] { loop->run(); });
  }
  ~CurlTransport() override {
    m_loop->stop();
    m_thread.join();
  }

  Result<HttpResponse> perform(HttpRequest request) override {
    // Over TLS, requests share the I/O thread's connection so that HTTP/2 multiplexes them.
    if (Http1Pool::handles(request, m_options)) return m_http1.perform(request);
    if (!request.url.starts_with("https://")) return m_pool.perform(request);
    auto transfer = std::make_shared<TransferImpl>(std::move(request), m_loop, true);
    m_loop->post({Command::Kind::add, transfer});
    return transfer->collect();
  }

  std::shared_ptr<Transfer> start(HttpRequest request) override {
    auto transfer = std::make_shared<TransferImpl>(std::move(request), m_loop, false);
    m_loop->post({Command::Kind::add, transfer});
    return transfer;
  }

 private:
  std::shared_ptr<IoLoop> m_loop;
  TransportOptions m_options;
  EasyPool m_pool;
  Http1Pool m_http1;
  std::thread m_thread;
};

}  // namespace

Result<std::unique_ptr<Transport>> Transport::create(const TransportOptions& options) {
  static const CURLcode k_global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (k_global != CURLE_OK) return fail(ErrorKind::transport, "libcurl could not be initialised");
  auto loop = std::make_shared<IoLoop>(options);
  if (!loop->ok()) return fail(ErrorKind::transport, "libcurl could not create a connection pool");
  return std::unique_ptr<Transport>(new CurlTransport(std::move(loop), options));
}

}  // namespace ktape::kube
