#pragma once
// verify_recording: is a recording intact and replayable? kinder's pre-flight is the model: every
// problem is listed, not only the first. Checks, in one streaming pass (memory holds the live
// objects, never the file):
// - integrity: the NAME.sha256 sidecar (missing = "incomplete", mismatch = "corrupt");
// - every document parses (a bad one is reported and reading resumes at the next "---"; a
//   truncated file or a corrupt gzip/zstd stream ends the read, reported);
// - the header parses; snapshot objects come before the event section;
// - every ResourcePatch has valid fields and time markers, and a create's template names its target;
// - events are in time order (kwok's mostly-sorted files: a warning while the disorder is within
//   the replay reader's sort window, an error beyond it; ktape's files must be sorted);
// - every patch and delete applies to the state before it;
// - owner references resolve to an object alive in the file when their dependent appears
//   (a warning: a selection may leave owners out).
#include <cstdint>
#include <string>
#include <vector>

#include "formats/value.hpp"

namespace ktape::store {

enum class Severity { warning, error };

struct Finding {
  Severity severity = Severity::error;
  std::string check;         // "integrity", "read", "header", "section", "fields", "order", "apply", "owner"
  std::size_t document = 0;  // 0 when not about one document (the sidecar, a summary)
  std::size_t line = 0;
  std::string message;  // never quotes object values (they may be Secret data)
};

struct VerifyReport {
  std::string path;
  std::string status;  // "ok", "incomplete" (no sidecar), "corrupt" (sidecar mismatch or unreadable),
                       // "invalid" (errors in the content)
  std::vector<Finding> findings;  // in file order, integrity first; per check at most
                                  // VerifyOptions::findings_per_check, then one "… more" finding
  std::uint64_t documents = 0;    // documents read (List items count one each)
  std::uint64_t objects = 0;      // snapshot objects
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;  // bytes read as stored (compressed bytes for .gz/.zst)
  bool has_header = false;  // ktape's header (else a kwok-format file)
  std::size_t errors() const;
  std::size_t warnings() const;
  bool ok() const { return errors() == 0; }
};

struct VerifyOptions {
  // Events held back to put a mostly-sorted file in order: the replay reader's window
  // (formats::RecordingReadOptions::sort_window).
  std::size_t sort_window = 4096;
  // Findings kept per check; beyond it they are counted in one last finding of that check.
  std::size_t findings_per_check = 20;
  // Times the read resumes after a document that does not parse (each resumption re-reads the
  // file up to the bad document); beyond it the read stops.
  std::size_t max_resumes = 50;
};

// Never fails: a file that cannot be opened is a report with one "read" error.
VerifyReport verify_recording(const std::string& path, const VerifyOptions& options = {});

// One line per finding, "FILE: document N (line L): error: CHECK: message", then a summary line
// "FILE: STATUS (D documents, O objects, E events, X errors, W warnings)".
std::string format_report_text(const VerifyReport& report);
// {path, status, ok, documents, objects, events, bytes, errors, warnings,
//  findings[{severity, check, document, line, message}]}
formats::Value report_to_value(const VerifyReport& report);

}  // namespace ktape::store
