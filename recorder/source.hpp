#pragma once
// The seam between the list+watch loop and a server: one resource of one target. The recorder
// adapts kube::Client to it; tests script it and assert the exact requests the loop makes.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formats/error.hpp"
#include "formats/value.hpp"
#include "kube/watch.hpp"

namespace ktape::recorder {

struct ListPage {
  std::vector<formats::Value> items;
  std::string resource_version;  // the list's resourceVersion (on every page)
  std::string continue_token;    // "" on the last page
};

// One watch event as received: its line, where its object is in it, and the type, name, namespace
// and resourceVersion read off it (kube::scan_watch_event). The object stays text until the worker
// that owns it decodes it: the thread that reads the watch only cuts lines and reads identities.
// For a bookmark only the resourceVersion matters.
using WatchEvent = kube::RawWatchEvent;
using WatchEventType = kube::WatchEvent::Type;

class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // The next event; nullopt when the server closed the stream cleanly. A 410 (in the stream or as
  // the answer) is an Error of kind expired; cancel() makes it a cancelled Error.
  virtual Result<std::optional<WatchEvent>> next() = 0;
  // Unblocks next() from another thread.
  virtual void cancel() = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // One page of a LIST at the latest state: the first page with an empty continue token, the
  // next ones with the previous page's. An expired continue token is an expired Error.
  virtual Result<ListPage> list(const std::string& continue_token, std::size_t limit) = 0;
  // A WATCH from `resource_version` with bookmarks, closed by the server after `timeout`.
  virtual Result<std::unique_ptr<WatchStream>> watch(const std::string& resource_version,
                                                     std::chrono::seconds timeout) = 0;
};

}  // namespace ktape::recorder
