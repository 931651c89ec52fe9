#pragma once
// A WATCH as a stream of events. The body is one JSON event per line, lines of any size, split
// across chunks anywhere. ERROR events carry a metav1.Status: code 410 (Expired, "too old resource
// version") becomes ErrorKind::expired so the caller relists; other codes map like HTTP errors.
#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::kube {

class Transfer;

struct WatchOptions {
  std::string namespace_name;    // "" = all namespaces
  std::string label_selector;    // "" = everything
  std::string field_selector;    // "" = everything
  std::string resource_version;  // start after this version; "" = from the current state
  bool allow_watch_bookmarks = true;
  // sendInitialEvents=true (a "streaming list"): the current objects come first as ADDED events,
  // ended by a bookmark annotated k8s.io/initial-events-end; needs resource_version "" or a
  // version with resourceVersionMatch=NotOlderThan, which the client then sends.
  bool send_initial_events = false;
  std::chrono::seconds timeout{0};  // server-side timeoutSeconds; 0 = the server's default
  // The stream fails with a transport Error when no byte (event or keep-alive) arrives for this
  // long. 0 = timeout + 60 s when a timeout is set, else never.
  std::chrono::seconds idle_timeout{0};
  std::stop_token stop;  // a stop request cancels the stream (next() returns a cancelled Error)
};

struct WatchEvent {
  enum class Type { added, modified, deleted, bookmark };
  Type type = Type::added;
  formats::Value object;         // the object; for a bookmark only kind/apiVersion/metadata
  std::string resource_version;  // object's metadata.resourceVersion
};

std::string_view to_string(WatchEvent::Type type);

// Decodes one line of a watch body. An ERROR event is returned as its Error (410 -> expired).
// `where` names the watch in messages ("watch /api/v1/pods").
Result<WatchEvent> decode_watch_event(std::string_view line, std::string_view where);

// A watch event read off its line without decoding the object, for a caller that decodes it
// elsewhere (the recorder's workers): the type and the object's identity come from a structural
// walk of the line (formats::split_json_object), which builds no Value.
struct RawWatchEvent {
  WatchEvent::Type type = WatchEvent::Type::added;
  std::string line;  // the event as received: {"type":...,"object":{...}}
  // Where the object's text is in `line`; both 0 when only a full parse of the line finds it.
  std::size_t object_begin = 0;
  std::size_t object_end = 0;
  std::string resource_version;  // the object's metadata.resourceVersion, name and namespace
  std::string name;
  std::string namespace_name;
  std::string_view object_text() const {
    return std::string_view(line).substr(object_begin, object_end - object_begin);
  }
};

// Reads the type and the object's identity off one line. An ERROR event is its Error, as in
// decode_watch_event; a line the walk cannot read is decoded fully, so malformed JSON gets the
// same Error as there. The object's scalars are not checked: decoding it may still fail.
Result<RawWatchEvent> scan_watch_event(std::string line, std::string_view where);

class WatchStream {
 public:
  WatchStream(std::shared_ptr<Transfer> transfer, std::string where, const std::stop_token& stop);
  WatchStream(WatchStream&&) noexcept;
  WatchStream& operator=(WatchStream&&) noexcept;
  ~WatchStream();  // cancels the transfer if still open

  // Blocks for the next event. nullopt when the server closed the stream cleanly (a timeout, a
  // restart): re-watch from resource_version(). An Error for a broken connection, an idle
  // timeout, invalid JSON, an ERROR event, or a cancel.
  Result<std::optional<WatchEvent>> next();
  // The same, leaving the object undecoded.
  Result<std::optional<RawWatchEvent>> next_raw();
  // Stops the stream from any thread; a blocked next() returns a cancelled Error.
  void cancel();
  // The resourceVersion of the last event returned (bookmarks included); "" before the first.
  const std::string& resource_version() const { return m_resource_version; }
  // Bytes of body received so far.
  std::size_t bytes_received() const { return m_bytes; }

 private:
  struct StopHook;
  // The next non-blank line, valid until the next call; nullopt at the end of the stream.
  Result<std::optional<std::string_view>> next_line();
  std::shared_ptr<Transfer> m_transfer;
  std::string m_where;
  std::string m_buffer;
  std::size_t m_start = 0;  // first unconsumed byte of m_buffer
  std::size_t m_scan = 0;   // no newline in m_buffer between m_start and this offset
  std::size_t m_bytes = 0;
  bool m_ended = false;
  std::string m_resource_version;
  std::string m_rest;  // the last line when it had no newline
  std::unique_ptr<StopHook> m_stop_hook;
};

}  // namespace ktape::kube
