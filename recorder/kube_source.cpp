#include "recorder/kube_source.hpp"

namespace ktape::recorder {

namespace {

class KubeWatch : public WatchStream {
 public:
  explicit KubeWatch(kube::WatchStream stream) : m_stream(std::move(stream)) {}
  Result<std::optional<WatchEvent>> next() override { return m_stream.next_raw(); }
  void cancel() override { m_stream.cancel(); }

 private:
  kube::WatchStream m_stream;
};

class KubeSource : public Source {
 public:
  KubeSource(kube::Client& client, kube::ApiResource resource, KubeSourceOptions options)
      : m_client(client), m_resource(std::move(resource)), m_options(std::move(options)) {}

  Result<ListPage> list(const std::string& continue_token, std::size_t limit) override {
    kube::ListOptions o;
    o.namespace_name = m_options.namespace_name;
    o.label_selector = m_options.label_selector;
    o.limit = static_cast<std::int64_t>(limit);
    o.continue_token = continue_token;
    auto pager = m_client.list(m_resource, o);
    auto page = pager.next();
    if (!page) return fail(page.error());
    if (!*page) return ListPage{};
    return ListPage{std::move((*page)->items), std::move((*page)->resource_version),
                    std::move((*page)->continue_token)};
  }

  Result<std::unique_ptr<WatchStream>> watch(const std::string& resource_version,
                                             std::chrono::seconds timeout) override {
    kube::WatchOptions o;
    o.namespace_name = m_options.namespace_name;
    o.label_selector = m_options.label_selector;
    o.resource_version = resource_version;
    o.allow_watch_bookmarks = true;
    o.timeout = timeout;
    auto stream = m_client.watch(m_resource, o);
    if (!stream) return fail(stream.error());
    return std::unique_ptr<WatchStream>(new KubeWatch(std::move(*stream)));
  }

 private:
  kube::Client& m_client;
  kube::ApiResource m_resource;
  KubeSourceOptions m_options;
};

}  // namespace

std::unique_ptr<Source> make_kube_source(kube::Client& client, kube::ApiResource resource,
                                         KubeSourceOptions options) {
  return std::make_unique<KubeSource>(client, std::move(resource), std::move(options));
}

}  // namespace ktape::recorder
