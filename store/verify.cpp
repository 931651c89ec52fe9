// verify_recording: the integrity sidecar, then every document through the checks of verify.hpp.
#include "store/verify.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "formats/age.hpp"
#include "formats/recording.hpp"
#include "formats/time.hpp"
#include "store/digest.hpp"
#include "store/sort_window.hpp"
#include "store/state.hpp"
#include "store/storage.hpp"
#include "store/take_event.hpp"
#include "store/verify_source.hpp"

namespace ktape::store {

using formats::Document;
using formats::Method;
using formats::RecordingEntry;
using formats::Value;

namespace {

// Dependents waiting for an owner that has not appeared, kept at most: beyond it they are counted.
constexpr std::size_t k_waiting_limit = 10000;

struct Waiting {
  std::size_t document = 0;
  std::size_t line = 0;
  std::string dependent;  // "apps/v1 ReplicaSet shop/web-1"
  std::string owner;      // "Deployment web"
};

std::string describe_object(const Value& o) {
  std::string ns(o.string_at({"metadata", "namespace"}));
  std::string name(o.string_at({"metadata", "name"}));
  return std::string(o.string_at({"apiVersion"})) + " " + std::string(o.string_at({"kind"})) + " " +
         (ns.empty() ? name : ns + "/" + name);
}

class Checker {
 public:
  Checker(VerifyReport& report, const VerifyOptions& options) : m_report(report), m_options(options) {}

  void on_document(Document doc);
  void on_problem(const DocumentProblem& p) {
    add(Severity::error, "read", p.document, p.line,
        p.fatal ? p.message + "; the file cannot be read past this point"
                : p.message + "; skipped to the next document");
    m_read_failed = true;
  }
  void finish();
  // The state's objects, moved out (for a caller done with the checks).
  std::map<std::string, Value> release_objects() { return m_state.release_objects(); }
  bool read_failed() const { return m_read_failed; }

  void add(Severity severity, const std::string& check, std::size_t document, std::size_t line,
           std::string message) {
    auto& count = m_counts[check];
    if (++count <= m_options.findings_per_check)
      m_report.findings.push_back(Finding{severity, check, document, line, std::move(message)});
    else
      m_overflow[check] = std::max(m_overflow[check], severity);
  }

 private:
  void read_header(const Document& doc);
  bool check_times(const Document& doc, Value& v);
  void on_object(Document doc);
  void on_event(Document doc);
  void apply(RecordingEntry&& entry);
  void drain(std::size_t keep);
  void check_owners(const Value& o, std::size_t document, std::size_t line);
  void object_alive(const Value& o);
  void object_gone(const RecordingEntry& entry);

  VerifyReport& m_report;
  const VerifyOptions& m_options;
  std::map<std::string, std::size_t> m_counts;
  std::map<std::string, Severity> m_overflow;
  bool m_first = true;
  bool m_read_failed = false;
  std::optional<formats::Header> m_header;
  formats::TimePoint m_base{};
  std::size_t m_events_start = 0;
  RecordedState m_state;
  SortWindow m_window;  // events read, not yet applied
  std::int64_t m_max_seen = std::numeric_limits<std::int64_t>::min();
  std::int64_t m_last_applied = std::numeric_limits<std::int64_t>::min();
  std::size_t m_disorder = 0;
  std::pair<std::size_t, std::size_t> m_first_disorder;
  std::unordered_map<std::string, std::size_t> m_live_uids;  // uid -> objects holding it
  std::unordered_map<std::string, std::vector<Waiting>> m_waiting;
  std::size_t m_waiting_count = 0;
  std::size_t m_waiting_dropped = 0;
};

void Checker::read_header(const Document& doc) {
  for (const auto& comment : doc.comments) {
    auto header = formats::parse_header_comment(comment);
    if (!header) {
      add(Severity::error, "header", doc.number, 1, header.error().message);
      return;
    }
    if (!*header) continue;
    m_header = std::move(*header);
    m_report.has_header = true;
    if (m_header->start_time.empty())
      add(Severity::error, "header", doc.number, 1, "ktape header: startTime is missing");
    if (m_header->mode != "record" && m_header->mode != "snapshot")
      add(Severity::warning, "header", doc.number, 1,
          "ktape header: mode \"" + m_header->mode + "\" is neither \"record\" nor \"snapshot\"");
    if (auto start = formats::parse_rfc3339(m_header->start_time)) m_base = *start;
    return;
  }
}

// Time markers are checked as a replay reads them: only kwok's files and those written with them.
bool Checker::check_times(const Document& doc, Value& v) {
  if (m_header && !m_header->time_markers) return true;
  auto scope = m_header ? formats::MarkerScope::time_fields : formats::MarkerScope::everywhere;
  auto n = formats::absolutize_times(v, m_base, scope);
  if (!n) add(Severity::error, "fields", doc.number, doc.line, n.error().message);
  return n.has_value();
}

void Checker::on_document(Document doc) {
  ++m_report.documents;
  if (m_first) {
    m_first = false;
    read_header(doc);
  }
  if (formats::is_resource_patch(doc.value))
    on_event(std::move(doc));
  else
    on_object(std::move(doc));
}

void Checker::on_object(Document doc) {
  ++m_report.objects;
  if (m_events_start != 0)
    add(Severity::error, "section", doc.number, doc.line,
        "a snapshot object after the event section began (at document " + std::to_string(m_events_start) +
            "): a replay stops here");
  const Value& o = doc.value;
  for (const char* field : {"apiVersion", "kind"})
    if (o.string_at({field}).empty())
      add(Severity::error, "fields", doc.number, doc.line, std::string("field ") + field + ": missing");
  if (o.string_at({"metadata", "name"}).empty())
    add(Severity::error, "fields", doc.number, doc.line, "field metadata.name: missing");
  if (!check_times(doc, doc.value)) return;
  RecordingEntry entry;
  entry.object = std::move(doc.value);
  entry.document = doc.number;
  entry.line = doc.line;
  apply(std::move(entry));
}

void Checker::on_event(Document doc) {
  ++m_report.events;
  if (m_events_start == 0) m_events_start = doc.number;
  auto event = take_resource_patch(doc.value);
  if (!event) {
    add(Severity::error, "fields", doc.number, doc.line, event.error().message);
    return;
  }
  if (event->method == Method::create) {
    const Value& t = event->template_value;
    if (t.string_at({"metadata", "name"}) != event->name ||
        t.string_at({"metadata", "namespace"}) != event->namespace_name)
      add(Severity::error, "fields", doc.number, doc.line,
          "field template.metadata: the object is not the target " +
              (event->namespace_name.empty() ? event->name : event->namespace_name + "/" + event->name));
  }
  if (!check_times(doc, event->template_value)) return;
  if (event->duration_ns < m_max_seen && m_disorder++ == 0) m_first_disorder = {doc.number, doc.line};
  m_max_seen = std::max(m_max_seen, event->duration_ns);
  RecordingEntry entry;
  entry.kind = RecordingEntry::Kind::event;
  entry.event = std::move(*event);
  entry.document = doc.number;
  entry.line = doc.line;
  m_window.push(std::move(entry));
  drain(std::max<std::size_t>(m_options.sort_window, 1));
}

void Checker::drain(std::size_t keep) {
  while (m_window.size() > keep || (keep == 0 && !m_window.empty())) {
    RecordingEntry entry = m_window.pop();
    if (entry.event.duration_ns < m_last_applied)
      add(Severity::error, "order", entry.document, entry.line,
          "event at " + std::to_string(entry.event.duration_ns) + " ns comes after one at " +
              std::to_string(m_last_applied) + " ns, further than a replay's sort window of " +
              std::to_string(m_options.sort_window) + " events: it would be applied out of order");
    m_last_applied = std::max(m_last_applied, entry.event.duration_ns);
    apply(std::move(entry));
  }
}

// The entry's object moves into the state: an object or a create always applies, so its owners
// are checked before it moves, as after a successful apply.
void Checker::apply(RecordingEntry&& entry) {
  bool is_event = entry.kind == RecordingEntry::Kind::event;
  bool adds = !is_event || entry.event.method == Method::create;
  if (is_event && entry.event.method != Method::patch) object_gone(entry);  // a create may replace one
  if (adds) {
    const Value& o = is_event ? entry.event.template_value : entry.object;
    check_owners(o, entry.document, entry.line);
    object_alive(o);
  }
  const std::size_t document = entry.document, line = entry.line;
  auto applied = m_state.apply(std::move(entry));
  if (!applied) add(Severity::error, "apply", document, line, applied.error().message);
}

void Checker::object_gone(const RecordingEntry& entry) {
  const auto& ev = entry.event;
  auto it = m_state.objects().find(
      RecordedState::key(ev.resource.api_version(), ev.resource.resource, ev.namespace_name, ev.name));
  if (it == m_state.objects().end()) return;
  auto uid = it->second.string_at({"metadata", "uid"});
  auto live = m_live_uids.find(std::string(uid));
  if (live != m_live_uids.end() && --live->second == 0) m_live_uids.erase(live);
}

void Checker::object_alive(const Value& o) {
  std::string uid(o.string_at({"metadata", "uid"}));
  if (uid.empty()) return;
  ++m_live_uids[uid];
  auto waiting = m_waiting.find(uid);
  if (waiting == m_waiting.end()) return;
  m_waiting_count -= waiting->second.size();
  m_waiting.erase(waiting);
}

void Checker::check_owners(const Value& o, std::size_t document, std::size_t line) {
  const Value* owners = o.at({"metadata", "ownerReferences"});
  if (owners == nullptr || !owners->is_array()) return;
  for (const auto& owner : owners->as_array()) {
    std::string uid(owner.string_at({"uid"}));
    if (uid.empty() || m_live_uids.count(uid) != 0) continue;
    if (m_waiting_count >= k_waiting_limit) {
      ++m_waiting_dropped;
      continue;
    }
    ++m_waiting_count;
    m_waiting[uid].push_back(
        Waiting{document, line, describe_object(o),
                std::string(owner.string_at({"kind"})) + " " + std::string(owner.string_at({"name"}))});
  }
}

void Checker::finish() {
  drain(0);
  if (m_disorder > 0) {
    // ktape writes its events sorted; kwok's recorder only mostly (a replay sorts within a window).
    Severity severity = m_header ? Severity::error : Severity::warning;
    add(severity, "order", m_first_disorder.first, m_first_disorder.second,
        std::to_string(m_disorder) + " events are earlier than an event before them in the file" +
            (m_header ? " (ktape writes events sorted)"
                      : " (kwok's files are mostly sorted; a replay sorts them)"));
  }
  std::vector<Waiting> unresolved;
  for (auto& [uid, list] : m_waiting)
    for (auto& w : list) unresolved.push_back(std::move(w));
  std::sort(unresolved.begin(), unresolved.end(),
            [](const Waiting& a, const Waiting& b) { return a.document < b.document; });
  for (const auto& w : unresolved)
    add(Severity::warning, "owner", w.document, w.line,
        w.dependent + ": its owner " + w.owner + " is not in the file when it appears");
  if (m_waiting_dropped > 0)
    add(Severity::warning, "owner", 0, 0,
        std::to_string(m_waiting_dropped) + " more owner references not checked");
  for (const auto& [check, severity] : m_overflow)
    m_report.findings.push_back(Finding{severity, check, 0, 0,
                                        "... and " +
                                            std::to_string(m_counts[check] - m_options.findings_per_check) +
                                            " more " + check + " findings"});
}

// ResumableDocuments read ahead on a thread owned here (joined by the destructor, which stops it
// early when the consumer leaves first), through a queue of at most k_pipe_depth batches.
class DocumentPipe {
 public:
  explicit DocumentPipe(ResumableDocuments documents)
      : m_documents(std::move(documents)), m_thread([this] { produce(); }) {}
  ~DocumentPipe() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_changed.notify_all();
    m_thread.join();
  }
  DocumentPipe(const DocumentPipe&) = delete;
  DocumentPipe& operator=(const DocumentPipe&) = delete;

  // The next item in file order; nullopt at the end.
  std::optional<ResumableDocuments::Item> next() {
    if (m_current.empty()) {
      std::unique_lock lock(m_mutex);
      m_changed.wait(lock, [&] { return !m_batches.empty() || m_done; });
      if (m_batches.empty()) return std::nullopt;
      m_current = std::move(m_batches.front());
      m_batches.pop_front();
      m_changed.notify_all();
      std::reverse(m_current.begin(), m_current.end());
    }
    auto item = std::move(m_current.back());
    m_current.pop_back();
    return item;
  }

 private:
  // Items handed over at a time (fewer lock round trips), and batches queued at most: memory
  // stays at a few hundred documents.
  static constexpr std::size_t k_batch = 64;
  static constexpr std::size_t k_pipe_depth = 4;

  void produce() {
    bool more = true;
    while (more) {
      std::vector<ResumableDocuments::Item> batch;
      while (batch.size() < k_batch) {
        auto item = m_documents.next();
        if (!item) {
          more = false;
          break;
        }
        batch.push_back(std::move(*item));
      }
      std::unique_lock lock(m_mutex);
      m_changed.wait(lock, [&] { return m_batches.size() < k_pipe_depth || m_stop; });
      if (m_stop) return;
      if (!batch.empty()) m_batches.push_back(std::move(batch));
      m_changed.notify_all();
    }
    std::lock_guard lock(m_mutex);
    m_done = true;
    m_changed.notify_all();
  }

  ResumableDocuments m_documents;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<std::vector<ResumableDocuments::Item>> m_batches;
  bool m_done = false;
  bool m_stop = false;
  std::vector<ResumableDocuments::Item> m_current;  // the consumer's batch, reversed
  std::thread m_thread;                             // last: starts after every member above
};

void record_integrity(VerifyReport& report, Checker& checker, const Result<Integrity>& integrity) {
  if (!integrity) {
    checker.add(Severity::error, "integrity", 0, 0, integrity.error().message);
    report.status = "corrupt";
  } else if (*integrity == Integrity::mismatch) {
    checker.add(Severity::error, "integrity", 0, 0,
                "the file's sha256 differs from its sidecar " + sidecar_path(report.path) +
                    ": it changed after it was written");
    report.status = "corrupt";
  } else if (*integrity == Integrity::missing_sidecar) {
    report.status = "incomplete";
  }
}

void check_integrity(VerifyReport& report, Checker& checker) {
  record_integrity(report, checker, verify_sidecar(report.path));
}

// Frees a state's objects on two threads, this one and one joined here: freeing thousands of
// live objects member by member is about a tenth of a verify, after the last document is read.
void free_objects(std::map<std::string, Value> objects) {
  auto middle = objects.begin();
  std::advance(middle, objects.size() / 2);
  auto clear = [](auto from, auto to) {
    for (; from != to; ++from) from->second = Value();
  };
  std::jthread first_half([&] { clear(objects.begin(), middle); });
  clear(middle, objects.end());
}

// Every document of `documents` through `checker`, while the sidecar's hash (a second read of the
// whole file) runs on a thread of its own; the integrity finding is recorded when both are done.
void check_documents(VerifyReport& report, Checker& checker, ResumableDocuments documents) {
  Result<Integrity> integrity = fail(ErrorKind::cancelled, "not checked");
  {
    std::jthread hasher([&] { integrity = verify_sidecar(report.path); });
    // Documents are read on a thread of their own while this one checks them (applying every
    // patch to its object in place): the two overlap when a core is free.
    DocumentPipe pipe(std::move(documents));
    while (auto item = pipe.next()) {
      if (auto* doc = std::get_if<Document>(&*item))
        checker.on_document(std::move(*doc));
      else
        checker.on_problem(std::get<DocumentProblem>(*item));
    }
    checker.finish();
  }
  record_integrity(report, checker, integrity);
  free_objects(checker.release_objects());
}

}  // namespace

std::size_t VerifyReport::errors() const {
  return static_cast<std::size_t>(std::count_if(
      findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; }));
}
std::size_t VerifyReport::warnings() const { return findings.size() - errors(); }

VerifyReport verify_recording(const std::string& path, const VerifyOptions& options) {
  VerifyReport report;
  report.path = path;
  report.status = "ok";
  Checker checker(report, options);
  auto stored = stat_stored(path);
  report.bytes = stored && *stored ? (*stored)->bytes : 0;
  // The sidecar hashes the encrypted bytes: integrity is checked without the key.
  if (formats::age_identity_missing(path)) {
    check_integrity(report, checker);
    checker.add(Severity::warning, "read", 0, 0,
                "encrypted with age and no --identity given opens it: only the sidecar was checked");
    if (report.status == "incomplete")
      checker.add(Severity::error, "integrity", 0, 0,
                  "no sidecar " + sidecar_path(path) + ": cannot check it");
    return report;
  }
  auto documents = ResumableDocuments::open(path, options.max_resumes);
  if (!documents) {
    checker.add(Severity::error, "read", 0, 0, documents.error().message);
    report.status = "corrupt";
    return report;
  }
  check_documents(report, checker, std::move(*documents));
  // A ktape recording is finished by its sidecar; kwok's files never have one.
  if (report.status == "incomplete")
    checker.add(report.has_header ? Severity::error : Severity::warning, "integrity", 0, 0,
                "no sidecar " + sidecar_path(path) + ": the recording did not finish (or is not ktape's)");
  if (report.status == "ok" && checker.read_failed()) report.status = "corrupt";
  if (report.status == "ok" && report.errors() > 0) report.status = "invalid";
  // The sidecar first, then by document, then what is about no one document (counts of the rest).
  auto rank = [](const Finding& f) {
    return std::pair(f.check == "integrity" ? 0 : f.document != 0 ? 1 : 2, f.document);
  };
  std::stable_sort(report.findings.begin(), report.findings.end(),
                   [&](const Finding& a, const Finding& b) { return rank(a) < rank(b); });
  return report;
}

}  // namespace ktape::store
