// How `ktape verify` prints a report (verify.hpp).
#include "store/verify.hpp"

namespace ktape::store {

using formats::Value;

namespace {

const char* severity_name(Severity s) { return s == Severity::error ? "error" : "warning"; }

}  // namespace

std::string format_report_text(const VerifyReport& r) {
  std::string out;
  for (const auto& f : r.findings) {
    out += r.path;
    if (f.document != 0)
      out += ": document " + std::to_string(f.document) + " (line " + std::to_string(f.line) + ")";
    out.append(": ").append(severity_name(f.severity)).append(": ").append(f.check).append(": ");
    out += f.message + "\n";
  }
  out += r.path + ": " + r.status + " (" + std::to_string(r.documents) + " documents, " +
         std::to_string(r.objects) + " objects, " + std::to_string(r.events) + " events, " +
         std::to_string(r.errors()) + " errors, " + std::to_string(r.warnings()) + " warnings)\n";
  return out;
}

Value report_to_value(const VerifyReport& r) {
  Value v = Value::object();
  v.set("path", r.path);
  v.set("status", r.status);
  v.set("ok", r.ok());
  v.set("documents", Value(r.documents));
  v.set("objects", Value(r.objects));
  v.set("events", Value(r.events));
  v.set("bytes", Value(r.bytes));
  v.set("errors", Value(static_cast<std::uint64_t>(r.errors())));
  v.set("warnings", Value(static_cast<std::uint64_t>(r.warnings())));
  Value findings = Value::array();
  for (const auto& f : r.findings) {
    Value item = Value::object();
    item.set("severity", severity_name(f.severity));
    item.set("check", f.check);
    item.set("document", Value(static_cast<std::uint64_t>(f.document)));
    item.set("line", Value(static_cast<std::uint64_t>(f.line)));
    item.set("message", f.message);
    findings.push_back(std::move(item));
  }
  v.set("findings", std::move(findings));
  return v;
}

}  // namespace ktape::store
